import Weft
import XCTest

final class GzipFileTests: XCTestCase {
    private let payload: [UInt8] = (0..<5000).map { UInt8(($0 * $0 + 3 * $0) % 256) }

    func testPlainFileIsReadAsItIs() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(payload, to: "plain.bin")
        XCTAssertEqual(try GzipFile.read(path: path), payload)
    }

    func testGzipFileIsDecompressed() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.writeGzip(payload, to: "packed.bin.gz")
        XCTAssertEqual(try GzipFile.read(path: path), payload)
    }

    func testGzipIsRecognisedBySignatureWhateverTheName() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.writeGzip(payload, to: "packed-without-suffix")
        XCTAssertEqual(try GzipFile.read(path: path), payload)
    }

    func testConcatenatedMembersAreOneStream() throws {
        let directory = try TemporaryDirectory()
        let first = try GzipFile.readRaw(path: try directory.writeGzip(Array(payload[..<1000]), to: "a.gz"))
        let second = try GzipFile.readRaw(path: try directory.writeGzip(Array(payload[1000...]), to: "b.gz"))
        let path = try directory.write(first + second, to: "both.gz")
        XCTAssertEqual(try GzipFile.read(path: path), payload)
    }

    func testEmptyGzipStreamGivesNoBytes() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.writeGzip([], to: "empty.gz")
        XCTAssertEqual(try GzipFile.read(path: path), [])
    }

    func testMissingFileNamesTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("absent.gz")
        assertThrowsWeftError(try GzipFile.read(path: path), containing: [path, "cannot open"])
    }

    func testDirectoryIsRefused() throws {
        let directory = try TemporaryDirectory()
        assertThrowsWeftError(try GzipFile.read(path: directory.path), containing: [directory.path, "directory"])
    }

    func testGzSuffixWithoutGzipSignatureIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(payload, to: "plain.gz")
        assertThrowsWeftError(try GzipFile.read(path: path), containing: [path, "not gzip-compressed"])
    }

    func testTruncatedStreamAtEveryLengthIsAnError() throws {
        let directory = try TemporaryDirectory()
        let packed = try GzipFile.readRaw(path: try directory.writeGzip(payload, to: "whole.gz"))
        for length in 0..<packed.count {
            let path = try directory.write(Array(packed[..<length]), to: "cut.gz")
            assertThrowsWeftError(try GzipFile.read(path: path), containing: [path], "length \(length)")
        }
    }

    func testCorruptedStreamIsAnError() throws {
        let directory = try TemporaryDirectory()
        let packed = try GzipFile.readRaw(path: try directory.writeGzip(payload, to: "whole.gz"))
        // Past the 10-byte header (whose time stamp and OS bytes are not checked), every byte counts.
        for position in 10..<packed.count {
            var damaged = packed
            damaged[position] ^= 0x5A
            let path = try directory.write(damaged, to: "damaged.gz")
            assertThrowsWeftError(try GzipFile.read(path: path), containing: [path], "byte \(position)")
        }
    }

    func testTrailingGarbageIsAnError() throws {
        let directory = try TemporaryDirectory()
        let packed = try GzipFile.readRaw(path: try directory.writeGzip(payload, to: "whole.gz"))
        let path = try directory.write(packed + Array("extra".utf8), to: "trailing.gz")
        assertThrowsWeftError(try GzipFile.read(path: path), containing: [path, "follow the gzip stream"])
    }

    func testDecompressionLimitIsEnforced() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.writeGzip([UInt8](repeating: 7, count: 100_000), to: "large.gz")
        assertThrowsWeftError(try GzipFile.read(path: path, maximumBytes: 50_000), containing: [path, "50000"])
        XCTAssertEqual(try GzipFile.read(path: path, maximumBytes: 100_000).count, 100_000)
    }
}
