import Foundation
import WeftTestSupport
import XCTest

/// `missing`: a skip on a machine without the dataset or a tool, a failure naming what is
/// missing and the fix when `WEFT_REQUIRE_ALL=1` (as CI runs).
final class RequirementsTests: XCTestCase {
    private let reason = "Fashion-MNIST is not installed: run Tests/setup.sh"

    /// Runs `body` with `WEFT_REQUIRE_ALL` set to `value` (unset when nil), then restores it.
    private func withRequireAll(_ value: String?, _ body: () throws -> Void) rethrows {
        let saved = getenv("WEFT_REQUIRE_ALL").map { String(cString: $0) }
        defer {
            if let saved { setenv("WEFT_REQUIRE_ALL", saved, 1) } else { unsetenv("WEFT_REQUIRE_ALL") }
        }
        if let value { setenv("WEFT_REQUIRE_ALL", value, 1) } else { unsetenv("WEFT_REQUIRE_ALL") }
        try body()
    }

    func testWithoutTheVariableAMissingThingSkips() {
        for value in [nil, "", "0"] as [String?] {
            withRequireAll(value) {
                XCTAssertFalse(skippingIsForbidden, "WEFT_REQUIRE_ALL=\(value ?? "(unset)")")
                XCTAssertTrue(missing(reason) is XCTSkip, "WEFT_REQUIRE_ALL=\(value ?? "(unset)")")
            }
        }
    }

    func testRequireAllMakesAMissingThingAFailureNamingItAndTheFix() throws {
        try withRequireAll("1") {
            XCTAssertTrue(skippingIsForbidden)
            let error = missing(reason)
            XCTAssertFalse(error is XCTSkip, "a thrown XCTSkip would skip, not fail")
            let failure = try XCTUnwrap(error as? MissingRequirement)
            XCTAssertTrue(failure.description.hasPrefix(reason), failure.description)
            XCTAssertTrue(failure.description.contains("WEFT_REQUIRE_ALL=1 forbids skipping"), failure.description)
            XCTAssertTrue(failure.description.contains("RequirementsTests.swift:"), failure.description)
        }
    }
}
