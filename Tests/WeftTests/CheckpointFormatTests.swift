import Weft
import WeftTestSupport
import XCTest

/// The safetensors container: round trip, and refusal of every kind of damage.
final class CheckpointFormatTests: XCTestCase {
    private let sample = SafetensorsFile(
        metadata: [("format", "weft-checkpoint"), ("note", "x")],
        entries: [
            .init(name: "layers.0.weight", shape: [2, 3], values: [1, -2, 3.5, 0, .leastNonzeroMagnitude, -0.0]),
            .init(name: "layers.0.bias", shape: [2], values: [0.25, 7]),
            .init(name: "layers.1.batchesTracked", shape: [], values: [12])
        ])

    func testRoundTripKeepsEveryTensorBitForBitAndTheHeaderIsAligned() throws {
        let bytes = sample.encoded()
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        XCTAssertEqual(headerLength % 8, 0, "the header is padded to a multiple of 8")
        let decoded = try SafetensorsFile.decode(bytes, name: "x.safetensors", requireChecksums: true)
        XCTAssertEqual(decoded.entries.map(\.name), sample.entries.map(\.name))
        for (a, b) in zip(decoded.entries, sample.entries) {
            XCTAssertEqual(a.shape, b.shape)
            XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern), a.name)
        }
        XCTAssertEqual(decoded.metadata("note"), "x")
        XCTAssertNotNil(decoded.metadata("dataCrc32"))
    }

    func testTruncationAtEveryLengthIsRefused() {
        let bytes = sample.encoded()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(
                try SafetensorsFile.decode(
                    Array(bytes.prefix(length)), name: "cut.safetensors", requireChecksums: true),
                "a file cut to \(length) of \(bytes.count) bytes must be refused"
            ) { error in
                XCTAssertTrue((error as? WeftError)?.message.hasPrefix("cut.safetensors: ") == true, "\(error)")
            }
        }
    }

    func testEveryBitFlipInHeaderAndDataIsRefused() {
        let bytes = sample.encoded()
        for index in 0..<bytes.count {
            for bit in [0, 3, 7] {
                var damaged = bytes
                damaged[index] ^= UInt8(1 << bit)
                XCTAssertThrowsError(
                    try SafetensorsFile.decode(damaged, name: "flip.safetensors", requireChecksums: true),
                    "flipping bit \(bit) of byte \(index) must be refused")
            }
        }
    }

    func testForeignAndHostileHeadersAreRefusedBeforeAllocating() {
        func file(header: String, data: [UInt8] = []) -> [UInt8] {
            var text = header
            while text.utf8.count % 8 != 0 { text += " " }
            var bytes: [UInt8] = []
            withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            return bytes + Array(text.utf8) + data
        }
        let hostile: [(String, [UInt8])] = [
            (
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1000000000000, 1000000000000], \"data_offsets\": [0, 4]}}",
                [0, 0, 0, 0]
            ),
            (
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 1099511627776]}}",
                [0, 0, 0, 0, 0, 0, 0, 0]
            ),
            ("{\"a\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", [0, 0, 0, 0, 0, 0, 0, 0]),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", [0, 0, 0, 0]),
            (
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
                [0, 0, 0, 0]
            ),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", [0, 0, 0, 0, 9]),
            ("[1, 2, 3]", []),
            ("{\"__metadata__\": {\"x\": 3}}", [])
        ]
        for (header, data) in hostile {
            XCTAssertThrowsError(
                try SafetensorsFile.decode(file(header: header, data: data), name: "h.safetensors"), header)
        }
        var hugeLength: [UInt8] = []
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { hugeLength.append(contentsOf: $0) }
        XCTAssertThrowsError(try SafetensorsFile.decode(hugeLength + Array("{}      ".utf8), name: "h.safetensors")) {
            error in
            XCTAssertTrue(
                (error as? WeftError)?.message.contains("the header claims 1099511627776 bytes") == true, "\(error)")
        }
        XCTAssertThrowsError(
            try SafetensorsFile.decode(Array("PK\u{3}\u{4} this is a zip file".utf8), name: "z.safetensors"))
        // Without checksums (a file written by PyTorch), a well-formed file reads.
        XCTAssertNoThrow(
            try SafetensorsFile.decode(
                file(
                    header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
                    data: [0, 0, 128, 63]), name: "torch.safetensors"))
    }

    func testAtomicWriteReplacesTheFileLeavesNoTemporaryAndRefusesAMissingFolder() throws {
        let folder = NSTemporaryDirectory() + "weft-atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/a.safetensors"
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)
        XCTAssertEqual(FileManager.default.contents(atPath: path).map(Array.init), [4, 5])
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder), ["a.safetensors"],
            "no temporary file is left behind")
        XCTAssertThrowsError(try AtomicFile.write([1], to: folder + "/missing/b.safetensors")) { error in
            XCTAssertTrue((error as? WeftError)?.message.contains("missing/b.safetensors") == true, "\(error)")
        }
    }

    /// A real full disk: a 64 KiB tmpfs (needs root, as CI runs; skipped elsewhere unless
    /// `WEFT_REQUIRE_ALL=1`).
    func testFullDiskGivesAClearErrorAndKeepsTheOldFile() throws {
        let folder = NSTemporaryDirectory() + "weft-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        guard getuid() == 0 else {
            throw missing("mounting a small tmpfs needs root: run the tests as root (CI does)")
        }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", folder]) == 0 else {
            throw missing("mount -t tmpfs failed although root: a container needs CAP_SYS_ADMIN to mount")
        }
        defer { _ = run("/bin/umount", [folder]) }
        let path = folder + "/last.safetensors"
        let good = [UInt8](repeating: 7, count: 20_000)
        try AtomicFile.write(good, to: path)
        XCTAssertThrowsError(try AtomicFile.write([UInt8](repeating: 9, count: 100_000), to: path)) { error in
            let message = (error as? WeftError)?.message ?? ""
            XCTAssertTrue(
                message.hasPrefix(path) && message.contains("free disk space") && message.contains("unchanged"), message
            )
        }
        XCTAssertEqual(
            FileManager.default.contents(atPath: path).map(Array.init), good, "the previous file survives a full disk")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder), ["last.safetensors"],
            "the partial temporary file is removed")
    }

    private func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
