import Foundation
import XCTest

/// Something a test needs that this machine lacks, thrown when `WEFT_REQUIRE_ALL=1` forbids
/// skipping: XCTest records a thrown error as a failure whose message is `description`.
public struct MissingRequirement: Error, CustomStringConvertible {
    public let description: String
}

/// Whether the environment variable `WEFT_REQUIRE_ALL` is `1` (CI sets it): then a missing
/// dataset, tool or binary fails the test instead of skipping it. Read at each call.
public var skippingIsForbidden: Bool {
    getenv("WEFT_REQUIRE_ALL").map { String(cString: $0) } == "1"
}

/// The error a test throws when something it needs is missing: an `XCTSkip` with `reason`, or,
/// when `WEFT_REQUIRE_ALL=1`, a `MissingRequirement` that fails the test, so that CI cannot
/// pass by skipping. `reason` names what is missing and how to get it:
///
///     guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
///         throw missing("Fashion-MNIST is not installed: run Tests/setup.sh")
///     }
public func missing(_ reason: String, file: StaticString = #filePath, line: UInt = #line) -> Error {
    guard skippingIsForbidden else { return XCTSkip(reason, file: file, line: line) }
    let place = URL(fileURLWithPath: "\(file)").lastPathComponent
    return MissingRequirement(description: "\(reason) (WEFT_REQUIRE_ALL=1 forbids skipping; \(place):\(line))")
}
