import Foundation
import WeftTestSupport
import XCTest

/// The test suite's process runner (`runProcess`), which the CLI and interop tests go through.
final class ProcessRunnerTests: XCTestCase {
    /// A child that writes 1 MB to stderr before 1 MB to stdout fills the stderr pipe long before
    /// it reaches stdout: the runner must drain both at once or wait forever.
    func testAChildWritingMegabytesToBothStreamsCompletes() throws {
        let script = "head -c 1048576 /dev/zero | tr '\\000' e >&2; head -c 1048576 /dev/zero | tr '\\000' o; exit 3"
        let outcome = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", script])
        XCTAssertEqual(outcome.status, 3)
        XCTAssertEqual(outcome.errors.utf8.count, 1 << 20)
        XCTAssertEqual(outcome.output.utf8.count, 1 << 20)
        XCTAssertTrue(outcome.errors.utf8.allSatisfy { $0 == UInt8(ascii: "e") })
        XCTAssertTrue(outcome.output.utf8.allSatisfy { $0 == UInt8(ascii: "o") })
    }
}
