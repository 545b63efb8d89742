import Weft
import XCTest

/// JPEG decoding against Pillow's decode of the same files (`Tests/Fixtures/Images`), the
/// refusals of damaged and hostile files, and encoding.
final class JPEGFileTests: XCTestCase {
    func testEveryJPEGIsWithinTwoOfPillow() throws {
        let expected = try ImageFixtures.expected()
        let names = expected.keys.filter { $0.hasSuffix(".jpg") && $0 != "png-named.jpg" }.sorted()
        XCTAssertEqual(names.count, 6)
        var largest = 0
        for name in names {
            let image = try JPEGFile.read(path: ImageFixtures.path(name))
            guard let difference = ImageFixtures.maximumDifference(image, expected[name]!) else {
                XCTFail("\(name): \(image.width)×\(image.height)×\(image.channels), not Pillow's size")
                continue
            }
            print("\(name): \(image.width)×\(image.height)×\(image.channels), max difference from Pillow \(difference)")
            XCTAssertLessThanOrEqual(difference, 2, name)
            largest = max(largest, difference)
        }
        print("JPEG: the largest difference from Pillow is \(largest)")
    }

    func testDamagedFilesAreRefusedWithOneSentence() throws {
        let cases = [
            ("truncated.jpg", "cannot decode the JPEG (Premature end of JPEG file); the file is damaged"),
            ("bad-header.jpg", "cannot read the JPEG header (Unsupported JPEG data precision 12); the file is damaged"),
            (
                "cmyk.jpg",
                "the JPEG holds CMYK colour, which Weft does not read; convert it to RGB first (for example with Pillow's Image.convert(\"RGB\"))"
            )
        ]
        for (name, message) in cases {
            let path = ImageFixtures.path(name)
            assertWeftErrorMessage(try JPEGFile.read(path: path), equals: "\(path): \(message)")
            assertWeftErrorMessage(try PixelImage.read(path: path), equals: "\(path): \(message)")
        }
        let empty = ImageFixtures.path("empty.jpg")
        assertWeftErrorMessage(
            try PixelImage.read(path: empty),
            equals: "\(empty): the file is empty (0 bytes), not an image; pass a PNG, JPEG or PGM image")
        assertWeftErrorMessage(
            try JPEGFile.read(path: empty),
            equals: "\(empty): not a JPEG file (it lacks the JPEG signature FF D8 FF); pass a JPEG image")
        let text = Array("just text".utf8)
        assertWeftErrorMessage(
            try ImageFile.decode(text, name: "notes.jpg"),
            equals: "notes.jpg: not a PNG, JPEG or PGM image (unrecognised first bytes); convert it to PNG, JPEG or PGM"
        )
    }

    func testEveryCutOfAJPEGIsAnError() throws {
        let bytes = try GzipFile.readRaw(path: ImageFixtures.path("small.jpg"))
        for length in 0..<bytes.count {
            assertThrowsWeftError(
                try JPEGFile.decode(Array(bytes[..<length]), name: "cut.jpg"), containing: ["cut.jpg: "],
                "length \(length)")
        }
    }

    func testHostileHeadersAreRefusedBeforeAllocating() throws {
        let bytes = try GzipFile.readRaw(path: ImageFixtures.path("rgb-q75-420.jpg"))
        guard let frame = (0..<(bytes.count - 1)).first(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }) else {
            return XCTFail("rgb-q75-420.jpg has no baseline frame header")
        }
        func claiming(width: Int, height: Int) -> [UInt8] {
            var changed = bytes
            changed[frame + 5] = UInt8(height >> 8)
            changed[frame + 6] = UInt8(height & 0xFF)
            changed[frame + 7] = UInt8(width >> 8)
            changed[frame + 8] = UInt8(width & 0xFF)
            return changed
        }
        assertWeftErrorMessage(
            try JPEGFile.decode(claiming(width: 40000, height: 11), name: "wide.jpg"),
            equals:
                "wide.jpg: the JPEG claims 40000×11 pixels, outside what Weft reads (1 to 32768 a side); pass a smaller image"
        )
        assertWeftErrorMessage(
            try JPEGFile.decode(claiming(width: 30000, height: 30000), name: "huge.jpg"),
            equals:
                "huge.jpg: the JPEG claims 30000×30000 pixels, more than its \(bytes.count) bytes can hold; the file is damaged or truncated"
        )
        assertWeftErrorMessage(
            try JPEGFile.decode(claiming(width: 17, height: 0), name: "flat.jpg"),
            equals: "flat.jpg: cannot read the JPEG header (Empty JPEG image (DNL not supported)); the file is damaged")
        // Plausible for the byte count but not in the data: libjpeg runs out of data.
        assertWeftErrorMessage(
            try JPEGFile.decode(claiming(width: 400, height: 300), name: "short.jpg"),
            equals:
                "short.jpg: cannot decode the JPEG (Corrupt JPEG data: premature end of data segment); the file is damaged"
        )
    }

    func testExtraneousBytesAreToleratedAsPillowDoes() throws {
        let bytes = try GzipFile.readRaw(path: ImageFixtures.path("small.jpg"))
        let padded = Array(bytes.dropLast(2)) + [0x11, 0x22, 0x33] + Array(bytes.suffix(2))
        XCTAssertEqual(try JPEGFile.decode(padded, name: "padded.jpg"), try JPEGFile.decode(bytes, name: "small.jpg"))
    }

    func testPNGNamedJPGIsReadBySignature() throws {
        let path = ImageFixtures.path("png-named.jpg")
        XCTAssertEqual(try PixelImage.read(path: path), try ImageFixtures.expected()["rgb.png"])
        XCTAssertEqual(try ImageFile.read(path: path), try PNGFile.read(path: ImageFixtures.path("rgb.png")))
        assertThrowsWeftError(try JPEGFile.read(path: path), containing: [path, "not a JPEG file"])
        XCTAssertEqual(ImageFile.fileExtensions, ["png", "jpg", "jpeg", "pgm"])
    }

    func testEncodeDecodeRoundTrip() throws {
        for channels in [1, 3] {
            let pixels = (0..<(23 * 15 * channels)).map { index -> UInt8 in
                let pixel = index / channels, channel = index % channels
                return UInt8((pixel % 23) * 6 + (pixel / 23) * 3 + channel * 20)
            }
            let image = PixelImage(width: 23, height: 15, channels: channels, pixels: pixels)
            for (subsampling, progressive, tolerance) in [
                (JPEGFile.Subsampling.s444, false, 3), (.s420, false, 8), (.s422, true, 8)
            ] {
                let bytes = try JPEGFile.encode(image, quality: 95, subsampling: subsampling, progressive: progressive)
                XCTAssertTrue(JPEGFile.hasSignature(bytes))
                let decoded = try JPEGFile.decode(bytes, name: "memory.jpg")
                let difference = ImageFixtures.maximumDifference(decoded, image)
                print(
                    "round trip \(channels) channels \(subsampling) progressive \(progressive): max difference \(difference ?? -1)"
                )
                XCTAssertNotNil(difference)
                XCTAssertLessThanOrEqual(difference ?? .max, tolerance)
                XCTAssertEqual(try ImageFile.decode(bytes, name: "memory.jpg"), decoded)
            }
        }
    }
}
