/// Parameters an optimiser updates with their own learning-rate scale and weight decay, as one
/// entry of `torch.optim.Optimizer.param_groups` (`{"params": [...], "lr": ..., "weight_decay": ...}`).
///
/// A group's rate at a step is the step's rate times `learningRateScale`, as a PyTorch group
/// whose `lr` is the base rate times the scale under a scheduler that scales every group alike
/// (`LambdaLR`, `CosineAnnealingLR` with `eta_min` 0, ...). The optimiser's other settings
/// (momentum, betas, ε) are the same for every group.
public struct ParameterGroup {
    /// The group's parameters, each in one group only.
    public var parameters: [NamedParameter]
    /// The multiplier of the step's learning rate (finite, ≥ 0; 1: the base rate).
    public var learningRateScale: Double
    /// The group's weight decay, in the optimiser's sense (L2 for SGD and Adam, decoupled for
    /// AdamW); nil: the optimiser's own.
    public var weightDecay: Double?

    public init(parameters: [NamedParameter], learningRateScale: Double = 1, weightDecay: Double? = nil) {
        precondition(
            learningRateScale.isFinite && learningRateScale >= 0,
            "ParameterGroup: the learning-rate scale must be finite and ≥ 0, got \(learningRateScale)")
        precondition(
            weightDecay.map { $0.isFinite && $0 >= 0 } ?? true,
            "ParameterGroup: the weight decay must be finite and ≥ 0, got \(weightDecay ?? 0)")
        self.parameters = parameters
        self.learningRateScale = learningRateScale
        self.weightDecay = weightDecay
    }

    /// The group's rate for a step of rate `learningRate`: `learningRate · learningRateScale`
    /// in Double, rounded to float32. The step's rate is already a float32, so this rounds
    /// twice where PyTorch rounds `base · scale · factor` once: the two can differ in the last
    /// bit (never for a power-of-two scale).
    func learningRate(scaling learningRate: Float) -> Float {
        learningRateScale == 1 ? learningRate : Float(Double(learningRate) * learningRateScale)
    }
}

extension Optimizer {
    /// One step of every parameter in a single group with the optimiser's own settings.
    public func step(_ parameters: [NamedParameter], learningRate: Float) {
        step([ParameterGroup(parameters: parameters)], learningRate: learningRate)
    }
}
