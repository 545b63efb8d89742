/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
/// as `torch.optim.SGD(lr, momentum, dampening, weight_decay, nesterov, foreach=False)`.
///
/// For each parameter `p` with gradient `g`, element-wise in float32:
///
///     g ← g + weightDecay·p                              (if weightDecay ≠ 0)
///     b ← g                                              (first update of p: no dampening)
///     b ← momentum·b + (1 − dampening)·g                 (later updates)
///     g ← g + momentum·b   if nesterov,   else   g ← b   (if momentum ≠ 0)
///     p ← p − learningRate·g
///
/// Each `x + α·y` is one fused multiply-add, as PyTorch's CPU `add(alpha:)` computes it.
/// The momentum buffer `b` is the state slot `momentumBuffer`; it exists only when momentum ≠ 0.
public final class SGD: Optimizer {
    /// The momentum factor (0: none).
    public let momentum: Double
    /// The fraction of the new gradient held back from the momentum buffer (not applied on a
    /// parameter's first update).
    public let dampening: Double
    /// Whether to use Nesterov momentum (Sutskever et al.'s formulation, as PyTorch).
    public let nesterov: Bool
    /// The L2 penalty added to the gradient: `g + weightDecay·p`.
    public let weightDecay: Double

    public private(set) var stepCount = 0
    private var state: OptimizerState

    /// - Throws: `WeftError` when momentum or weight decay is negative or not finite, dampening
    ///   is not finite, or Nesterov is asked without momentum or with dampening (PyTorch's rule).
    public init(momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) throws {
        guard momentum.isFinite, momentum >= 0 else {
            throw WeftError("SGD: momentum must be a finite number ≥ 0, got \(momentum).")
        }
        guard dampening.isFinite else {
            throw WeftError("SGD: dampening must be a finite number, got \(dampening).")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw WeftError("SGD: weight decay must be a finite number ≥ 0, got \(weightDecay).")
        }
        if nesterov && (momentum <= 0 || dampening != 0) {
            throw WeftError(
                "SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum \(momentum) and dampening \(dampening)."
            )
        }
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        state = OptimizerState(optimizerName: "SGD", slots: momentum == 0 ? [] : ["momentumBuffer"])
    }

    public func step(_ groups: [ParameterGroup], learningRate: Float) {
        precondition(
            learningRate.isFinite && learningRate >= 0,
            "SGD.step: learning rate must be finite and ≥ 0, got \(learningRate)")
        stepCount += 1
        let factor = Float(momentum), kept = Float(1 - dampening)
        for group in groups {
            let decay = Float(group.weightDecay ?? weightDecay)
            let negativeRate = -group.learningRate(scaling: learningRate)
            for parameter in group.parameters {
                guard let gradient = parameter.tensor.gradient else { continue }
                let count = parameter.tensor.count
                precondition(
                    gradient.count == count,
                    "SGD.step: gradient of \(parameter.name) is \(gradient.shape), parameter is \(parameter.tensor.shape)"
                )
                let p = parameter.tensor.data, g = gradient.data
                if momentum == 0 {
                    for index in 0..<count {
                        let direction = decay == 0 ? g[index] : g[index].addingProduct(decay, p[index])
                        p[index] = p[index].addingProduct(negativeRate, direction)
                    }
                    continue
                }
                let existing = state.buffers(for: parameter), firstUpdate = existing == nil
                let b = (existing ?? state.createBuffers(for: parameter))[0].data  // the momentum buffer
                for index in 0..<count {
                    var direction = decay == 0 ? g[index] : g[index].addingProduct(decay, p[index])
                    b[index] = firstUpdate ? direction : (b[index] * factor).addingProduct(kept, direction)
                    direction = nesterov ? direction.addingProduct(factor, b[index]) : b[index]
                    p[index] = p[index].addingProduct(negativeRate, direction)
                }
            }
        }
    }

    public func stateTensors() -> [String: Tensor] {
        state.exported()
    }

    public func loadState(_ tensors: [String: Tensor], stepCount: Int, parameters: [NamedParameter]) throws {
        try state.load(tensors, stepCount: stepCount, parameters: parameters)
        self.stepCount = stepCount
    }
}
