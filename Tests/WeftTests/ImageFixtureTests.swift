import Weft
import XCTest

/// Every fixture image decodes to Pillow's pixels: PNGs exactly, JPEGs within ±2.
final class ImageFixtureTests: XCTestCase {
    func testEveryPNGDecodesExactlyAsPillow() throws {
        let expected = try ImageFixtures.expected()
        let names = expected.keys.filter { $0.hasSuffix(".png") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 13)
        for name in names {
            let image = try PNGFile.read(path: ImageFixtures.path(name))
            let difference = ImageFixtures.maximumDifference(image, expected[name]!)
            print("\(name): \(image.width)×\(image.height)×\(image.channels), max difference \(difference.map(String.init) ?? "size")")
            XCTAssertEqual(image, expected[name], name)
        }
    }
}
