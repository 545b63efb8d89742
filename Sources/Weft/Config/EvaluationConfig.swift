/// The optional top-level `evaluation` section: how a trained model is evaluated and used.
///
/// ```json
/// "evaluation": { "tta": ["flip", "shift1"] }
/// ```
///
/// `tta` names the families of test-time views (see `TestTimeAugmentation` for the views and
/// how their probabilities are averaged). The identity view is always included; the list must
/// not be empty nor repeat a family. Validation during training, the final test, `weft evaluate`,
/// the report and `weft predict` all use it; the plain (identity-only) numbers are reported beside
/// the averaged ones, and the best checkpoint and early stopping still follow the plain
/// validation accuracy. Exports (ONNX and the others) stay the plain network: TTA is a loop over it.
public struct EvaluationConfig: Equatable, Sendable {
    /// A family of test-time views.
    public enum ViewFamily: String, CaseIterable, Sendable {
        /// The horizontal mirror.
        case flip
        /// The four ±1-pixel translations (up, down, left, right).
        case shift1
    }

    /// The families of test-time views, in the order the config gives them.
    public var testTimeAugmentation: [ViewFamily]

    public init(testTimeAugmentation: [ViewFamily]) {
        self.testTimeAugmentation = testTimeAugmentation
    }

    init(_ object: ConfigObject) throws {
        let list = try object.required("tta", "a list of test-time view families, e.g. [\"flip\", \"shift1\"]")
        let items = try list.array()
        guard !items.isEmpty else {
            throw list.error("an empty list adds no view; name \"flip\" and/or \"shift1\", or remove \"evaluation\"")
        }
        var families: [ViewFamily] = []
        for item in items {
            let name = try item.string(oneOf: ViewFamily.allCases.map(\.rawValue))
            guard let family = ViewFamily(rawValue: name) else { continue }
            if families.contains(family) {
                throw item.error("\"\(name)\" is listed twice; give each view family once")
            }
            families.append(family)
        }
        testTimeAugmentation = families
        try object.finish()
    }

    var json: JSONValue {
        .object([("tta", .array(testTimeAugmentation.map { .string($0.rawValue) }))])
    }
}
