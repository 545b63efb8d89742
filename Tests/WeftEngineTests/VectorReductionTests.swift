import WeftEngine
import XCTest

/// `VectorReduction.allFinite`: an infinity or NaN anywhere (in the 16-lane part or the tail) is
/// found; huge finite values whose plain sum would overflow are finite.
final class VectorReductionTests: XCTestCase {
    func testAllFiniteFindsEveryNonFiniteValueAndNothingElse() {
        for count in [1, 15, 16, 17, 40] {
            var values = [Float](repeating: 3e38, count: count)
            values.withUnsafeBufferPointer {
                XCTAssertTrue(VectorReduction.allFinite($0.baseAddress!, count: count), "\(count) huge values")
            }
            for position in [0, count / 2, count - 1] {
                for bad in [Float.infinity, -Float.infinity, Float.nan] {
                    let kept = values[position]
                    values[position] = bad
                    values.withUnsafeBufferPointer {
                        XCTAssertFalse(
                            VectorReduction.allFinite($0.baseAddress!, count: count),
                            "\(bad) at \(position) of \(count)")
                    }
                    values[position] = kept
                }
            }
        }
    }
}
