import WeftEngine
import WeftTestSupport
import XCTest

/// Large products split into row or column blocks across the engine's threads give the same
/// result as a plain sum, for every transpose combination and non-trivial strides.
final class GemmSplitTests: XCTestCase {
    override func tearDown() { Parallel.setThreadCount(2) }

    func testSplitProductsMatchAPlainSum() {
        // (m, n, k): tall (rows split), wide (columns split).
        for (m, n, k) in [(301, 97, 190), (9, 1_500, 160)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 2, ldc = n + 5
                    let a = randomTensor([(transposeA ? k : m) * lda], seed: 1_300)
                    let b = randomTensor([(transposeB ? n : k) * ldb], seed: 1_301)
                    let start = randomTensor([m * ldc], seed: 1_302)
                    var expected = start.scalars
                    for row in 0..<m {
                        for column in 0..<n {
                            var sum: Double = 0
                            for index in 0..<k {
                                let left = transposeA ? a.data[index * lda + row] : a.data[row * lda + index]
                                let right = transposeB ? b.data[column * ldb + index] : b.data[index * ldb + column]
                                sum += Double(left) * Double(right)
                            }
                            expected[row * ldc + column] = Float(0.5 * sum + 2 * Double(start.data[row * ldc + column]))
                        }
                    }
                    for threads in [1, 2, 3] {
                        Parallel.setThreadCount(threads)
                        let c = start.copy()
                        Gemm.multiply(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                            a: a.data, lda: lda, b: b.data, ldb: ldb, beta: 2, c: c.data, ldc: ldc)
                        assertClose(
                            c, Tensor(shape: c.shape, scalars: expected), tolerance: 1e-4,
                            "\(m)×\(n)×\(k), transposeA \(transposeA), transposeB \(transposeB), \(threads) threads")
                    }
                }
            }
        }
    }
}
