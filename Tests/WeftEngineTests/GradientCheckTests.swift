import WeftEngine
import WeftTestSupport
import XCTest

/// Every op's backward against central finite differences.
final class GradientCheckTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    func testMatmul() {
        assertGradientsMatchFiniteDifferences(
            "matmul", inputs: [randomTensor([3, 5], seed: 1), randomTensor([5, 4], seed: 2)]
        ) {
            $0[0].matmul($0[1])
        }
    }

    func testLinearWithAndWithoutBias() {
        let x = randomTensor([3, 7], seed: 3), w = randomTensor([4, 7], seed: 4), b = randomTensor([4], seed: 5)
        assertGradientsMatchFiniteDifferences("linear", inputs: [x, w, b]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
        assertGradientsMatchFiniteDifferences(
            "linear without bias", inputs: [randomTensor([1, 5], seed: 6), randomTensor([2, 5], seed: 7)]
        ) {
            $0[0].linear(weight: $0[1])
        }
    }

    func testBroadcastingArithmetic() {
        let cases: [(Shape, Shape)] = [([2, 3], [2, 3]), ([2, 3, 4, 5], [1, 3, 1, 1]), ([3, 5], [5]), ([4, 1], [1, 3])]
        for (index, (left, right)) in cases.enumerated() {
            let a = randomTensor(left, seed: UInt64(10 + index)), b = randomTensor(right, seed: UInt64(20 + index))
            assertGradientsMatchFiniteDifferences("add \(left) \(right)", inputs: [a, b]) { $0[0] + $0[1] }
            assertGradientsMatchFiniteDifferences("sub \(left) \(right)", inputs: [a, b]) { $0[0] - $0[1] }
            assertGradientsMatchFiniteDifferences("mul \(left) \(right)", inputs: [a, b]) { $0[0] * $0[1] }
        }
        assertGradientsMatchFiniteDifferences("scale", inputs: [randomTensor([3, 4], seed: 30)]) {
            $0[0].scaled(by: -2.5)
        }
    }

    func testActivations() {
        // Inputs at least 0.05 apart and away from 0, so no perturbation crosses a kink.
        let kinked = distinctTensor([2, 3, 4], seed: 40, gap: 0.1)
        assertGradientsMatchFiniteDifferences("relu", inputs: [kinked]) { $0[0].relu() }
        assertGradientsMatchFiniteDifferences("leakyRelu", inputs: [kinked]) { $0[0].leakyRelu(slope: 0.2) }
        let smooth = randomTensor([3, 5], seed: 41, scale: 2)
        assertGradientsMatchFiniteDifferences("sigmoid", inputs: [smooth]) { $0[0].sigmoid() }
        assertGradientsMatchFiniteDifferences("tanh", inputs: [smooth]) { $0[0].tanh() }
    }

    func testReshapeAndFlatten() {
        let x = randomTensor([2, 3, 2, 2], seed: 50)
        assertGradientsMatchFiniteDifferences("reshape", inputs: [x]) {
            $0[0].reshaped([3, -1]) * randomTensor([3, 8], seed: 51)
        }
        assertGradientsMatchFiniteDifferences("flatten", inputs: [x]) {
            $0[0].flattened() * randomTensor([2, 12], seed: 52)
        }
    }

    func testConv2dGeometries() {
        // (batch, channels, height, width, filters, kernel, stride, padding, bias)
        let geometries: [(Int, Int, Int, Int, Int, Int, Int, Int, Bool)] = [
            (1, 1, 5, 5, 2, 1, 1, 0, true),
            (3, 2, 5, 7, 3, 3, 1, 1, true),
            (1, 3, 7, 6, 2, 3, 2, 0, false),
            (3, 2, 7, 5, 2, 5, 1, 2, true),
            (1, 2, 9, 8, 3, 5, 2, 2, true),
            (3, 1, 6, 9, 2, 3, 2, 1, false),
            (1, 2, 4, 3, 2, 1, 2, 1, true)
        ]
        for (index, g) in geometries.enumerated() {
            let seed = UInt64(100 + 10 * index)
            var inputs = [
                randomTensor([g.0, g.1, g.2, g.3], seed: seed),
                randomTensor([g.4, g.1, g.5, g.5], seed: seed + 1, scale: 0.5)
            ]
            if g.8 { inputs.append(randomTensor([g.4], seed: seed + 2)) }
            assertGradientsMatchFiniteDifferences("conv2d #\(index) k\(g.5) s\(g.6) p\(g.7)", inputs: inputs) {
                $0[0].conv2d(weight: $0[1], bias: $0.count > 2 ? $0[2] : nil, stride: g.6, padding: g.7)
            }
        }
    }

    func testPooling() {
        // (shape, kernel, stride, padding)
        let geometries: [(Shape, Int, Int, Int)] = [
            ([1, 2, 6, 6], 2, 2, 0), ([3, 1, 7, 5], 3, 2, 1), ([1, 2, 5, 7], 3, 1, 0), ([3, 1, 5, 5], 2, 1, 1),
            ([1, 1, 9, 6], 5, 2, 2)
        ]
        for (index, (shape, kernel, stride, padding)) in geometries.enumerated() {
            let x = distinctTensor(shape, seed: UInt64(200 + index))
            assertGradientsMatchFiniteDifferences("maxPool2d #\(index)", inputs: [x], epsilon: 1e-2) {
                $0[0].maxPool2d(kernelSize: kernel, stride: stride, padding: padding)
            }
            assertGradientsMatchFiniteDifferences("avgPool2d #\(index)", inputs: [x]) {
                $0[0].avgPool2d(kernelSize: kernel, stride: stride, padding: padding)
            }
        }
        assertGradientsMatchFiniteDifferences("globalAvgPool2d", inputs: [randomTensor([3, 2, 5, 3], seed: 210)]) {
            $0[0].globalAvgPool2d()
        }
        assertGradientsMatchFiniteDifferences("globalAvgPool2d 1x1", inputs: [randomTensor([1, 3, 1, 1], seed: 211)]) {
            $0[0].globalAvgPool2d()
        }
    }

    func testBatchNorm() {
        for (index, shape) in [[3, 2, 3, 5], [1, 3, 2, 2], [5, 4], [2, 3]].enumerated() {
            let channels = shape[1]
            let x = randomTensor(Shape(shape), seed: UInt64(300 + index), scale: 1.5)
            let gamma = randomTensor([channels], seed: UInt64(310 + index)),
                beta = randomTensor([channels], seed: UInt64(320 + index))
            assertGradientsMatchFiniteDifferences("batchNorm training \(shape)", inputs: [x, gamma, beta]) {
                $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: nil, runningVariance: nil, training: true)
            }
            let runningMean = randomTensor([channels], seed: UInt64(330 + index))
            let runningVariance = Tensor(shape: [channels], scalars: (0..<channels).map { 0.5 + Float($0) * 0.3 })
            assertGradientsMatchFiniteDifferences("batchNorm evaluation \(shape)", inputs: [x, gamma, beta]) {
                $0[0].batchNorm(
                    weight: $0[1], bias: $0[2], runningMean: runningMean, runningVariance: runningVariance,
                    training: false)
            }
            for training in [true, false] {
                // Finite differences are wrong across the ReLU's kink: shift β until no output is near 0.
                let shifted = (0..<20).lazy.map { step in
                    Tensor(
                        shape: beta.shape, scalars: beta.scalars.map { $0 + 0.07 * Float(step) }, requiresGradient: true
                    )
                }.first { candidate in
                    Autograd.withoutRecording {
                        x.batchNorm(
                            weight: gamma, bias: candidate, runningMean: runningMean.copy(),
                            runningVariance: runningVariance.copy(), training: training)
                    }.scalars.allSatisfy { abs($0) > 0.05 }
                }!
                assertGradientsMatchFiniteDifferences(
                    "batchNorm+relu \(training ? "training" : "evaluation") \(shape)",
                    inputs: [x, gamma, shifted]
                ) {
                    $0[0].batchNorm(
                        weight: $0[1], bias: $0[2], runningMean: runningMean, runningVariance: runningVariance,
                        training: training, relu: true)
                }
            }
        }
    }

    func testDropout() {
        assertGradientsMatchFiniteDifferences("dropout", inputs: [randomTensor([4, 6], seed: 400)]) {
            var generator = RandomGenerator(seed: 401)
            return $0[0].dropout(probability: 0.4, training: true, generator: &generator)
        }
    }

    func testSoftmaxAndLosses() {
        let logits = randomTensor([4, 5], seed: 500, scale: 2)
        assertGradientsMatchFiniteDifferences("softmax", inputs: [logits]) { $0[0].softmax() }
        assertGradientsMatchFiniteDifferences("logSoftmax", inputs: [logits]) { $0[0].logSoftmax() }
        for smoothing: Float in [0, 0.1] {
            assertGradientsMatchFiniteDifferences(
                "softmaxCrossEntropy ε=\(smoothing)", inputs: [logits], epsilon: 1e-2,
                absoluteTolerance: 1e-3
            ) {
                $0[0].softmaxCrossEntropy(labels: [1, 0, 4, 2], labelSmoothing: smoothing)
            }
        }
        assertGradientsMatchFiniteDifferences("sum", inputs: [randomTensor([2, 3], seed: 510)]) { $0[0].sum() }
        assertGradientsMatchFiniteDifferences("mean", inputs: [randomTensor([2, 3], seed: 511)]) { $0[0].mean() }
    }

    func testComposedNetwork() {
        // A small CNN end to end: every gradient through conv, batch-norm, relu, pool, flatten, linear, loss.
        let x = randomTensor([3, 1, 6, 6], seed: 600)
        let w1 = randomTensor([2, 1, 3, 3], seed: 601, scale: 0.5), b1 = randomTensor([2], seed: 602)
        let gamma = randomTensor([2], seed: 603), beta = randomTensor([2], seed: 604)
        let w2 = randomTensor([4, 18], seed: 605, scale: 0.3), b2 = randomTensor([4], seed: 606)
        assertGradientsMatchFiniteDifferences(
            "small CNN", inputs: [x, w1, b1, gamma, beta, w2, b2], absoluteTolerance: 2e-3
        ) { t in
            t[0].conv2d(weight: t[1], bias: t[2], padding: 1)
                .batchNorm(weight: t[3], bias: t[4], runningMean: nil, runningVariance: nil, training: true)
                .tanh().avgPool2d(kernelSize: 2).flattened()
                .linear(weight: t[5], bias: t[6])
                .softmaxCrossEntropy(labels: [0, 3, 1])
        }
    }
}
