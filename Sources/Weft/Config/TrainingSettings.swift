/// Epochs, batch size, seed, optimiser, schedule and the training tricks.
public struct TrainingSettings: Equatable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    public var optimizer: OptimizerSettings
    public var schedule: ScheduleSettings
    /// ε of the cross-entropy's label smoothing, in `[0, 1)`.
    public var labelSmoothing: Float
    /// Stop after this many epochs without a better validation accuracy.
    public var earlyStoppingPatience: Int?
    /// Clip the global gradient norm to this value before each update.
    public var gradientClipNorm: Float?
    /// Images per evaluation batch.
    public var evaluationBatchSize: Int
    /// On several ranks (MPI), normalise batch-norm layers with the statistics of the whole
    /// global batch rather than each rank's shard (`torch.nn.SyncBatchNorm`).
    public var syncBatchNorm: Bool
    /// Name prefixes of the parameters kept fixed (fine-tuning): `"layers.0"` freezes
    /// `layers.0.weight` and `layers.0.bias`. A prefix matches a name equal to it or followed by a
    /// dot; each must match a parameter of the model (checked when the model is built, see
    /// `FrozenParameters`). Empty: every parameter trains.
    public var freeze: [String]
    /// `training.ema`: evaluate, checkpoint as best, export and predict with an exponential
    /// moving average of the weights; nil: with the weights themselves.
    public var ema: EMASettings?
    /// `training.parameterGroups`: parts of the model with their own learning-rate scale and
    /// weight decay, in the order they are matched (empty: one group).
    public var parameterGroups: [ParameterGroupSettings]
    /// `training.precision`: `"fp32"` (the default), or `"bf16"`: the training steps' Winograd
    /// convolutions (forward and input gradient) multiply bfloat16 operands with float32 sums on
    /// CPUs with AVX-512 BF16 (`BFloat16Products`), float32 elsewhere, with a warning. Weights,
    /// optimiser state, batch-norm, the loss and every evaluation stay float32.
    public var precision: String

    init(_ object: ConfigObject) throws {
        epochs = try object.required("epochs", "how many passes over the training data").int(1...100_000)
        batchSize = try object.required("batchSize", "images per step").int(1...65_536)
        seed = UInt64(try object.optional("seed")?.int(0...(1 << 53)) ?? 42)
        optimizer = try OptimizerSettings(
            try object.required("optimizer", "{\"type\": \"adam\", \"learningRate\": 0.001}").object())
        schedule = try ScheduleSettings(object.optional("schedule")?.object(), epochs: epochs)
        labelSmoothing = try object.optional("labelSmoothing")?.float(0...1, openAbove: true) ?? 0
        earlyStoppingPatience = try object.optional("earlyStoppingPatience")?.int(1...100_000)
        gradientClipNorm = try object.optional("gradientClipNorm")?.float(1e-9...1e9)
        evaluationBatchSize = try object.optional("evaluationBatchSize")?.int(1...65_536) ?? 1000
        syncBatchNorm = try object.optional("syncBatchNorm")?.bool() ?? false
        freeze = []
        if let node = object.optional("freeze") {
            for item in try node.array() {
                let prefix = try item.string()
                if freeze.contains(prefix) { throw item.error("\"\(prefix)\" is listed twice; remove one") }
                freeze.append(prefix)
            }
        }
        ema = try object.optional("ema").map { try EMASettings($0.object()) }
        parameterGroups =
            try object.optional("parameterGroups")?.array(minimumCount: 1, maximumCount: 1000).map {
                try ParameterGroupSettings($0)
            } ?? []
        precision = try object.optional("precision")?.string(oneOf: ["fp32", "bf16"]) ?? "fp32"
        try object.finish()
    }

    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("epochs", .number(Double(epochs))), ("batchSize", .number(Double(batchSize))),
            ("seed", .number(Double(seed))),
            ("optimizer", optimizer.json), ("schedule", schedule.json), ("labelSmoothing", .float(labelSmoothing))
        ]
        if let earlyStoppingPatience {
            members.append(("earlyStoppingPatience", .number(Double(earlyStoppingPatience))))
        }
        if let gradientClipNorm { members.append(("gradientClipNorm", .float(gradientClipNorm))) }
        members.append(("evaluationBatchSize", .number(Double(evaluationBatchSize))))
        if syncBatchNorm { members.append(("syncBatchNorm", .bool(true))) }
        if !freeze.isEmpty { members.append(("freeze", .array(freeze.map { .string($0) }))) }
        if let ema { members.append(("ema", ema.json)) }
        if !parameterGroups.isEmpty { members.append(("parameterGroups", .array(parameterGroups.map(\.json)))) }
        if precision != "fp32" { members.append(("precision", .string(precision))) }
        return .object(members)
    }
}

/// The optimiser: `sgd` (momentum, dampening, Nesterov, weight decay) or `adam` / `adamw`.
public struct OptimizerSettings: Equatable, Sendable {
    public var type: String
    public var learningRate: Float
    public var momentum: Float
    public var dampening: Float
    public var nesterov: Bool
    public var weightDecay: Float
    public var betas: (Float, Float)
    public var epsilon: Float
    /// Lookahead's slow weights around the optimiser; nil: none.
    public var lookahead: LookaheadSettings?

    public static func == (lhs: OptimizerSettings, rhs: OptimizerSettings) -> Bool {
        lhs.json == rhs.json
    }

    init(_ object: ConfigObject) throws {
        type = try object.required("type", "\"sgd\", \"adam\" or \"adamw\"").string(oneOf: ["sgd", "adam", "adamw"])
        learningRate = try object.required("learningRate", "the step size, e.g. 0.001").float(1e-12...100)
        weightDecay = try object.optional("weightDecay")?.float(0...10) ?? (type == "adamw" ? 0.01 : 0)
        momentum = 0; dampening = 0; nesterov = false; betas = (0.9, 0.999); epsilon = 1e-8
        if type == "sgd" {
            momentum = try object.optional("momentum")?.float(0...1, openAbove: true) ?? 0
            dampening = try object.optional("dampening")?.float(0...1) ?? 0
            let nesterovNode = object.optional("nesterov")
            nesterov = try nesterovNode?.bool() ?? false
            if nesterov, momentum <= 0 || dampening != 0 {
                throw nesterovNode!.error(
                    "Nesterov momentum needs momentum > 0 and dampening 0, got momentum \(momentum), dampening \(dampening)"
                )
            }
        } else {
            if let betasNode = object.optional("betas") {
                let pair = try betasNode.array(minimumCount: 2, maximumCount: 2)
                betas = (try pair[0].float(0...1, openAbove: true), try pair[1].float(0...1, openAbove: true))
            }
            epsilon = try object.optional("epsilon")?.float(1e-30...1) ?? 1e-8
        }
        lookahead = try object.optional("lookahead").map { try LookaheadSettings($0.object()) }
        try object.finish()
    }

    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("type", .string(type)), ("learningRate", .float(learningRate))
        ]
        if type == "sgd" {
            members += [("momentum", .float(momentum)), ("dampening", .float(dampening)), ("nesterov", .bool(nesterov))]
        } else {
            members += [("betas", .array([.float(betas.0), .float(betas.1)])), ("epsilon", .float(epsilon))]
        }
        members.append(("weightDecay", .float(weightDecay)))
        if let lookahead { members.append(("lookahead", lookahead.json)) }
        return .object(members)
    }
}

/// The learning-rate schedule, in epochs: `constant`, `step`, `multiStep`, `cosine` (with linear
/// warm-up) or `oneCycle`. Converted to a per-step `LearningRateSchedule` at training time.
public struct ScheduleSettings: Equatable, Sendable {
    public var type: String
    public var warmupEpochs: Float
    public var stepEpochs: Int
    public var milestones: [Int]
    public var gamma: Float
    public var minimumLearningRate: Float
    public var maxLearningRate: Float?
    public var percentStart: Float

    init(_ object: ConfigObject?, epochs: Int) throws {
        type =
            try object?.required("type", "constant, step, multiStep, cosine or oneCycle")
            .string(oneOf: ["constant", "step", "multiStep", "cosine", "oneCycle"]) ?? "constant"
        warmupEpochs = 0; stepEpochs = 1; milestones = []; gamma = 0.1; minimumLearningRate = 0; percentStart = 0.3
        switch type {
        case "step":
            stepEpochs = try object!.required("stepEpochs", "epochs between decays").int(1...100_000)
            gamma = try object!.optional("gamma")?.float(0...1) ?? 0.1
        case "multiStep":
            let node = try object!.required("milestones", "epochs at which to decay, increasing")
            milestones = try node.array(minimumCount: 1).map { try $0.int(1...100_000) }
            guard milestones == milestones.sorted(), Set(milestones).count == milestones.count else {
                throw node.error("must be strictly increasing, got \(milestones)")
            }
            gamma = try object!.optional("gamma")?.float(0...1) ?? 0.1
        case "cosine":
            let warmupNode = object!.optional("warmupEpochs")
            warmupEpochs = try warmupNode?.float(0...100_000) ?? 0
            if warmupEpochs >= Float(epochs) {
                throw warmupNode!.error(
                    "must be fewer than the \(epochs) training epochs, got \(JSONValue.format(Double(warmupEpochs)))")
            }
            minimumLearningRate = try object!.optional("minimumLearningRate")?.float(0...100) ?? 0
        case "oneCycle":
            maxLearningRate = try object!.optional("maxLearningRate")?.float(1e-12...100)
            percentStart = try object!.optional("percentStart")?.float(0.01...0.99) ?? 0.3
        default:
            break
        }
        try object?.finish()
    }

    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [("type", .string(type))]
        switch type {
        case "step": members += [("stepEpochs", .number(Double(stepEpochs))), ("gamma", .float(gamma))]
        case "multiStep":
            members += [("milestones", .array(milestones.map { .number(Double($0)) })), ("gamma", .float(gamma))]
        case "cosine":
            members += [("warmupEpochs", .float(warmupEpochs)), ("minimumLearningRate", .float(minimumLearningRate))]
        case "oneCycle":
            if let maxLearningRate { members.append(("maxLearningRate", .float(maxLearningRate))) }
            members.append(("percentStart", .float(percentStart)))
        default: break
        }
        return .object(members)
    }
}
