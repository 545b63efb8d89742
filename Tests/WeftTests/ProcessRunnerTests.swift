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

    /// 200 KiB to stderr then 200 KiB to stdout, both more than a pipe holds: both come back whole.
    func testAChildWritingMoreThanAPipeHoldsToStderrThenStdoutCompletes() throws {
        let script = "head -c 204800 /dev/zero | tr '\\000' e >&2; head -c 204800 /dev/zero | tr '\\000' o"
        let outcome = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", script], timeLimit: 60)
        XCTAssertEqual(outcome.status, 0)
        XCTAssertFalse(outcome.timedOut)
        XCTAssertEqual(outcome.errors, String(repeating: "e", count: 204_800))
        XCTAssertEqual(outcome.output, String(repeating: "o", count: 204_800))
    }

    /// A child past its time limit is stopped within seconds (the shell and its `sleep`), and the
    /// error names the command and keeps what it wrote.
    func testAChildPastItsTimeLimitIsStoppedAndNamed() throws {
        let started = Date()
        XCTAssertThrowsError(
            try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "echo started >&2; sleep 30"], timeLimit: 1)
        ) { error in
            guard let timeout = error as? ProcessTimedOut else { return XCTFail("\(error)") }
            XCTAssertTrue(timeout.outcome.timedOut)
            XCTAssertEqual(timeout.outcome.status, SIGTERM, "stopped by SIGTERM")
            XCTAssertEqual(timeout.outcome.errors, "started\n")
            XCTAssertEqual(timeout.command, "/bin/sh -c echo started >&2; sleep 30")
            XCTAssertTrue(
                timeout.description.hasPrefix("/bin/sh -c echo started >&2; sleep 30 ran past its time limit of 1"),
                timeout.description)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 8, "the sleep must not run its 30 s")
    }
}
