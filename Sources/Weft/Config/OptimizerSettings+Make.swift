/// Turning the validated optimiser and schedule settings into the objects that train.
extension OptimizerSettings {
    /// The configured optimiser, with empty state: SGD or Adam(W), inside `Lookahead` when
    /// `lookahead` is set.
    public func makeOptimizer() throws -> Optimizer {
        let base: Optimizer
        switch type {
        case "sgd":
            base = try SGD(
                momentum: Double(momentum), dampening: Double(dampening), nesterov: nesterov,
                weightDecay: Double(weightDecay))
        default:
            base = try Adam(
                beta1: Double(betas.0), beta2: Double(betas.1), epsilon: Double(epsilon),
                weightDecay: Double(weightDecay), decoupledWeightDecay: type == "adamw")
        }
        guard let lookahead else { return base }
        return try Lookahead(base: base, steps: lookahead.steps, alpha: lookahead.alpha)
    }
}

extension ScheduleSettings {
    /// The per-step schedule for a run of `epochs` epochs of `stepsPerEpoch` steps.
    public func schedule(stepsPerEpoch: Int, epochs: Int, learningRate: Float) throws -> LearningRateSchedule {
        let totalSteps = max(1, stepsPerEpoch * epochs)
        let schedule: LearningRateSchedule
        switch type {
        case "step":
            schedule = .step(stepSize: stepEpochs * stepsPerEpoch, gamma: Double(gamma))
        case "multiStep":
            schedule = .multiStep(milestones: milestones.map { $0 * stepsPerEpoch }, gamma: Double(gamma))
        case "cosine":
            schedule = .cosine(
                totalSteps: totalSteps, warmupSteps: Int((Double(warmupEpochs) * Double(stepsPerEpoch)).rounded()),
                minimumLearningRate: Double(minimumLearningRate))
        case "oneCycle":
            schedule = .oneCycle(
                totalSteps: totalSteps, maxLearningRate: Double(maxLearningRate ?? learningRate),
                percentStart: Double(percentStart))
        default:
            schedule = .constant
        }
        try schedule.validate()
        return schedule
    }
}
