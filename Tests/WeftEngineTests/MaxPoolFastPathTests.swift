import WeftEngine
import WeftTestSupport
import XCTest

/// The vectorised 2×2 max-pooling path against a plain loop over every window, on row widths
/// that exercise the 8-wide, 4-wide (overlapping) and one-by-one parts, with ties and NaN.
final class MaxPoolFastPathTests: XCTestCase {
    func testTwoByTwoPoolingMatchesEveryWindowWithTiesAndNaN() {
        for width in 2...21 {
            let height = 4 + width % 3
            let x = randomTensor([2, 3, height, width], seed: UInt64(900 + width))
            // Ties (rounded values) and a NaN in some windows.
            for index in 0..<x.count where index % 5 == 0 { x.data[index] = (x.data[index] * 2).rounded() / 2 }
            x.data[width + 1] = .nan
            x.requiresGradient = true
            let out = x.maxPool2d(kernelSize: 2)
            let dout = randomTensor(out.shape, seed: UInt64(950 + width))
            out.backward(gradient: dout)
            let outHeight = height / 2, outWidth = width / 2
            var expectedDx = [Float](repeating: 0, count: x.count)
            for plane in 0..<6 {
                for oh in 0..<outHeight {
                    for ow in 0..<outWidth {
                        var best = -Float.infinity, bestIndex = -1
                        for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                            let index = plane * height * width + (2 * oh + i) * width + 2 * ow + j
                            let value = x.data[index]
                            if bestIndex < 0 || value > best || (value.isNaN && !best.isNaN) {
                                best = value; bestIndex = index
                            }
                        }
                        let outIndex = (plane * outHeight + oh) * outWidth + ow
                        let got = out.data[outIndex]
                        XCTAssertTrue(
                            got == best || (got.isNaN && best.isNaN),
                            "width \(width), plane \(plane), window (\(oh), \(ow)): \(got) instead of \(best)")
                        expectedDx[bestIndex] += dout.data[outIndex]
                    }
                }
            }
            XCTAssertEqual(x.gradient!.scalars, expectedDx, "width \(width): gradient routed to the wrong elements")
        }
    }
}
