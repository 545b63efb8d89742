import Foundation
import Weft
import XCTest

/// Every reader besides JSON on large but well-formed hostile files: checkpoint headers with
/// hundreds of thousands of keys or tensors, images and datasets whose headers promise far more
/// than the file holds, search files whose grid overflows. Each is read correctly or refused with
/// its clear error, in time linear in the file and without allocating what the header claims.
final class HostileFileTests: XCTestCase {
    /// A Weft checkpoint of a 16 → 3 logistic regression, untrained.
    private func checkpoint() throws -> Checkpoint {
        let text = """
            {"name": "hostile", "data": {"dataset": "fashion-mnist", "classNames": ["a", "b", "c"]},
             "model": {"input": [1, 4, 4], "layers": [{"type": "flatten"}, {"type": "dense", "units": 3}]},
             "training": {"epochs": 1, "batchSize": 2, "optimizer": {"type": "sgd", "learningRate": 0.1}}}
            """
        let config = try TrainingConfig(
            json: try JSONParser.parse(text, source: "hostile.json"), source: "hostile.json")
        var generator = RandomGenerator(seed: 1)
        let model = try ModelBuilder(config: config.model, source: "hostile.json").build(generator: &generator)
        return Checkpoint(
            untrained: TrainedModel(config: config, model: model, normalization: .unit, classNames: ["a", "b", "c"]))
    }

    func testACheckpointWithAQuarterMillionMetadataKeysReads() throws {
        let directory = try TemporaryDirectory()
        let original = try checkpoint().file
        let extra = (0..<250_000).map { (key: "note\($0)", value: "v") }
        let path = try directory.write(
            SafetensorsFile(metadata: original.metadata + extra, entries: original.entries).encoded(),
            to: "many-keys.safetensors")
        let read = try Checkpoint(path: path)
        XCTAssertEqual(read.file.metadata.count, original.metadata.count + 250_000 + 2)  // + the two CRC-32s
        XCTAssertEqual(read.config.name, "hostile")
        XCTAssertEqual(read.file.metadata("note249999"), "v")
        XCTAssertEqual(read.classNames, ["a", "b", "c"])
    }

    func testAHeaderWithOneHundredThousandTensorsReadsAndADuplicateIsPlaced() throws {
        let entries = (0..<100_000).map { SafetensorsFile.Entry(name: "t\($0)", shape: [1], values: [Float($0)]) }
        let bytes = SafetensorsFile(metadata: [], entries: entries).encoded()
        let decoded = try SafetensorsFile.decode(bytes, name: "tensors.safetensors", requireChecksums: true)
        XCTAssertEqual(decoded.entries.count, 100_000)
        XCTAssertEqual(decoded.entriesByName()["t99999"]?.values, [99_999])

        // The same header with its last tensor renamed to an earlier one's name (same length).
        var header = Array(bytes[8..<(8 + Int(bytes[0]) + Int(bytes[1]) << 8 + Int(bytes[2]) << 16)])
        let last = Array("\"t99999\"".utf8), earlier = Array("\"t12345\"".utf8)
        guard
            let start = (0...(header.count - last.count)).last(where: {
                header[$0..<$0 + last.count].elementsEqual(last)
            })
        else {
            return XCTFail("test setup: no t99999")
        }
        header.replaceSubrange(start..<start + last.count, with: earlier)
        let renamed = Array(bytes[0..<8]) + header + Array(bytes[(8 + header.count)...])
        assertThrowsWeftError(
            try SafetensorsFile.decode(renamed, name: "dup.safetensors"),
            containing: [
                "dup.safetensors: the header is not valid JSON (line 1, column \(start + 1): duplicate key \"t12345\")",
                "not a Weft checkpoint"
            ])
    }

    func testAHeaderNestedTooDeeplyIsRefusedWithThePlace() {
        var text = "{\"__metadata__\": {\"a\": " + String(repeating: "[", count: 100_000) + "}}"
        while text.utf8.count % 8 != 0 { text += " " }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += Array(text.utf8)
        assertThrowsWeftError(
            try SafetensorsFile.decode(bytes, name: "deep.safetensors"),
            containing: [
                "deep.safetensors: the header is not valid JSON (line 1, column 222, at ",
                "nested deeper than 200 levels"
            ])
    }

    func testAPNGClaimingAGigapixelFromAFewBytesIsRefusedBeforeAllocating() throws {
        let small = try PNGFile.encode(PixelImage(width: 2, height: 2, channels: 1, pixels: [0, 1, 2, 3]))
        // IHDR's width and height sit at bytes 16...23; the chunk's CRC (29...32) is recomputed.
        var hostile = small
        hostile.replaceSubrange(16..<24, with: [0, 0, 0x80, 0, 0, 0, 0x80, 0])
        let crc = CRC32.checksum(hostile[12..<29])
        hostile.replaceSubrange(
            29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        assertThrowsWeftError(
            try PNGFile.decode(hostile, name: "giga.png"),
            containing: ["giga.png: the PNG claims 32768×32768 pixels, more than its \(hostile.count) bytes can hold"])
        // A large image that really is in the file (4096×4096 of mostly zeros, a few KiB) reads.
        var pixels = [UInt8](repeating: 0, count: 4096 * 4096)
        pixels[4096 * 4096 - 1] = 200
        let large = PixelImage(width: 4096, height: 4096, channels: 1, pixels: pixels)
        XCTAssertEqual(try PNGFile.decode(try PNGFile.encode(large), name: "large.png"), large)
    }

    func testAPGMClaimingAGigapixelIsRefusedBeforeReserving() {
        for (header, fragment) in [
            (
                "P2\n32768 32768\n255\n0 0 0\n",
                "the ASCII PGM is truncated: 32768×32768 pixels need at least 2147483647 bytes"
            ),
            ("P5\n32768 32768\n255\n\u{0}\u{0}", "the PGM is truncated: 32768×32768 pixels need 1073741824 bytes"),
            ("P2\n1234567890 1\n255\n0\n", "lacks its"), ("P2\n2 1\n255\n0 1234567890\n", "1 of its 2 samples")
        ] {
            assertThrowsWeftError(
                try PGMFile.decode(Array(header.utf8), name: "giga.pgm"), containing: ["giga.pgm: ", fragment], header)
        }
        let ascii = "P2 1000 1000 255\n" + Array(repeating: "7", count: 1_000_000).joined(separator: " ")
        XCTAssertEqual(try PGMFile.decode(Array(ascii.utf8), name: "big.pgm").pixels.count, 1_000_000)
    }

    func testAGzipBombBehindAnIDXHeaderStopsWhereTheHeaderEnds() throws {
        let directory = try TemporaryDirectory()
        // The header declares 10 labels; the stream goes on with 64 MiB of zeros.
        let bomb = IDXFile(dimensions: [10], bytes: Array(0..<10)).encoded() + [UInt8](repeating: 0, count: 64 << 20)
        let path = try directory.writeGzip(bomb, to: "labels-idx1-ubyte.gz")
        XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0, 1 << 20)
        assertThrowsWeftError(try IDXFile(path: path), containing: [path, "decompresses to more than 19 bytes"])
        let fine = try directory.writeGzip(
            IDXFile(dimensions: [3, 2, 2], bytes: Array(0..<12)).encoded(), to: "images-idx3-ubyte.gz")
        XCTAssertEqual(try IDXFile(path: fine).bytes, Array(0..<12))
    }

    /// Each of these convolutions has 2⁵² weights (65536 × 65536 × 1023²), which fits; 3,001 of
    /// them overflowed the parameter sum, and `weft inspect` crashed instead of refusing the model.
    func testAModelWhoseParameterCountOverflowsIsRefused() throws {
        let layer = #"{"type": "conv2d", "filters": 65536, "kernel": 1023, "padding": 511}"#
        let text = """
            {"name": "x", "data": {"dataset": "fashion-mnist"}, "model": {"input": [1, 1023, 1023], "layers": [
              {"type": "conv2d", "filters": 65536, "kernel": 1023}, \(Array(repeating: layer, count: 3000).joined(separator: ", "))]},
             "training": {"epochs": 1, "batchSize": 2, "optimizer": {"type": "sgd", "learningRate": 0.1}}}
            """
        let config = try TrainingConfig(json: try JSONParser.parse(text, source: "c.json"), source: "c.json")
        assertThrowsWeftError(
            try ModelBuilder(config: config.model, source: "c.json"),
            containing: [
                "c.json: model.layers: the model would have more than \(Int.max) parameters, more than the 500000000"
            ])
    }

    func testAGridThatOverflowsAnIntegerAndPathsThousandsOfStepsDeepAreRefused() throws {
        let members = (0..<20).map { "\"model.layers[\($0)].filters\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]" }
        let space = try SearchSpace(
            json: try JSONParser.parse("{\(members.joined(separator: ", "))}", source: "s.json"), source: "s.json")
        XCTAssertEqual(space.gridSize, Int.max, "10^20 grid points do not fit in an Int")
        let config = try TrainingConfig(
            json: try JSONParser.parse(
                """
                {"name": "x", "data": {"dataset": "fashion-mnist"}, "model": {"input": [1, 4, 4], "layers": [{"type": "flatten"}]},
                 "training": {"epochs": 1, "batchSize": 2, "optimizer": {"type": "sgd", "learningRate": 0.1}}}
                """, source: "c.json"), source: "c.json")
        assertThrowsWeftError(
            try TuneSpec(
                source: "c.json", config: config, space: space, folds: 3, trials: nil, seed: 1,
                halving: false, eta: 3, dataDirectory: nil, threads: 1),
            containing: ["the grid has more than 9223372036854775807 candidates"])

        for key in [
            String(repeating: "a.", count: 100_000) + "b", "model.layers" + String(repeating: "[0]", count: 100_000)
        ] {
            assertThrowsWeftError(try ConfigOverride("\(key)=1"), containing: ["the key path has more than 64 steps"])
            assertThrowsWeftError(
                try SearchSpace(json: .object([(key, .array([.number(1)]))]), source: "s.json"),
                containing: ["not a config path"])
        }
    }
}
