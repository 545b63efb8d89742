import Weft
import XCTest

final class PNGFileTests: XCTestCase {
    private func pattern(width: Int, height: Int, channels: Int) -> PixelImage {
        PixelImage(
            width: width, height: height, channels: channels,
            pixels: (0..<(width * height * channels)).map { UInt8(($0 * 37 + $0 / 7) % 256) })
    }

    func testGrayAndRGBRoundTripThroughAFile() throws {
        let directory = try TemporaryDirectory()
        for channels in [1, 3] {
            let image = pattern(width: 13, height: 7, channels: channels)
            let path = directory.file("image-\(channels).png")
            try PNGFile.write(image, to: path)
            XCTAssertEqual(try PNGFile.read(path: path), image)
            XCTAssertEqual(try PixelImage.read(path: path), image)
        }
    }

    func testRoundTripThroughMemory() throws {
        let image = pattern(width: 28, height: 28, channels: 1)
        let bytes = try PNGFile.encode(image)
        XCTAssertTrue(PNGFile.hasSignature(bytes))
        XCTAssertEqual(try PNGFile.decode(bytes, name: "memory"), image)
    }

    func testNonPNGIsRefusedByName() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(Array("just text, not an image".utf8), to: "fake.png")
        assertThrowsWeftError(try PNGFile.read(path: path), containing: [path, "not a PNG"])
        assertThrowsWeftError(try PixelImage.read(path: path), containing: [path, "not a PNG, JPEG or PGM"])
    }

    func testTruncatedAndDamagedPNGsAreErrors() throws {
        let directory = try TemporaryDirectory()
        let image = pattern(width: 16, height: 16, channels: 3)
        let bytes = try PNGFile.encode(image)
        // libpng stops after the image data: a file cut inside the final 12-byte IEND chunk still
        // holds every pixel and reads correctly; any earlier cut is an error.
        for length in 0..<(bytes.count - 12) {
            let path = try directory.write(Array(bytes[..<length]), to: "cut.png")
            assertThrowsWeftError(try PNGFile.read(path: path), containing: [path], "length \(length)")
        }
        for length in (bytes.count - 12)..<bytes.count {
            let path = try directory.write(Array(bytes[..<length]), to: "cut.png")
            if let read = try? PNGFile.read(path: path) { XCTAssertEqual(read, image) }
        }
        var damaged = bytes
        damaged[20] ^= 0xFF  // inside IHDR: its CRC no longer matches
        let path = try directory.write(damaged, to: "damaged.png")
        assertThrowsWeftError(try PNGFile.read(path: path), containing: [path])
    }

    func testMissingFileAndUnwritablePathAreErrors() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.file("absent.png")
        assertThrowsWeftError(try PNGFile.read(path: missing), containing: [missing])
        let unwritable = directory.file("no/such/directory/out.png")
        assertThrowsWeftError(
            try PNGFile.write(pattern(width: 2, height: 2, channels: 1), to: unwritable),
            containing: [unwritable, "cannot write"])
    }

    func testBinaryAndASCIIPGM() throws {
        let directory = try TemporaryDirectory()
        let binary = try directory.write(
            Array("P5\n# a comment\n3 2\n255\n".utf8) + [0, 10, 20, 30, 40, 255], to: "binary.pgm")
        let expected = PixelImage(width: 3, height: 2, channels: 1, pixels: [0, 10, 20, 30, 40, 255])
        XCTAssertEqual(try PGMFile.read(path: binary), expected)
        XCTAssertEqual(try PixelImage.read(path: binary), expected)
        let ascii = try directory.write(Array("P2 3 2 15\n0 1 2\n3 # comment\n 4 15\n".utf8), to: "ascii.pgm")
        XCTAssertEqual(try PGMFile.read(path: ascii).pixels, [0, 17, 34, 51, 68, 255])
        let wide = try directory.write(Array("P5 2 1 65535\n".utf8) + [0xFF, 0xFF, 0x80, 0x00], to: "wide.pgm")
        XCTAssertEqual(try PGMFile.read(path: wide).pixels, [255, 128])
    }

    func testDamagedPGMsAreErrors() throws {
        let directory = try TemporaryDirectory()
        let cases: [(String, [UInt8], String)] = [
            ("short.pgm", Array("P5\n3 2\n255\n".utf8) + [1, 2, 3], "truncated"),
            ("header.pgm", Array("P5\n3\n".utf8), "height"),
            ("size.pgm", Array("P5\n0 2\n255\n".utf8), "0×2"),
            ("maximum.pgm", Array("P2\n1 1\n0\n0\n".utf8), "maximum value"),
            ("sample.pgm", Array("P2\n2 1\n10\n3 11\n".utf8), "above the maximum"),
            ("letters.pgm", Array("P2\n2 1\n10\n3 x\n".utf8), "1 of its 2 samples"),
            ("huge.pgm", Array("P5\n999999999 999999999\n255\n".utf8), "999999999×999999999")
        ]
        for (name, bytes, fragment) in cases {
            let path = try directory.write(bytes, to: name)
            assertThrowsWeftError(try PGMFile.read(path: path), containing: [path, fragment], name)
        }
    }

    func testGrayscaleConversion() {
        let image = PixelImage(width: 2, height: 1, channels: 3, pixels: [255, 255, 255, 255, 0, 0])
        XCTAssertEqual(image.grayscale.pixels, [255, 76])
        XCTAssertEqual(image.planes, [255, 255, 255, 0, 255, 0])
    }
}
