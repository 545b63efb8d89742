import Foundation
import Weft
import XCTest

/// Weft against PyTorch in float64 on random architectures from the whole layer grammar
/// (`Tests/Fixtures/make_oracle.py`, `TorchOracleCase`): every tensor of the evaluation and
/// training forward passes and of one SGD step within max(2e-3, 10 × float32 PyTorch's error),
/// at 1, 2 and 3 threads, on real Fashion-MNIST images with their exactly tied backgrounds.
final class TorchOracleTests: XCTestCase {
    override func tearDown() { Parallel.setThreadCount(2) }

    func testEveryArchitectureMatchesFloat64PyTorchAtOneTwoAndThreeThreads() throws {
        let (cases, learningRate) = try TorchOracleCase.load()
        XCTAssertGreaterThanOrEqual(cases.count, 100, "the oracle must hold 100+ architectures")
        var compared = 0, worst = (ratio: 0.0, what: "")
        for oracleCase in cases {
            for threads in [1, 2, 3] {
                Parallel.setThreadCount(threads)
                let comparison = try oracleCase.compare(learningRate: learningRate)
                XCTAssertGreaterThan(comparison.rows.count, 3, "\(oracleCase.name): nothing was compared")
                for row in comparison.failures {
                    XCTFail(
                        String(
                            format: "%@ at %d thread(s): %@ is off by %.2e (tolerance %.2e)",
                            oracleCase.name, threads, row.what, row.error, row.tolerance))
                }
                for row in comparison.rows where row.error / row.tolerance > worst.ratio {
                    worst = (row.error / row.tolerance, "\(oracleCase.name) \(row.what) at \(threads) thread(s)")
                }
                compared += comparison.rows.count
            }
        }
        print(
            String(
                format:
                    "oracle: %d architectures × 3 thread counts, %d tensors compared; worst %.2f of its tolerance (%@)",
                cases.count, compared, worst.ratio, worst.what))
    }
}
