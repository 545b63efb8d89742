import WeftEngine
import WeftTestSupport
import XCTest

/// `batchNormReLUMaxPool2x2` against `batchNorm`, `relu` and `maxPool2d(kernelSize: 2)` in
/// sequence: the same outputs, running statistics and gradients, on even and odd plane sizes,
/// with and without a gradient already present.
final class FusedBatchNormReLUMaxPoolTests: XCTestCase {
    func testFusedBlockMatchesTheThreeOps() {
        for (index, shape) in [[4, 3, 8, 8], [3, 2, 7, 9], [2, 5, 2, 2], [5, 2, 18, 20], [2, 3, 17, 19]].enumerated() {
            for training in [true, false] {
                for existingGradient in [false, true] {
                    func run(fused: Bool) -> [[Float]] {
                        let x = randomTensor(Shape(shape), seed: UInt64(1_100 + index))
                        let gamma = randomTensor([shape[1]], seed: UInt64(1_110 + index))
                        let beta = randomTensor([shape[1]], seed: UInt64(1_120 + index))
                        let runningMean = randomTensor([shape[1]], seed: UInt64(1_130 + index))
                        let runningVariance = Tensor(
                            shape: [shape[1]], scalars: (0..<shape[1]).map { 0.5 + Float($0) * 0.2 })
                        [x, gamma, beta].forEach { $0.requiresGradient = true }
                        if existingGradient { x.gradient = Tensor(shape: x.shape, repeating: 0.25) }
                        let y =
                            fused
                            ? x.batchNormReLUMaxPool2x2(
                                weight: gamma, bias: beta, runningMean: runningMean,
                                runningVariance: runningVariance, training: training)
                            : x.batchNorm(
                                weight: gamma, bias: beta, runningMean: runningMean, runningVariance: runningVariance,
                                training: training
                            ).relu().maxPool2d(kernelSize: 2)
                        y.backward(gradient: randomTensor(y.shape, seed: UInt64(1_140 + index)))
                        return [
                            y.shape.dimensions.map(Float.init), y.scalars, runningMean.scalars, runningVariance.scalars,
                            x.gradient!.scalars, gamma.gradient!.scalars, beta.gradient!.scalars
                        ]
                    }
                    let fused = run(fused: true), separate = run(fused: false)
                    XCTAssertEqual(fused[0], separate[0], "shape \(shape): output shape")
                    for (part, name) in ["output", "running mean", "running variance", "dx", "dγ", "dβ"].enumerated() {
                        assertClose(
                            Tensor(shape: [fused[part + 1].count], scalars: fused[part + 1]),
                            Tensor(shape: [separate[part + 1].count], scalars: separate[part + 1]), tolerance: 1e-5,
                            "shape \(shape), training \(training), existing gradient \(existingGradient): \(name)")
                    }
                }
            }
        }
    }

    func testFiniteDifferences() {
        let x = randomTensor([3, 2, 4, 6], seed: 1_150, scale: 1.5)
        let gamma = randomTensor([2], seed: 1_151), beta = randomTensor([2], seed: 1_152)
        assertGradientsMatchFiniteDifferences("batchNormReLUMaxPool2x2", inputs: [x, gamma, beta]) {
            $0[0].batchNormReLUMaxPool2x2(
                weight: $0[1], bias: $0[2], runningMean: nil, runningVariance: nil, training: true)
        }
    }
}

/// `reluMaxPool2x2` against `relu()` then `maxPool2d(kernelSize: 2)`.
final class FusedReLUMaxPoolTests: XCTestCase {
    func testFusedReLUPoolingMatchesTheTwoOps() {
        for (index, shape) in [[2, 3, 8, 8], [3, 2, 7, 9], [1, 4, 2, 3], [2, 2, 18, 20]].enumerated() {
            for existingGradient in [false, true] {
                func run(fused: Bool) -> [[Float]] {
                    let x = randomTensor(Shape(shape), seed: UInt64(1_200 + index))
                    x.requiresGradient = true
                    if existingGradient { x.gradient = Tensor(shape: x.shape, repeating: 0.5) }
                    let y = fused ? x.reluMaxPool2x2() : x.relu().maxPool2d(kernelSize: 2)
                    y.backward(gradient: randomTensor(y.shape, seed: UInt64(1_210 + index)))
                    return [y.shape.dimensions.map(Float.init), y.scalars, x.gradient!.scalars]
                }
                let fused = run(fused: true), separate = run(fused: false)
                XCTAssertEqual(fused, separate, "shape \(shape), existing gradient \(existingGradient)")
            }
        }
    }
}
