/// One entry of `training.parameterGroups`: which parameters it takes and the learning-rate
/// scale and weight decay they train with, as a `torch.optim` param group:
/// `{ "layerTypes": "batchNorm", "learningRateScale": 4, "weightDecay": 0 }`.
///
/// A parameter matches when it meets every criterion given (any value of a list): its layer's
/// type (`conv2d`, `dense`, `batchNorm`), the last part of its name (`weight`, `bias`), a prefix
/// of its name as `training.freeze` matches them (`layers.0`). Each parameter trains in the
/// first group it matches, or with the optimiser's own settings when it matches none.
public struct ParameterGroupSettings: Equatable, Sendable {
    /// The layer types the parameter's layer may have (empty: any).
    public var layerTypes: [String]
    /// The last part the parameter's name may have (empty: any).
    public var parameterNames: [String]
    /// Name prefixes the parameter's name may start with, ending at a dot (empty: any).
    public var prefixes: [String]
    /// The multiplier of the schedule's learning rate (default 1).
    public var learningRateScale: Double
    /// The group's weight decay; nil: the optimiser's.
    public var weightDecay: Double?

    /// The layer types a group can name.
    public static let layerTypeNames = ["conv2d", "dense", "batchNorm"]

    init(_ node: ConfigNode) throws {
        let object = try node.object()
        func strings(_ key: String, oneOf choices: [String]? = nil) throws -> [String] {
            guard let child = object.optional(key) else { return [] }
            if case .string = child.value { return [try child.string(oneOf: choices)] }
            return try child.array(minimumCount: 1).map { try $0.string(oneOf: choices) }
        }
        layerTypes = try strings("layerTypes", oneOf: Self.layerTypeNames)
        parameterNames = try strings("parameterNames")
        prefixes = try strings("prefixes")
        if layerTypes.isEmpty && parameterNames.isEmpty && prefixes.isEmpty {
            throw node.error(
                "needs at least one of layerTypes (\(Self.layerTypeNames.joined(separator: ", "))), parameterNames (e.g. \"bias\") or prefixes (e.g. \"layers.0\") to say which parameters it takes"
            )
        }
        learningRateScale = try object.optional("learningRateScale")?.double(0...1e6) ?? 1
        weightDecay = try object.optional("weightDecay")?.double(0...10)
        try object.finish()
    }

    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        for (key, values) in [("layerTypes", layerTypes), ("parameterNames", parameterNames), ("prefixes", prefixes)]
        where !values.isEmpty {
            members.append((key, .array(values.map { .string($0) })))
        }
        members.append(("learningRateScale", .number(learningRateScale)))
        if let weightDecay { members.append(("weightDecay", .number(weightDecay))) }
        return .object(members)
    }
}
