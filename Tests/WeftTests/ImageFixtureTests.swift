import Weft
import XCTest

/// Every fixture image decodes to Pillow's pixels: PNGs exactly, JPEGs within ±2.
final class ImageFixtureTests: XCTestCase {
    func testEveryPNGDecodesExactlyAsPillow() throws {
        let expected = try ImageFixtures.expected()
        let names = expected.keys.filter { $0.hasSuffix(".png") }.sorted()
        XCTAssertEqual(names.count, 15)
        for name in names {
            let image = try PNGFile.read(path: ImageFixtures.path(name))
            let difference = ImageFixtures.maximumDifference(image, expected[name]!)
            print(
                "\(name): \(image.width)×\(image.height)×\(image.channels), max difference \(difference.map(String.init) ?? "size")"
            )
            XCTAssertEqual(image, expected[name], name)
        }
    }

    func testGrayscaleIsPillowsConvertL() throws {
        let expected = try ImageFixtures.expected()
        let colours = try PNGFile.read(path: ImageFixtures.path("colours.png"))
        XCTAssertEqual(colours, expected["colours.png"])
        XCTAssertEqual(colours.grayscale, expected["colours.png:L"])
        XCTAssertEqual(colours.converted(toChannels: 1), expected["colours.png:L"])
        XCTAssertEqual(colours.converted(toChannels: 3), colours)
    }

    func testGrayBecomesRGBByRepetition() throws {
        let gray = try PNGFile.read(path: ImageFixtures.path("gray.png"))
        let rgb = gray.converted(toChannels: 3)
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(rgb.pixels, gray.pixels.flatMap { [$0, $0, $0] })
        XCTAssertEqual(rgb.grayscale, gray)
    }
}
