import Foundation
import Weft
import WeftTestSupport
import XCTest

/// The real `weft import`, `weft export` and `weft predict` processes: a PyTorch model through
/// all three, and one clear sentence on stderr with exit status 1 for each kind of bad input.
final class ExportCommandTests: XCTestCase {
    private var weft: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("weft")
    }

    private struct Outcome {
        let status: Int32
        let output: String
        let errors: String
    }

    private func run(_ arguments: [String]) throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            throw missing("the weft executable is not built: run swift build --build-tests")
        }
        let outcome = try runProcess(weft, arguments)
        return Outcome(status: outcome.status, output: outcome.output, errors: outcome.errors)
    }

    /// Asserts that `arguments` fail with exactly one stderr line `error: ...` containing `fragments`.
    private func assertFails(
        _ arguments: [String], containing fragments: [String], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let outcome = try run(arguments)
        XCTAssertEqual(
            outcome.status, 1, "weft \(arguments.joined(separator: " ")): \(outcome.errors)", file: file, line: line)
        let lines = outcome.errors.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line on stderr: \(outcome.errors)", file: file, line: line)
        XCTAssertTrue(outcome.errors.hasPrefix("error: "), outcome.errors, file: file, line: line)
        for fragment in fragments where !outcome.errors.contains(fragment) {
            XCTFail("stderr \"\(outcome.errors)\" lacks \"\(fragment)\"", file: file, line: line)
        }
    }

    /// A checkpoint imported from the PyTorch-trained quick model.
    private func importedCheckpoint(_ folder: TemporaryDirectory) throws -> String {
        let path = folder.file("quick.safetensors")
        let outcome = try run([
            "import", ExportFixtures.path("Configs/quick.json"),
            ExportFixtures.path("Tests/Fixtures/Torch/quick-trained.safetensors"),
            "--mean", "0.2860", "--std", "0.3530", "--output", path, "--threads", "2"
        ])
        XCTAssertEqual(outcome.status, 0, outcome.errors)
        XCTAssertTrue(
            outcome.output.contains("wrote \(path): Weft checkpoint of quick, 9114 parameters"), outcome.output)
        return path
    }

    func testImportThenPredictAndExportEachFormat() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = try importedCheckpoint(folder)
        for format in ExportFormat.allCases {
            let output = folder.file("model.\(format.fileExtension)")
            let outcome = try run(["export", checkpoint, "--output", output])
            XCTAssertEqual(outcome.status, 0, outcome.errors)
            XCTAssertTrue(outcome.output.hasPrefix("wrote \(output): "), outcome.output)
            XCTAssertTrue(FileManager.default.fileExists(atPath: output))
        }
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed: run Tests/setup.sh (it installs dataset-fashion-mnist)")
        }
        let images = FashionMNIST.defaultDirectory + "/t10k-images-idx3-ubyte.gz",
            labels = FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz"
        let text = try run([
            "predict", checkpoint, "--idx", images, "--labels", labels, "--range", "0..<4", "--top", "2", "--threads",
            "2"
        ])
        XCTAssertEqual(text.status, 0, text.errors)
        let lines = text.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 5, text.output)
        XCTAssertTrue(lines[0].hasPrefix("\(images) #0: Ankle boot "), text.output)
        XCTAssertTrue(lines[4].hasPrefix("accuracy: "), text.output)
        // --tta replaces the config's views (the imported config has none).
        let flipped = try run([
            "predict", checkpoint, "--idx", images, "--labels", labels, "--range", "0..<4", "--tta", "flip"
        ])
        XCTAssertEqual(flipped.status, 0, flipped.errors)
        XCTAssertTrue(flipped.output.contains("with TTA flip, 2 views"), flipped.output)
        XCTAssertFalse(text.output.contains("TTA"), text.output)
        let wrong = try run(["predict", checkpoint, "--idx", images, "--tta", "mirror"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertEqual(wrong.errors, "error: --tta must be flip, shift1, flip,shift1 or none, got \"mirror\"\n")
        let json = try run(["predict", checkpoint, "--idx", images, "--range", "2...3", "--json"])
        XCTAssertEqual(json.status, 0, json.errors)
        let document = try JSONParser.parse(json.output, source: "predict --json")
        XCTAssertEqual(document["predictions"]?.items.count, 2)
        XCTAssertEqual(document["predictions"]?.items.first?["index"], .number(2))
        XCTAssertEqual(document["predictions"]?.items.first?["top"]?.items.count, 3)
        XCTAssertEqual(document["predictions"]?.items.first?["top"]?.items.first?["class"], .string("Trouser"))

        let test = try FashionMNIST.load(.test)
        let picture = folder.file("boot.png")
        try PNGFile.write(
            PixelImage(width: 28, height: 28, channels: 1, pixels: Array(test.imageBytes(at: 0))).resized(
                width: 56, height: 56
            ).inverted, to: picture)
        let photo = try run(["predict", checkpoint, picture, "--top", "1"])
        XCTAssertEqual(photo.status, 0, photo.errors)
        XCTAssertTrue(
            photo.output.hasPrefix("\(picture): Ankle boot ")
                && photo.output.contains("(56×56 resized to 28×28, inverted)"), photo.output)
        // The same picture as a JPEG.
        let jpeg = try folder.write(try JPEGFile.encode(try PNGFile.read(path: picture), quality: 95), to: "boot.jpg")
        let fromJPEG = try run(["predict", checkpoint, jpeg, "--top", "1"])
        XCTAssertEqual(fromJPEG.status, 0, fromJPEG.errors)
        XCTAssertTrue(
            fromJPEG.output.hasPrefix("\(jpeg): ") && fromJPEG.output.contains("(56×56 resized to 28×28, inverted)"),
            fromJPEG.output)
    }

    func testBadInputGivesOneClearSentence() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = try importedCheckpoint(folder)
        // A corrupt checkpoint.
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        bytes[bytes.count - 5] ^= 0x01
        let corrupt = try folder.write(bytes, to: "corrupt.safetensors")
        try assertFails(
            ["export", corrupt, "--format", "onnx", "--output", folder.file("x.onnx")],
            containing: ["corrupt.safetensors: the data's CRC-32 does not match", "use another checkpoint"])
        try assertFails(
            ["predict", corrupt, "anything.png"], containing: ["corrupt.safetensors: the data's CRC-32 does not match"])
        // An unknown format, and none at all.
        try assertFails(
            ["export", checkpoint, "--format", "tflite", "--output", folder.file("x.tflite")],
            containing: ["unknown export format \"tflite\"; use one of safetensors, npz, onnx"])
        try assertFails(
            ["export", checkpoint, "--output", folder.file("weights.bin")],
            containing: ["weights.bin: the extension names no export format; pass --format safetensors, npz or onnx"])
        // An unwritable output path.
        try assertFails(
            ["export", checkpoint, "--output", folder.file("missing/folder/model.onnx")],
            containing: [
                "missing/folder/model.onnx: cannot create a temporary file beside it",
                "check that the folder exists and is writable"
            ])
        // A truncated JPEG.
        let truncated = ImageFixtures.path("truncated.jpg")
        try assertFails(
            ["predict", checkpoint, truncated],
            containing: ["\(truncated): cannot decode the JPEG (Premature end of JPEG file); the file is damaged"])
        // An image that is not an image.
        let text = try folder.write(Array("not a picture\n".utf8), to: "shirt.png")
        try assertFails(
            ["predict", checkpoint, text],
            containing: [
                "shirt.png: not a PNG, JPEG or PGM image (unrecognised first bytes); convert it to PNG, JPEG or PGM"
            ])
        try assertFails(["predict", checkpoint, "--idx", text], containing: ["shirt.png: not an IDX file"])
        // A bad range.
        if FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) {
            let images = FashionMNIST.defaultDirectory + "/t10k-images-idx3-ubyte.gz"
            try assertFails(
                ["predict", checkpoint, "--idx", images, "--range", "5..<2"],
                containing: ["--range must look like 0..<10, 0...9 or 7"])
            try assertFails(
                ["predict", checkpoint, "--idx", images, "--range", "9990..<10010"],
                containing: ["holds 10000 images, but --range 9990..<10010 goes up to index 10009"])
        }
        // A torch file whose shapes do not fit the config.
        try assertFails(
            [
                "import", ExportFixtures.path("Configs/cnn.json"),
                ExportFixtures.path("Tests/Fixtures/Torch/quick-trained.safetensors"),
                "--mean", "0.2860", "--std", "0.3530", "--output", folder.file("x.safetensors")
            ],
            containing: [
                "quick-trained.safetensors: the weights do not fit the model of",
                "0.weight has shape [8, 1, 3, 3] but the model needs [32, 1, 3, 3]"
            ])
        try assertFails(
            [
                "import", ExportFixtures.path("Configs/quick.json"),
                ExportFixtures.path("Tests/Fixtures/Torch/quick-trained.safetensors"),
                "--mean", "0.2860", "--output", folder.file("x.safetensors")
            ],
            containing: ["--mean and --std go together"])
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: folder.file("x.safetensors")), "nothing is written on failure")
    }
}
