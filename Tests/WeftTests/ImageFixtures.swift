import Foundation
import Weft
import XCTest

/// The images of `Tests/Fixtures/Images` (written by `Tests/Fixtures/make_image_fixtures.py`)
/// and the pixels Pillow decodes each to, from its `expected.json`.
enum ImageFixtures {
    /// The folder of the fixture images.
    static let folder = ExportFixtures.path("Tests/Fixtures/Images")

    /// The path of fixture `name`.
    static func path(_ name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }

    /// The image Pillow decodes each fixture to (converted to 1 or 3 channels), by file name.
    static func expected() throws -> [String: PixelImage] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("expected.json")))
        guard let entries = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            throw WeftError(
                "\(path("expected.json")): not an object of images; run Tests/Fixtures/make_image_fixtures.py again")
        }
        return try entries.mapValues { entry in
            guard let width = entry["width"] as? Int, let height = entry["height"] as? Int,
                let channels = entry["channels"] as? Int, let pixels = entry["pixels"] as? [Int]
            else {
                throw WeftError(
                    "\(path("expected.json")): an incomplete entry; run Tests/Fixtures/make_image_fixtures.py again")
            }
            return PixelImage(width: width, height: height, channels: channels, pixels: pixels.map { UInt8($0) })
        }
    }

    /// The largest difference between two images' samples (nil when their sizes differ).
    static func maximumDifference(_ left: PixelImage, _ right: PixelImage) -> Int? {
        guard left.width == right.width, left.height == right.height, left.channels == right.channels else {
            return nil
        }
        return zip(left.pixels, right.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }
}

/// Asserts that `expression` throws a `WeftError` whose message is exactly `message`.
func assertWeftErrorMessage<T>(
    _ expression: @autoclosure () throws -> T, equals message: String, file: StaticString = #filePath,
    line: UInt = #line
) {
    do {
        _ = try expression()
        XCTFail("expected the WeftError \"\(message)\", got a result", file: file, line: line)
    } catch let error as WeftError {
        XCTAssertEqual(error.message, message, file: file, line: line)
    } catch {
        XCTFail("expected a WeftError, got \(error)", file: file, line: line)
    }
}
