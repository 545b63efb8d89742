import WeftEngine
import WeftTestSupport
import XCTest

/// The im2col + sgemm convolution against the naive direct convolution, forward and backward,
/// and that repeated runs at a fixed thread count give bit-identical results.
final class ConvolutionReferenceTests: XCTestCase {
    override func tearDown() { Parallel.setThreadCount(2) }

    func testConvolutionMatchesDirectConvolution() {
        // (batch, channels, height, width, filters, kernelHeight, kernelWidth, stride, padding)
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (2, 3, 8, 8, 4, 3, 3, 1, 1), (1, 1, 28, 28, 8, 3, 3, 1, 1), (3, 4, 9, 7, 5, 5, 5, 2, 2),
            (2, 2, 6, 11, 3, 1, 1, 2, 0), (1, 3, 7, 7, 2, 3, 5, 1, 2), (4, 8, 5, 5, 16, 3, 3, 2, 1),
            (5, 3, 6, 6, 4, 1, 1, 1, 0), (3, 2, 7, 9, 3, 3, 3, 3, 1),
        ]
        Parallel.setThreadCount(2)
        for (index, c) in cases.enumerated() {
            let seed = UInt64(700 + index * 10)
            let x = randomTensor([c.0, c.1, c.2, c.3], seed: seed)
            let weight = randomTensor([c.4, c.1, c.5, c.6], seed: seed + 1, scale: 0.3)
            let bias = randomTensor([c.4], seed: seed + 2)
            x.requiresGradient = true; weight.requiresGradient = true; bias.requiresGradient = true
            guard let geometry = ConvolutionGeometry(input: x.shape, kernelHeight: c.5, kernelWidth: c.6, stride: c.7, padding: c.8) else {
                return XCTFail("case \(index): geometry does not fit")
            }
            let out = x.conv2d(weight: weight, bias: bias, stride: c.7, padding: c.8)
            let expected = DirectConvolution.forward(input: x.scalars, weight: weight.scalars, bias: bias.scalars,
                                                     filters: c.4, geometry: geometry)
            assertClose(out, Tensor(shape: out.shape, scalars: expected), tolerance: 1e-4, "case \(index) forward")
            let dout = randomTensor(out.shape, seed: seed + 3)
            out.backward(gradient: dout)
            let reference = DirectConvolution.backward(input: x.scalars, weight: weight.scalars, dout: dout.scalars,
                                                       filters: c.4, geometry: geometry)
            assertClose(x.gradient, Tensor(shape: x.shape, scalars: reference.dx), "case \(index) dx")
            assertClose(weight.gradient, Tensor(shape: weight.shape, scalars: reference.dw), "case \(index) dw")
            assertClose(bias.gradient, Tensor(shape: bias.shape, scalars: reference.db), "case \(index) db")
        }
    }

    /// A small network's forward and backward give bit-identical results run after run at a
    /// fixed thread count.
    func testResultsAreBitIdenticalAcrossRuns() {
        func run(threads: Int) -> [[Float]] {
            Parallel.setThreadCount(threads)
            let x = randomTensor([16, 3, 12, 12], seed: 800)
            let w = randomTensor([8, 3, 3, 3], seed: 801, scale: 0.3)
            let gamma = Tensor.ones([8]), beta = Tensor.zeros([8])
            [x, w, gamma, beta].forEach { $0.requiresGradient = true }
            let loss = x.conv2d(weight: w, padding: 1)
                .batchNorm(weight: gamma, bias: beta, runningMean: nil, runningVariance: nil, training: true)
                .relu().maxPool2d(kernelSize: 2).flattened().mean()
            loss.backward()
            return [[loss.scalar], x.gradient!.scalars, w.gradient!.scalars, gamma.gradient!.scalars]
        }
        for threads in [1, 2] {
            let first = run(threads: threads)
            for _ in 0..<3 { XCTAssertEqual(run(threads: threads), first, "threads \(threads): results changed between runs") }
        }
    }
}
