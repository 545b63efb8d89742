import Foundation
import WeftEngine

/// Adam, and AdamW with `decoupledWeightDecay`, with bias correction, as
/// `torch.optim.Adam(lr, betas, eps, weight_decay, amsgrad=False, foreach=False)` and
/// `torch.optim.AdamW(...)` (which is `Adam(..., decoupled_weight_decay=True)`).
///
/// At step `t` (1, 2, ...), for each parameter `p` with gradient `g`, element-wise in float32
/// (the bias corrections in Double, as PyTorch computes them in Python floats):
///
///     p ← p·(1 − learningRate·weightDecay)                     (AdamW)
///     g ← g + weightDecay·p                                    (Adam with weightDecay ≠ 0)
///     m ← m + (1 − β₁)·(g − m)                                 (torch.lerp)
///     v ← β₂·v + (1 − β₂)·g·g                                  (mul_, addcmul_)
///     p ← p + (−learningRate / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)   (addcdiv_)
///
/// `m` and `v` are the state slots `exponentialAverage` and `exponentialAverageOfSquares`
/// (PyTorch's `exp_avg` and `exp_avg_sq`). The lerp, the `+ α·y` of the L2 term and the
/// addcmul are fused multiply-adds, as in PyTorch's CPU kernels.
///
/// PyTorch counts steps per parameter; Weft keeps one `stepCount` for all of them. The two
/// agree as long as every parameter has a gradient at every step, which holds for every Weft
/// model (a parameter that skips a step would get the bias correction of the global count).
public final class Adam: Optimizer {
    /// The decay of the gradient's running average, β₁.
    public let beta1: Double
    /// The decay of the squared gradient's running average, β₂.
    public let beta2: Double
    /// Added to the denominator for numerical stability, ε.
    public let epsilon: Double
    /// The weight-decay factor: an L2 term added to the gradient (Adam), or a multiplicative
    /// shrink of the parameter by `1 − learningRate·weightDecay` (AdamW).
    public let weightDecay: Double
    /// Whether weight decay is decoupled from the gradient (AdamW, Loshchilov & Hutter).
    public let decoupledWeightDecay: Bool

    public private(set) var stepCount = 0
    private var state: OptimizerState

    /// PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, weight decay 0 (AdamW's default is 1e-2:
    /// pass it explicitly).
    /// - Throws: `WeftError` when a beta is outside [0, 1), or ε or the weight decay is negative
    ///   or not finite.
    public init(
        beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
        weightDecay: Double = 0, decoupledWeightDecay: Bool = false
    ) throws {
        guard beta1 >= 0 && beta1 < 1 else {
            throw WeftError("Adam: beta1 must be in [0, 1), got \(beta1).")
        }
        guard beta2 >= 0 && beta2 < 1 else {
            throw WeftError("Adam: beta2 must be in [0, 1), got \(beta2).")
        }
        guard epsilon.isFinite, epsilon >= 0 else {
            throw WeftError("Adam: epsilon must be a finite number ≥ 0, got \(epsilon).")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw WeftError("Adam: weight decay must be a finite number ≥ 0, got \(weightDecay).")
        }
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        state = OptimizerState(
            optimizerName: decoupledWeightDecay ? "AdamW" : "Adam",
            slots: ["exponentialAverage", "exponentialAverageOfSquares"])
    }

    public func step(_ groups: [ParameterGroup], learningRate: Float) {
        precondition(
            learningRate.isFinite && learningRate >= 0,
            "Adam.step: learning rate must be finite and ≥ 0, got \(learningRate)")
        stepCount += 1
        // Python-float (Double) scalars, rounded to float32 where the kernels take them.
        let step = Double(stepCount)
        let biasCorrection1 = 1 - pow(beta1, step)
        let biasCorrection2 = 1 - pow(beta2, step)
        let biasCorrection2Root = Float(pow(biasCorrection2, 0.5))
        let eps = Float(epsilon)
        let averageWeight = Float(1 - beta1), averageWeightIsSmall = abs(averageWeight) < 0.5
        let squareDecay = Float(beta2), squareWeight = Float(1 - beta2)

        for group in groups {
            let rate = group.learningRate(scaling: learningRate), decay = group.weightDecay ?? weightDecay
            let negativeStepSize = Float(-(Double(rate) / biasCorrection1))
            let l2 = decoupledWeightDecay ? 0 : Float(decay)
            let shrink = decoupledWeightDecay && decay != 0 ? Float(1 - Double(rate) * decay) : 1
            for parameter in group.parameters {
                guard let gradient = parameter.tensor.gradient else { continue }
                let count = parameter.tensor.count
                precondition(
                    gradient.count == count,
                    "Adam.step: gradient of \(parameter.name) is \(gradient.shape), parameter is \(parameter.tensor.shape)"
                )
                let buffers = state.buffers(for: parameter) ?? state.createBuffers(for: parameter)
                let p = parameter.tensor.data, g = gradient.data
                let m = buffers[0].data, v = buffers[1].data
                // Element-wise, so any split of the elements across threads gives the same values. (The
                // loop stays scalar: Swift's squareRoot keeps a libm fallback that blocks vectorisation.)
                Parallel.forChunks(count, grain: 1 << 15) { range in
                    for index in range {
                        if shrink != 1 { p[index] *= shrink }
                        let direction = l2 == 0 ? g[index] : g[index].addingProduct(l2, p[index])
                        // torch.lerp(m, g, w): m + w·(g − m) for |w| < 0.5, else g + (w − 1)·(g − m).
                        let difference = direction - m[index]
                        m[index] =
                            averageWeightIsSmall
                            ? m[index].addingProduct(averageWeight, difference)
                            : direction.addingProduct(averageWeight - 1, difference)
                        v[index] = (v[index] * squareDecay).addingProduct(squareWeight * direction, direction)
                        let denominator = v[index].squareRoot() / biasCorrection2Root + eps
                        p[index] += negativeStepSize * m[index] / denominator
                    }
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
