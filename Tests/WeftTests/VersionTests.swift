import Weft
import XCTest

final class VersionTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertEqual(Weft.version.split(separator: ".").count, 3)
    }
}
