import Foundation

/// Scales all gradients down together so that their total L2 norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=2)`.
///
/// The total norm is the norm of the per-gradient norms (each rounded to float32, as PyTorch's
/// `vector_norm` returns them), i.e. the norm of all gradients viewed as one vector. The scale is
/// `maxNorm · (1 / (norm + 1e-6))` in float32 — PyTorch evaluates `max_norm / tensor` as
/// `tensor.reciprocal() * max_norm` — and every gradient is multiplied by it when it is below 1
/// (PyTorch multiplies by the scale clamped to 1, which leaves the gradients unchanged then).
/// A non-finite norm makes the scale NaN or 0 and the gradients follow, as in PyTorch with
/// `error_if_nonfinite=False`; check the returned norm to catch it.
///
/// - Parameters:
///   - parameters: parameters whose `gradient` is nil are ignored.
///   - maxNorm: the largest total norm allowed (positive).
/// - Returns: the total norm before clipping (0 when no parameter has a gradient).
@discardableResult
public func clipGradientNorm(_ parameters: [NamedParameter], maxNorm: Double) -> Float {
    let gradients = parameters.compactMap { $0.tensor.gradient }
    guard !gradients.isEmpty else { return 0 }
    var sumOfSquaredNorms: Double = 0
    for gradient in gradients {
        var sumOfSquares: Double = 0
        let g = gradient.data
        for index in 0..<gradient.count {
            sumOfSquares += Double(g[index]) * Double(g[index])
        }
        let norm = Double(Float(sumOfSquares.squareRoot()))
        sumOfSquaredNorms += norm * norm
    }
    let totalNorm = Float(sumOfSquaredNorms.squareRoot())
    let scale = Float(maxNorm) * (1 / (totalNorm + Float(1e-6)))
    if !(scale >= 1) {
        for gradient in gradients {
            let g = gradient.data
            for index in 0..<gradient.count { g[index] *= scale }
        }
    }
    return totalNorm
}
