/// Lookahead (Zhang, Lucas, Hinton & Ba, arXiv 1907.08610) around any optimiser: the base
/// optimiser moves the "fast" weights at every step, and every `steps` steps the "slow" weights
/// move a fraction `alpha` of the way towards them and the fast weights restart from there.
///
/// For each parameter `p`, element-wise in float32, after the base optimiser's step `t`:
///
///     φ ← p                     (before the parameter's first update: the weights it starts from)
///     φ ← φ + alpha·(p − φ)     (when t is a multiple of steps; one fused multiply-add)
///     p ← φ
///
/// The slow weights `φ` are the state slot `lookaheadSlow`, beside the base optimiser's slots.
/// They start from the weights before the first update, as in the paper's Algorithm 1. (timm's
/// `Lookahead` creates them lazily at the first synchronisation instead, which makes that first
/// synchronisation a no-op; PyTorch has no Lookahead.)
public final class Lookahead: Optimizer {
    /// The optimiser that moves the fast weights.
    public let base: Optimizer
    /// Base steps between synchronisations, k (≥ 1).
    public let steps: Int
    /// How far the slow weights move towards the fast ones at a synchronisation, α in (0, 1].
    public let alpha: Double

    private var slow: OptimizerState

    /// - Throws: `WeftError` when `steps` < 1 or `alpha` is outside (0, 1].
    public init(base: Optimizer, steps: Int, alpha: Double) throws {
        guard steps >= 1 else { throw WeftError("Lookahead: steps must be ≥ 1, got \(steps).") }
        guard alpha > 0, alpha <= 1 else { throw WeftError("Lookahead: alpha must be in (0, 1], got \(alpha).") }
        self.base = base
        self.steps = steps
        self.alpha = alpha
        slow = OptimizerState(optimizerName: "Lookahead", slots: [Lookahead.slot])
    }

    /// The state slot of the slow weights.
    static let slot = "lookaheadSlow"

    public var stepCount: Int { base.stepCount }

    public func step(_ groups: [ParameterGroup], learningRate: Float) {
        for group in groups {
            for parameter in group.parameters where parameter.tensor.gradient != nil {
                if slow.buffers(for: parameter) == nil {
                    slow.createBuffers(for: parameter)[0].data.update(
                        from: parameter.tensor.data, count: parameter.tensor.count)
                }
            }
        }
        base.step(groups, learningRate: learningRate)
        guard base.stepCount % steps == 0 else { return }
        let fraction = Float(alpha)
        for group in groups {
            for parameter in group.parameters {
                guard let buffers = slow.buffers(for: parameter) else { continue }
                let p = parameter.tensor.data, phi = buffers[0].data
                for index in 0..<parameter.tensor.count {
                    phi[index] = phi[index].addingProduct(fraction, p[index] - phi[index])
                    p[index] = phi[index]
                }
            }
        }
    }

    public func stateTensors() -> [String: Tensor] {
        base.stateTensors().merging(slow.exported()) { first, _ in first }
    }

    /// Splits `tensors` into the slow weights (`<parameter>.lookaheadSlow`) and the base
    /// optimiser's state, and loads both; nothing changes when either is refused.
    public func loadState(_ tensors: [String: Tensor], stepCount: Int, parameters: [NamedParameter]) throws {
        let suffix = "." + Lookahead.slot
        let slowTensors = tensors.filter { $0.key.hasSuffix(suffix) }
        let baseTensors = tensors.filter { !$0.key.hasSuffix(suffix) }
        var loaded = slow
        try loaded.load(slowTensors, stepCount: stepCount, parameters: parameters)
        try base.loadState(baseTensors, stepCount: stepCount, parameters: parameters)
        slow = loaded
    }
}
