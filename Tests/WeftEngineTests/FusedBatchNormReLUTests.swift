import WeftEngine
import WeftTestSupport
import XCTest

/// `batchNorm(relu: true)` against `batchNorm()` followed by `relu()`: the same outputs, the
/// same running statistics and the same gradients, also when the gradient already holds values.
final class FusedBatchNormReLUTests: XCTestCase {
    func testFusedReLUMatchesBatchNormThenReLU() {
        for (index, shape) in [[6, 4, 5, 7], [9, 3, 1, 1], [12, 5]].enumerated() {
            for training in [true, false] {
                func run(fused: Bool) -> [[Float]] {
                    let x = randomTensor(Shape(shape), seed: UInt64(1_000 + index))
                    let gamma = randomTensor([shape[1]], seed: UInt64(1_010 + index))
                    let beta = randomTensor([shape[1]], seed: UInt64(1_020 + index))
                    let runningMean = randomTensor([shape[1]], seed: UInt64(1_030 + index))
                    let runningVariance = Tensor(
                        shape: [shape[1]], scalars: (0..<shape[1]).map { 0.5 + Float($0) * 0.2 })
                    [x, gamma, beta].forEach { $0.requiresGradient = true }
                    // A gradient already present: the fused backward must add to it, not overwrite it.
                    x.gradient = Tensor(shape: x.shape, repeating: 0.25)
                    let y =
                        fused
                        ? x.batchNorm(
                            weight: gamma, bias: beta, runningMean: runningMean, runningVariance: runningVariance,
                            training: training, relu: true)
                        : x.batchNorm(
                            weight: gamma, bias: beta, runningMean: runningMean, runningVariance: runningVariance,
                            training: training
                        ).relu()
                    y.backward(gradient: randomTensor(y.shape, seed: UInt64(1_040 + index)))
                    return [
                        y.scalars, runningMean.scalars, runningVariance.scalars,
                        x.gradient!.scalars, gamma.gradient!.scalars, beta.gradient!.scalars
                    ]
                }
                let fused = run(fused: true), separate = run(fused: false)
                for (part, name) in ["output", "running mean", "running variance", "dx", "dγ", "dβ"].enumerated() {
                    assertClose(
                        Tensor(shape: [fused[part].count], scalars: fused[part]),
                        Tensor(shape: [separate[part].count], scalars: separate[part]),
                        tolerance: 1e-5, "shape \(shape), training \(training): \(name)")
                }
            }
        }
    }
}
