import Foundation

/// A whole experiment, read from one JSON file: data, model, training, checkpoints and, when
/// given, how the trained model is evaluated.
public struct TrainingConfig: Equatable, Sendable {
    public var name: String
    public var data: DataConfig
    public var model: ModelConfig
    public var training: TrainingSettings
    public var checkpoint: CheckpointConfig
    /// The optional `evaluation` section (test-time augmentation); nil when absent.
    public var evaluation: EvaluationConfig?

    /// Reads and validates a config. `source` names it in errors.
    public init(json: JSONValue, source: String) throws {
        let root = try ConfigNode(value: json, source: source).object()
        name = try root.required("name", "the experiment's name").string()
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw root.optional("name")!.error("must use only letters, digits, '-', '_' and '.', got \"\(name)\"")
        }
        data = try DataConfig(try root.required("data", "the dataset settings").object())
        model = try ModelConfig(try root.required("model", "the input shape and layers").object())
        training = try TrainingSettings(try root.required("training", "epochs, batch size, optimiser").object())
        checkpoint = try CheckpointConfig(root.optional("checkpoint")?.object(), name: name)
        evaluation = try root.optional("evaluation").map { try EvaluationConfig(try $0.object()) }
        try root.finish()
        if data.validationFraction == 0, training.earlyStoppingPatience != nil {
            throw WeftError(
                "\(source): training.earlyStoppingPatience: early stopping watches validation accuracy, but data.validationFraction is 0; hold out a validation split or remove the key"
            )
        }
        if data.dataset == "fashion-mnist", data.files != nil {
            throw WeftError(
                "\(source): data.files: Fashion-MNIST uses its standard file names; remove \"files\" or set \"dataset\": \"idx\""
            )
        }
    }

    /// Reads a config file, applying `overrides` (`key.path=value`, see `ConfigOverride`) before
    /// validation.
    public static func load(path: String, overrides: [String] = []) throws -> TrainingConfig {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw WeftError(
                "\(path): cannot read the config file; check the path (the shipped configs are in Configs/)")
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw WeftError("\(path): the config file is not UTF-8 text; save it as UTF-8 JSON")
        }
        var json = try JSONParser.parse(text, source: path)
        for override in overrides {
            json = try ConfigOverride(override).apply(to: json)
        }
        return try TrainingConfig(json: json, source: overrides.isEmpty ? path : "\(path) (with --set)")
    }

    /// The resolved config: every default written out, keys in a fixed order; `evaluation`
    /// only when the config has it.
    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("name", .string(name)), ("data", data.json), ("model", model.json),
            ("training", training.json), ("checkpoint", checkpoint.json)
        ]
        if let evaluation { members.append(("evaluation", evaluation.json)) }
        return .object(members)
    }
}

/// The input shape and the layers.
public struct ModelConfig: Equatable, Sendable {
    /// `[channels, height, width]` of one image.
    public var input: [Int]
    public var layers: [LayerSpec]

    init(_ object: ConfigObject) throws {
        let inputNode = try object.required("input", "[channels, height, width]")
        let dimensions = try inputNode.array(minimumCount: 3, maximumCount: 3)
        input = try zip(dimensions, [4096, 16384, 16384]).map { try $0.int(1...$1) }
        layers = try object.required("layers", "the list of layers").array(minimumCount: 1).map(LayerSpec.init)
        try object.finish()
    }

    var json: JSONValue {
        .object([("input", .array(input.map { .number(Double($0)) })), ("layers", .array(layers.map(\.json)))])
    }
}

/// Where checkpoints go and how often.
public struct CheckpointConfig: Equatable, Sendable {
    /// The run folder; by default `Models/<name>`.
    public var directory: String
    public var everyEpochs: Int
    public var everySteps: Int?
    public var keepLast: Int
    public var keepBest: Bool

    init(_ object: ConfigObject?, name: String) throws {
        directory = try object?.optional("directory")?.string() ?? "Models/\(name)"
        everyEpochs = try object?.optional("everyEpochs")?.int(1...1_000_000) ?? 1
        everySteps = try object?.optional("everySteps")?.int(1...1 << 40)
        keepLast = try object?.optional("keepLast")?.int(1...1000) ?? 2
        keepBest = try object?.optional("keepBest")?.bool() ?? true
        try object?.finish()
    }

    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("directory", .string(directory)), ("everyEpochs", .number(Double(everyEpochs)))
        ]
        if let everySteps { members.append(("everySteps", .number(Double(everySteps)))) }
        members += [("keepLast", .number(Double(keepLast))), ("keepBest", .bool(keepBest))]
        return .object(members)
    }
}
