@testable import WeftEngine
import WeftTestSupport
import XCTest

/// Winograd's F(2×2, 3×3) convolution (forward and input gradient) against the direct convolution,
/// across paddings, odd plane sizes, image groups and thread counts; and against finite differences.
final class WinogradTests: XCTestCase {
    override func tearDown() {
        Parallel.setThreadCount(2)
    }

    func testWinogradConvolutionMatchesDirectConvolution() {
        // (batch, channels, height, width, filters, padding): even and odd planes, paddings 0…2,
        // batches spanning several image groups (8×8 planes have 16 tiles: groups of 12; 40 images
        // make several groups per thread), cnn-bn's conv2, rows of exactly 8 tiles (16×16), of
        // 9 (18×18: a second vector of tiles spilling past the row) and of 16 (32×32: one image a group).
        let cases: [(Int, Int, Int, Int, Int, Int)] = [
            (2, 8, 8, 8, 8, 1), (3, 9, 7, 5, 10, 1), (3, 9, 7, 5, 10, 0), (2, 8, 6, 9, 12, 2),
            (13, 8, 8, 8, 16, 1), (2, 32, 14, 14, 64, 1), (1, 12, 3, 3, 8, 0), (2, 8, 1, 2, 9, 2),
            (40, 8, 8, 8, 8, 1), (2, 8, 16, 16, 8, 1), (3, 8, 18, 17, 9, 1), (2, 8, 32, 32, 8, 1)
        ]
        for threads in [1, 2, 3] {
            Parallel.setThreadCount(threads)
            for (index, c) in cases.enumerated() {
                let label = "case \(index), \(threads) threads"
                let geometry = ConvolutionGeometry(
                    input: [c.0, c.1, c.2, c.3], kernelHeight: 3, kernelWidth: 3, stride: 1, padding: c.5)
                XCTAssertEqual(
                    geometry.map { ConvolutionAlgorithm.best(for: $0, filters: c.4) }, .winograd,
                    "\(label) must take the Winograd path")
                assertConv2dMatchesDirectConvolution(
                    [c.0, c.1, c.2, c.3], filters: c.4, kernelHeight: 3, kernelWidth: 3,
                    stride: 1, padding: c.5, seed: UInt64(900 + index * 10), label)
            }
        }
    }

    /// No bias, and only some of the inputs needing a gradient: each gradient still matches.
    func testWithoutBiasAndWithPartialGradients() {
        let x = randomTensor([3, 8, 10, 9], seed: 51), weight = randomTensor([12, 8, 3, 3], seed: 52, scale: 0.3)
        let geometry = ConvolutionGeometry(input: x.shape, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)!
        let expected = DirectConvolution.forward(
            input: x.scalars, weight: weight.scalars, bias: nil, filters: 12, geometry: geometry)
        let dout = randomTensor([3, 12, 10, 9], seed: 53)
        let reference = DirectConvolution.backward(
            input: x.scalars, weight: weight.scalars, dout: dout.scalars,
            filters: 12, geometry: geometry)
        for (inputNeeds, weightNeeds) in [(true, false), (false, true)] {
            x.gradient = nil; weight.gradient = nil
            x.requiresGradient = inputNeeds; weight.requiresGradient = weightNeeds
            let out = x.conv2d(weight: weight, padding: 1)
            assertClose(out, Tensor(shape: out.shape, scalars: expected), "forward without bias")
            out.backward(gradient: dout)
            if inputNeeds { assertClose(x.gradient, Tensor(shape: x.shape, scalars: reference.dx), "dx alone") }
            if weightNeeds {
                assertClose(weight.gradient, Tensor(shape: weight.shape, scalars: reference.dw), "dw alone")
            }
            XCTAssertEqual(x.gradient == nil, !inputNeeds, "dx only when asked")
            XCTAssertEqual(weight.gradient == nil, !weightNeeds, "dw only when asked")
        }
    }

    /// The input gradient adds onto a gradient already there (a tensor used twice).
    func testInputGradientAccumulates() {
        let x = randomTensor([2, 8, 6, 6], seed: 31), weight = randomTensor([8, 8, 3, 3], seed: 32, scale: 0.3)
        x.requiresGradient = true
        let once = x.conv2d(weight: weight, padding: 1)
        once.backward(gradient: Tensor(shape: once.shape, repeating: 1))
        let single = x.gradient!.scalars
        x.zeroGradient()
        let twice = x.conv2d(weight: weight, padding: 1) + x.conv2d(weight: weight, padding: 1)
        twice.backward(gradient: Tensor(shape: twice.shape, repeating: 1))
        XCTAssertEqual(x.gradient!.scalars.count, single.count)
        for (a, b) in zip(x.gradient!.scalars, single) { XCTAssertEqual(a, 2 * b, accuracy: 1e-4 * (abs(b) + 1)) }
    }

    func testWinogradGradientsMatchFiniteDifferences() {
        let inputs = [
            randomTensor([2, 8, 5, 4], seed: 41), randomTensor([8, 8, 3, 3], seed: 42, scale: 0.5),
            randomTensor([8], seed: 43)
        ]
        assertGradientsMatchFiniteDifferences("winograd conv2d", inputs: inputs) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], padding: 1)
        }
    }

    /// Geometries Winograd leaves to im2col: other windows, strides, paddings, thin channel counts.
    func testOnlyThreeByThreeStrideOneWindowsOverEnoughChannelsApply() {
        func applies(_ c: Int, _ f: Int, kernel: Int = 3, stride: Int = 1, padding: Int = 1) -> Bool {
            let g = ConvolutionGeometry(
                input: [1, c, 10, 10], kernelHeight: kernel, kernelWidth: kernel,
                stride: stride, padding: padding)!
            return ConvolutionAlgorithm.best(for: g, filters: f) == .winograd
        }
        XCTAssertTrue(applies(32, 64))
        XCTAssertFalse(applies(1, 32), "single-channel first layers stay on im2col")
        XCTAssertFalse(applies(32, 4))
        XCTAssertFalse(applies(32, 64, kernel: 5, padding: 2))
        XCTAssertFalse(applies(32, 64, stride: 2))
        XCTAssertFalse(applies(32, 64, padding: 3))
    }

    /// The transformed filters of a known 3×3 filter, against G g Gᵀ worked out by hand.
    func testFilterTransformMatchesHandComputation() {
        let g: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        var u = [Float](repeating: .nan, count: 16)
        g.withUnsafeBufferPointer { weight in
            u.withUnsafeMutableBufferPointer { target in
                Winograd.transformFilters(
                    weight.baseAddress!, filters: 1, channels: 1, flippedAndTransposed: false,
                    into: target.baseAddress!)
            }
        }
        // G g = [[1,2,3], [6,7.5,9], [2,2.5,3], [7,8,9]]; then each row r ↦ (r0, (r0+r1+r2)/2, (r0-r1+r2)/2, r2).
        let expected: [Float] = [1, 3, 1, 3, 6, 11.25, 3.75, 9, 2, 3.75, 1.25, 3, 7, 12, 4, 9]
        XCTAssertEqual(u, expected)
        var flipped = [Float](repeating: .nan, count: 16)
        g.withUnsafeBufferPointer { weight in
            flipped.withUnsafeMutableBufferPointer { target in
                Winograd.transformFilters(
                    weight.baseAddress!, filters: 1, channels: 1, flippedAndTransposed: true,
                    into: target.baseAddress!)
            }
        }
        // The same for g rotated by 180°: [[9, 8, 7], [6, 5, 4], [3, 2, 1]].
        XCTAssertEqual(flipped, [9, 12, 4, 7, 9, 11.25, 3.75, 6, 3, 3.75, 1.25, 2, 3, 3, 1, 1])
    }
}
