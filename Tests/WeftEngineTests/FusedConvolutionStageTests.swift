import WeftEngine
import WeftTestSupport
import XCTest

/// `conv2dStage` against `conv2d`, (`batchNorm`,) `relu` and `maxPool2d(kernelSize: 2)` in
/// sequence: the same outputs, running statistics and gradients of every parameter, with and
/// without batch-norm, in training and evaluation, γ of both signs, on several geometries,
/// batches of 1 to 5 and thread counts, with and without gradients already present.
final class FusedConvolutionStageTests: XCTestCase {
    override func tearDown() { Parallel.setThreadCount(2) }

    func testStageMatchesTheOpsInSequence() {
        // (input shape, filters, kernel, stride, padding): cnn-bn's first layer (rows of 14 windows),
        // odd convolution outputs, a strided 5×5 window, several input channels, no bias.
        let cases: [(Shape, Int, Int, Int, Int, Bool)] = [
            ([5, 1, 28, 28], 8, 3, 1, 1, true), ([3, 1, 9, 11], 4, 3, 1, 0, true), ([4, 2, 13, 12], 3, 5, 2, 2, true),
            ([3, 3, 34, 33], 5, 3, 1, 1, false), ([2, 1, 4, 5], 2, 3, 1, 1, true), ([1, 1, 12, 10], 4, 3, 1, 1, true)
        ]
        for threads in [1, 2, 3] {
            Parallel.setThreadCount(threads)
            for (index, c) in cases.enumerated() {
                for withBatchNorm in [true, false] {
                    for training in withBatchNorm ? [true, false] : [true] {
                        func run(fused: Bool) -> [[Float]] {
                            let seed = UInt64(1_300 + 10 * index)
                            let x = randomTensor(c.0, seed: seed)
                            let weight = randomTensor([c.1, c.0[1], c.2, c.2], seed: seed + 1, scale: 0.5)
                            let bias = c.5 ? randomTensor([c.1], seed: seed + 2) : nil
                            // γ of both signs, so the stage pools the largest and the smallest inputs.
                            let gamma = Tensor(
                                shape: [c.1],
                                scalars: (0..<c.1).map { Float($0 % 2 == 0 ? 1 : -1) * (0.6 + 0.1 * Float($0)) })
                            let beta = randomTensor([c.1], seed: seed + 4)
                            let runningMean = randomTensor([c.1], seed: seed + 5)
                            let runningVariance = Tensor(shape: [c.1], scalars: (0..<c.1).map { 0.5 + Float($0) * 0.2 })
                            [weight, gamma, beta].forEach { $0.requiresGradient = true }
                            bias?.requiresGradient = true
                            if threads == 2 {  // gradients already there: the stage adds to them
                                for tensor in [weight, gamma, beta] + (bias.map { [$0] } ?? []) {
                                    tensor.gradient = Tensor(shape: tensor.shape, repeating: 0.25)
                                }
                            }
                            let y: Tensor
                            if fused {
                                let batchNorm =
                                    withBatchNorm
                                    ? BatchNormArguments(
                                        weight: gamma, bias: beta, runningMean: runningMean,
                                        runningVariance: runningVariance, training: training) : nil
                                y = x.conv2dStage(
                                    weight: weight, bias: bias, stride: c.3, padding: c.4, batchNorm: batchNorm)
                            } else {
                                let convolved = x.conv2d(weight: weight, bias: bias, stride: c.3, padding: c.4)
                                let normalised =
                                    withBatchNorm
                                    ? convolved.batchNorm(
                                        weight: gamma, bias: beta, runningMean: runningMean,
                                        runningVariance: runningVariance, training: training) : convolved
                                y = normalised.relu().maxPool2d(kernelSize: 2)
                            }
                            y.backward(gradient: randomTensor(y.shape, seed: seed + 6))
                            return [
                                y.shape.dimensions.map(Float.init), y.scalars, runningMean.scalars,
                                runningVariance.scalars,
                                weight.gradient!.scalars, bias?.gradient?.scalars ?? [],
                                gamma.gradient?.scalars ?? [], beta.gradient?.scalars ?? []
                            ]
                        }
                        let fused = run(fused: true), separate = run(fused: false)
                        let label =
                            "case \(index), \(threads) threads, batch-norm \(withBatchNorm), training \(training)"
                        XCTAssertEqual(fused[0], separate[0], "\(label): output shape")
                        for (part, name) in ["output", "running mean", "running variance", "dw", "db", "dγ", "dβ"]
                            .enumerated()
                        {
                            XCTAssertEqual(fused[part + 1].count, separate[part + 1].count, "\(label): \(name) present")
                            guard !separate[part + 1].isEmpty else { continue }
                            if name == "db" && withBatchNorm && training {
                                // Batch-norm takes the mean away: the bias gradient adds zero up to rounding.
                                let preset: Float = threads == 2 ? 0.25 : 0
                                XCTAssertLessThan(fused[part + 1].map { abs($0 - preset) }.max()!, 1e-4, "\(label): db")
                                continue
                            }
                            assertClose(
                                Tensor(shape: [fused[part + 1].count], scalars: fused[part + 1]),
                                Tensor(shape: [separate[part + 1].count], scalars: separate[part + 1]), tolerance: 1e-4,
                                "\(label): \(name)")
                        }
                    }
                }
            }
        }
    }

    func testFiniteDifferences() {
        let x = randomTensor([3, 1, 6, 7], seed: 1_350)
        let inputs = [
            randomTensor([3, 1, 3, 3], seed: 1_351, scale: 0.5), randomTensor([3], seed: 1_352),
            randomTensor([3], seed: 1_353), randomTensor([3], seed: 1_354)
        ]
        // A small step: a larger one moves pooling winners and ReLU kinks of the normalised values.
        assertGradientsMatchFiniteDifferences("conv2dStage with batch-norm", inputs: inputs, epsilon: 1e-3) {
            x.conv2dStage(
                weight: $0[0], bias: $0[1], padding: 1,
                batchNorm: BatchNormArguments(
                    weight: $0[2], bias: $0[3], runningMean: nil, runningVariance: nil, training: true))
        }
        assertGradientsMatchFiniteDifferences("conv2dStage", inputs: Array(inputs[0...1])) {
            x.conv2dStage(weight: $0[0], bias: $0[1], padding: 1, batchNorm: nil)
        }
    }
}
