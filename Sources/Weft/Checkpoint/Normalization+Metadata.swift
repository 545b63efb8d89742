/// The normalisation as checkpoints and exports store it in their metadata:
/// `{"mean": [...], "std": [...]}`, one value per channel (or one for all), pixel/255 units.
extension Normalization {
    /// The compact JSON text.
    public var metadataJSON: String {
        JSONValue.object([
            ("mean", .array(mean.map { .float($0) })),
            ("std", .array(standardDeviation.map { .float($0) }))
        ]).serialized(pretty: false)
    }

    /// Reads the JSON text; nil when it is malformed: not two equally long non-empty lists of
    /// finite numbers, or a deviation that is not a positive float32.
    public init?(metadataJSON text: String) {
        guard let json = try? JSONParser.parse(text, source: "normalization"),
            case .array(let means)? = json["mean"], case .array(let deviations)? = json["std"],
            !means.isEmpty, means.count == deviations.count, means.count <= 4096
        else { return nil }
        var meanValues: [Float] = [], deviationValues: [Float] = []
        for (meanValue, deviationValue) in zip(means, deviations) {
            guard case .number(let m) = meanValue, case .number(let d) = deviationValue else { return nil }
            let mean = Float(m), deviation = Float(d)
            guard mean.isFinite, deviation.isFinite, deviation > 0 else { return nil }
            meanValues.append(mean)
            deviationValues.append(deviation)
        }
        self.init(mean: meanValues, standardDeviation: deviationValues)
    }
}
