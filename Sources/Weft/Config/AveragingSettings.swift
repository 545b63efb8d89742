/// `training.ema`: an exponential moving average of the weights, used for validation, testing,
/// the best checkpoint, export and prediction (see `ExponentialMovingAverage`):
/// `{ "decay": 0.999, "warmupSteps": 0, "everySteps": 1 }`.
public struct EMASettings: Equatable, Sendable {
    /// The decay per optimiser step, in [0, 1).
    public var decay: Double
    /// Steps through which the average copies the weights (default 0).
    public var warmupSteps: Int
    /// Steps between updates (default 1); each update weighs the weights by `1 − decay^everySteps`.
    public var everySteps: Int

    init(_ object: ConfigObject) throws {
        decay = try object.required("decay", "the decay per step, e.g. 0.999").double(0...1, openAbove: true)
        warmupSteps = try object.optional("warmupSteps")?.int(0...(1 << 40)) ?? 0
        everySteps = try object.optional("everySteps")?.int(1...1_000_000) ?? 1
        try object.finish()
    }

    var json: JSONValue {
        .object([
            ("decay", .number(decay)), ("warmupSteps", .number(Double(warmupSteps))),
            ("everySteps", .number(Double(everySteps)))
        ])
    }
}

/// `training.optimizer.lookahead`: the slow weights of `Lookahead` around the configured
/// optimiser: `{ "steps": 5, "alpha": 0.5 }`.
public struct LookaheadSettings: Equatable, Sendable {
    /// Base steps between synchronisations, k.
    public var steps: Int
    /// How far the slow weights move towards the fast ones, α in (0, 1].
    public var alpha: Double

    init(_ object: ConfigObject) throws {
        steps = try object.optional("steps")?.int(1...1_000_000) ?? 5
        alpha = try object.optional("alpha")?.double(1e-9...1) ?? 0.5
        try object.finish()
    }

    var json: JSONValue {
        .object([("steps", .number(Double(steps))), ("alpha", .number(alpha))])
    }
}
