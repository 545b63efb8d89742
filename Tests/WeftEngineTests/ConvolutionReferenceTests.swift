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
            (5, 3, 6, 6, 4, 1, 1, 1, 0), (3, 2, 7, 9, 3, 3, 3, 3, 1)
        ]
        Parallel.setThreadCount(2)
        for (index, c) in cases.enumerated() {
            assertConv2dMatchesDirectConvolution(
                [c.0, c.1, c.2, c.3], filters: c.4, kernelHeight: c.5, kernelWidth: c.6,
                stride: c.7, padding: c.8, seed: UInt64(700 + index * 10), "case \(index)")
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
            for _ in 0..<3 {
                XCTAssertEqual(run(threads: threads), first, "threads \(threads): results changed between runs")
            }
        }
    }
}
