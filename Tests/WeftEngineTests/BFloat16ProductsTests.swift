@testable import WeftEngine
import WeftTestSupport
import XCTest

/// The bfloat16 products (`BFloat16Products`, the C kernels of `CBFloat16`) against float64
/// products of the same matrices, and Winograd's convolution with them (`products: .bfloat16`)
/// against the direct convolution, within bfloat16's rounding: odd sizes on every edge of the
/// kernel's 8×48 blocks, odd depths, accumulation, thread counts.
final class BFloat16ProductsTests: XCTestCase {
    override func tearDown() {
        Parallel.setThreadCount(2)
    }

    private func requireBFloat16() throws {
        guard BFloat16Products.isSupported else { throw missing("this CPU has no AVX-512 BF16") }
    }

    /// `packA`, `packB` and `multiply` of `a` `[m, k]` and `b` `[k, n]`, onto `c` when given.
    private func product(
        _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, onto c: [Float]? = nil
    ) -> [Float] {
        let packedA = TensorStorage(uninitializedCount: BFloat16Products.packedCount(rows: m, depth: k))
        let packedB = TensorStorage(uninitializedCount: BFloat16Products.packedCount(depth: k, columns: n))
        BFloat16Products.packA(a, rows: m, depth: k, lda: k, into: packedA.pointer)
        BFloat16Products.packB(b, depth: k, columns: n, ldb: n, into: packedB.pointer)
        var result = c ?? [Float](repeating: .nan, count: m * n)
        result.withUnsafeMutableBufferPointer {
            BFloat16Products.multiply(
                rows: m, columns: n, depth: k, a: packedA.pointer, b: packedB.pointer, c: $0.baseAddress!, ldc: n,
                accumulate: c != nil)
        }
        return result
    }

    func testProductsEqualFloat64ProductsWithinTheRoundingOfTheirOperands() throws {
        try requireBFloat16()
        // (m, n, k): below, at and past the 8-row and 48-column blocks, odd and even depths.
        let sizes = [
            (1, 1, 1), (8, 48, 2), (7, 47, 3), (9, 49, 31), (17, 100, 32), (64, 196, 32), (3, 5, 96), (16, 97, 1)
        ]
        for (index, (m, n, k)) in sizes.enumerated() {
            let a = randomTensor([m, k], seed: UInt64(10 + index)).scalars
            let b = randomTensor([k, n], seed: UInt64(50 + index)).scalars
            let c = product(a, b, m: m, n: n, k: k)
            for i in 0..<m {
                for j in 0..<n {
                    var exact = 0.0, magnitude = 0.0
                    for p in 0..<k {
                        exact += Double(a[i * k + p]) * Double(b[p * n + j])
                        magnitude += abs(Double(a[i * k + p]) * Double(b[p * n + j]))
                    }
                    // Each operand keeps 8 significant bits, rounded to nearest: it is off by at
                    // most 2⁻⁸ of itself, a product by 2⁻⁷ and a bit (float32's sums add ~2⁻²⁴ each).
                    let bound = magnitude * 0x1p-7 * 1.01 + 1e-6
                    XCTAssertLessThanOrEqual(
                        abs(Double(c[i * n + j]) - exact), bound, "\(m)×\(k) · \(k)×\(n): C[\(i), \(j)]")
                }
            }
        }
    }

    func testOperandsThatAreBFloat16ValuesMultiplyExactly() throws {
        try requireBFloat16()
        // Small integers and halves have at most 8 significant bits: nothing rounds, and every
        // partial sum is an integer or half below 2²⁴, exact in float32.
        let m = 11, n = 53, k = 37
        let a = (0..<m * k).map { Float(($0 * 7) % 19 - 9) / 2 }, b = (0..<k * n).map { Float(($0 * 5) % 23 - 11) }
        let c = product(a, b, m: m, n: n, k: k)
        for i in 0..<m {
            for j in 0..<n {
                let exact = (0..<k).reduce(Float(0)) { $0 + a[i * k + $1] * b[$1 * n + j] }
                XCTAssertEqual(c[i * n + j], exact, "C[\(i), \(j)]")
            }
        }
        let onto = (0..<m * n).map { Float($0 % 13) }
        let sum = product(a, b, m: m, n: n, k: k, onto: onto)
        XCTAssertEqual(sum, zip(c, onto).map { $0 + $1 }, "accumulate adds the product onto C")
    }

    func testRoundingIsToNearestEven() throws {
        try requireBFloat16()
        // 1 + 2⁻⁸ lies halfway between bfloat16's 1 and 1 + 2⁻⁷: ties go to the even 1;
        // 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: to the even 1 + 2⁻⁶;
        // 1 + 2⁻⁸ + 2⁻¹⁶ is past halfway: up to 1 + 2⁻⁷.
        let values: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-16, -(1 + 0x1p-8)]
        let rounded: [Float] = [1, 1 + 0x1p-6, 1 + 0x1p-7, -1]
        for (value, expected) in zip(values, rounded) {
            XCTAssertEqual(product([value], [1], m: 1, n: 1, k: 1), [expected], "B = \(value)")
            XCTAssertEqual(product([1], [value], m: 1, n: 1, k: 1), [expected], "A = \(value)")
        }
    }

    /// Winograd with bfloat16 products against the direct convolution (float64 sums) for the
    /// forward and the input gradient; the filter gradient stays float32 and equals the float32
    /// path's bit for bit.
    func testWinogradWithBFloat16ProductsMatchesTheDirectConvolution() throws {
        try requireBFloat16()
        // (batch, channels, height, width, filters, padding)
        let cases: [(Int, Int, Int, Int, Int, Int)] = [
            (2, 8, 8, 8, 8, 1), (3, 9, 7, 5, 10, 0), (2, 8, 6, 9, 12, 2), (13, 32, 14, 14, 64, 1), (5, 96, 7, 7, 19, 1)
        ]
        for threads in [1, 2, 3] {
            Parallel.setThreadCount(threads)
            for (index, c) in cases.enumerated() {
                let label = "case \(index), \(threads) threads"
                let x = randomTensor([c.0, c.1, c.2, c.3], seed: UInt64(300 + index))
                let weight = randomTensor([c.4, c.1, 3, 3], seed: UInt64(400 + index), scale: 0.3)
                let bias = randomTensor([c.4], seed: UInt64(500 + index))
                let geometry = ConvolutionGeometry(
                    input: x.shape, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: c.5)!
                let expected = DirectConvolution.forward(
                    input: x.scalars, weight: weight.scalars, bias: bias.scalars, filters: c.4, geometry: geometry)
                let outputShape: Shape = [c.0, c.4, geometry.outputHeight, geometry.outputWidth]
                let dout = randomTensor(outputShape, seed: UInt64(600 + index))
                let reference = DirectConvolution.backward(
                    input: x.scalars, weight: weight.scalars, dout: dout.scalars, filters: c.4, geometry: geometry)
                var float32: (out: [Float], dx: [Float], dw: [Float]) = ([], [], [])
                for products in [Winograd.Products.float32, .bfloat16] {
                    x.gradient = nil; weight.gradient = nil; bias.gradient = nil
                    x.requiresGradient = true; weight.requiresGradient = true; bias.requiresGradient = true
                    let out = x.conv2d(
                        weight: weight, bias: bias, padding: c.5, algorithm: .winograd, products: products)
                    out.backward(gradient: dout)
                    if products == .float32 {
                        float32 = (out.scalars, x.gradient!.scalars, weight.gradient!.scalars)
                        continue
                    }
                    // bfloat16 keeps 8 significant bits: a sum of 9·C products of values near 1 is
                    // off by a few thousandths of its size, not by a wrong term.
                    assertRelativeError(out.scalars, expected, below: 0.01, "\(label): forward")
                    assertRelativeError(x.gradient!.scalars, reference.dx, below: 0.01, "\(label): dx")
                    XCTAssertNotEqual(out.scalars, float32.out, "\(label): the forward ran in bfloat16")
                    XCTAssertNotEqual(x.gradient!.scalars, float32.dx, "\(label): dx ran in bfloat16")
                    XCTAssertEqual(weight.gradient!.scalars, float32.dw, "\(label): dw stays float32")
                }
            }
        }
    }

    /// The largest error over the largest reference value.
    private func assertRelativeError(
        _ actual: [Float], _ expected: [Float], below limit: Float, _ label: String,
        line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, label, line: line)
        let scale = expected.map(abs).max() ?? 1
        let error = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(error / scale, limit, "\(label): largest error \(error) of \(scale)", line: line)
    }
}
