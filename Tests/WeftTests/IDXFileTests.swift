import Weft
import XCTest

final class IDXFileTests: XCTestCase {
    private let sample = DataFixtures.imageFile(count: 3, height: 4, width: 5)

    func testRoundTripPlainAndGzipped() throws {
        let directory = try TemporaryDirectory()
        for path in [
            try directory.write(sample.encoded(), to: "images-idx3-ubyte"),
            try directory.writeGzip(sample.encoded(), to: "images-idx3-ubyte.gz")
        ] {
            let file = try IDXFile(path: path)
            XCTAssertEqual(file.dimensions, [3, 4, 5])
            XCTAssertEqual(file.bytes, sample.bytes)
        }
    }

    func testHeaderIsBigEndian() throws {
        let wide = IDXFile(dimensions: [1, 300], bytes: [UInt8](repeating: 9, count: 300))
        XCTAssertEqual(Array(wide.encoded()[0..<12]), [0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 1, 44])
        XCTAssertEqual(try IDXFile(contents: wide.encoded(), name: "wide").dimensions, [1, 300])
    }

    func testTruncatedAtEveryLengthNamesTheFile() throws {
        let directory = try TemporaryDirectory()
        let whole = sample.encoded()
        for length in 0..<whole.count {
            let path = try directory.write(Array(whole[..<length]), to: "cut-idx3-ubyte")
            assertThrowsWeftError(try IDXFile(path: path), containing: [path], "length \(length)")
        }
        let path = try directory.write(Array(whole.dropLast(7)), to: "short-idx3-ubyte")
        assertThrowsWeftError(try IDXFile(path: path), containing: [path, "truncated", "need 60 bytes", "has 53"])
    }

    func testTruncatedGzipAtManyLengthsNamesTheFile() throws {
        let directory = try TemporaryDirectory()
        let packed = try GzipFile.readRaw(path: try directory.writeGzip(sample.encoded(), to: "whole.gz"))
        for length in 0..<packed.count {
            let path = try directory.write(Array(packed[..<length]), to: "cut-idx3-ubyte.gz")
            assertThrowsWeftError(try IDXFile(path: path), containing: [path], "length \(length)")
        }
    }

    func testTrailingBytesAreRefused() throws {
        assertThrowsWeftError(
            try IDXFile(contents: sample.encoded() + [1, 2], name: "long.idx"),
            containing: ["long.idx", "2 trailing bytes", "need 60 bytes", "has 62"])
    }

    func testWrongMagicIsRefused() throws {
        var bytes = sample.encoded()
        bytes[0] = 0x1F
        assertThrowsWeftError(
            try IDXFile(contents: bytes, name: "magic.idx"), containing: ["magic.idx", "not an IDX file"])
        assertThrowsWeftError(
            try IDXFile(contents: Array("P5\n28 28\n255\n".utf8), name: "image.pgm"),
            containing: ["image.pgm", "not an IDX file"])
    }

    func testOtherDataTypesAreRefusedByName() throws {
        var bytes = sample.encoded()
        bytes[2] = 0x0D
        assertThrowsWeftError(
            try IDXFile(contents: bytes, name: "floats.idx"),
            containing: ["floats.idx", "32-bit float", "0x0d", "unsigned-byte"])
        bytes[2] = 0x42
        assertThrowsWeftError(try IDXFile(contents: bytes, name: "odd.idx"), containing: ["odd.idx", "unknown"])
    }

    func testRanksOutsideOneToFourAreRefused() throws {
        for rank: UInt8 in [0, 5, 255] {
            var bytes = sample.encoded()
            bytes[3] = rank
            assertThrowsWeftError(
                try IDXFile(contents: bytes, name: "rank.idx"), containing: ["rank.idx", "rank \(rank)"])
        }
    }

    func testAbsurdDimensionsAreRefusedBeforeAllocating() throws {
        // Three dimensions of 2³²-1: the product overflows 64 bits.
        let header: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12) + [1, 2, 3]
        assertThrowsWeftError(
            try IDXFile(contents: header, name: "huge.idx"),
            containing: ["huge.idx", "4294967295×4294967295×4294967295"])
        // 1,000,000 images of 10,000 × 10,000: 10¹⁴ bytes, above the limit.
        let big: [UInt8] = [0, 0, 8, 3, 0x00, 0x0F, 0x42, 0x40, 0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10]
        assertThrowsWeftError(
            try IDXFile(contents: big, name: "big.idx"), containing: ["big.idx", "1000000×10000×10000"])
    }

    func testZeroSizedDimensionIsAnEmptyPayload() throws {
        let empty = try IDXFile(contents: [0, 0, 8, 1, 0, 0, 0, 0], name: "empty.idx")
        XCTAssertEqual(empty.dimensions, [0])
        XCTAssertEqual(empty.bytes, [])
    }

    func testRandomBytesNeverCrash() throws {
        var generator = RandomGenerator(seed: 11)
        var accepted = 0
        for trial in 0..<2000 {
            let length = generator.nextInt(below: 40)
            var bytes = (0..<length).map { _ in UInt8(generator.nextInt(below: 256)) }
            if trial % 2 == 0, bytes.count >= 4 {  // half the trials get a plausible header
                bytes[0] = 0; bytes[1] = 0; bytes[2] = 8; bytes[3] = UInt8(1 + generator.nextInt(below: 4))
            }
            do {
                let file = try IDXFile(contents: bytes, name: "fuzz")
                XCTAssertEqual(file.dimensions.reduce(1, *), file.bytes.count)
                accepted += 1
            } catch is WeftError {
                continue
            }
        }
        XCTAssertLessThan(accepted, 2000)
    }
}
