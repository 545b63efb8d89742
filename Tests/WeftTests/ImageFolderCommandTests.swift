import Foundation
import Weft
import XCTest

/// A colour model trained on a folder of PNG files of mixed sizes goes through the same commands
/// as a Fashion-MNIST one: `weft data`, `train`, `evaluate`, `predict` and `export`.
final class ImageFolderCommandTests: XCTestCase {
    private func fixtureCopy() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/Datasets/folder")
        try FileManager.default.copyItem(atPath: source.path, toPath: directory.file("folder"))
        return directory
    }

    /// A small RGB model over the fixture folder (9 training images in 3 classes, 6 test images).
    private func config(in data: TemporaryDirectory, test: Bool) throws -> String {
        let testLine = test ? #""test": "folder/test","# : ""
        let text = """
            { "name": "colour",
              "data": { "dataset": "imageFolder", "directory": "\(data.path)", "train": "folder/train", \(testLine)
                        "resize": "centerCrop", "validationFraction": 0.34, "augment": { "horizontalFlip": true } },
              "model": { "input": [3, 8, 8], "layers": [
                  { "type": "conv2d", "filters": 4, "kernel": 3, "padding": 1 }, { "type": "batchNorm" },
                  { "type": "relu" }, { "type": "flatten" }, { "type": "dense", "units": 3 } ] },
              "training": { "epochs": 2, "batchSize": 4, "seed": 3,
                            "optimizer": { "type": "adam", "learningRate": 0.01 } },
              "checkpoint": { "directory": "\(data.file("run"))" } }
            """
        return try Array(text.utf8).writing(to: data.file("colour.json"))
    }

    func testAColourModelOfImageFilesTrainsEvaluatesPredictsAndExports() throws {
        let data = try fixtureCopy()
        let config = try config(in: data, test: true)
        let described = try ReportTests.weft(["data", config])
        XCTAssertEqual(described.status, 0, described.errors)
        XCTAssertTrue(described.output.contains("train: 9 images of 3×8×8"), described.output)
        XCTAssertTrue(described.output.contains("per channel: mean ["), described.output)
        XCTAssertTrue(described.output.contains("resized to 8×8"), described.output)
        XCTAssertTrue(described.output.contains(" 2 Äpfel"), described.output)

        let trained = try ReportTests.weft(["train", config, "--threads", "1"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        XCTAssertTrue(
            trained.output.contains("from the cache"), "weft data cached the decoded images: \(trained.output)")
        let checkpoint = data.file("run/last.safetensors")
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))

        let evaluated = try ReportTests.weft(["evaluate", checkpoint, "--json", data.file("metrics.json")])
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
        XCTAssertTrue(evaluated.output.contains("on the test split (6 images)"), evaluated.output)

        let augmented = try ReportTests.weft(["evaluate", checkpoint, "--tta", "flip,shift1"])
        XCTAssertEqual(augmented.status, 0, augmented.errors)
        XCTAssertTrue(augmented.output.contains("TTA flip+shift1 (10 views): loss "), augmented.output)
        XCTAssertFalse(evaluated.output.contains("TTA"), "no views without the option or the config section")
        let refused = try ReportTests.weft(["evaluate", checkpoint, "--tta", "rotate"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(
            refused.errors.contains("--tta must be flip, shift1, flip,shift1 or none, got \"rotate\""), refused.errors)

        let predicted = try ReportTests.weft([
            "predict", checkpoint, data.file("folder/test/Zebra/img0.png"), data.file("folder/test/apple/img1.png")
        ])
        XCTAssertEqual(predicted.status, 0, predicted.errors)
        XCTAssertEqual(
            predicted.output.split(separator: "\n").filter { $0.contains(".png: ") }.count, 2, predicted.output)
        XCTAssertFalse(predicted.output.contains("inverted"), "photos are not inverted: \(predicted.output)")

        let exported = try ReportTests.weft(["export", checkpoint, "--output", data.file("colour.onnx")])
        XCTAssertEqual(exported.status, 0, exported.errors)
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.file("colour.onnx")))
    }

    func testWithoutATestSplitTrainingWarnsAndEvaluateSaysSo() throws {
        let data = try fixtureCopy()
        let config = try config(in: data, test: false)
        let trained = try ReportTests.weft(["train", config, "--threads", "1"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        XCTAssertTrue(
            trained.output.contains("data.test is not set, so only the validation split is evaluated"), trained.output)
        let checkpoint = data.file("run/last.safetensors")
        let evaluated = try ReportTests.weft(["evaluate", checkpoint])
        XCTAssertEqual(evaluated.status, 1)
        XCTAssertTrue(
            evaluated.errors.contains(
                "\(checkpoint): the run's config names no test split (data.test is not set); use --split validation"),
            evaluated.errors)
        let validation = try ReportTests.weft(["evaluate", checkpoint, "--split", "validation"])
        XCTAssertEqual(validation.status, 0, validation.errors)
        XCTAssertTrue(validation.output.contains("on the validation split (3 images)"), validation.output)
        let report = try ReportTests.weft(["report", data.file("run"), "--output", data.file("report.html")])
        XCTAssertEqual(report.status, 0, report.errors)
        XCTAssertTrue(report.output.contains("(validation accuracy "), report.output)
        let page = try String(contentsOfFile: data.file("report.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("<h2>Validation set</h2>"))
        XCTAssertFalse(page.contains("<h2>Test set</h2>"))
    }
}

extension Array where Element == UInt8 {
    /// Writes the bytes to `path`; returns the path.
    fileprivate func writing(to path: String) throws -> String {
        try Data(self).write(to: URL(fileURLWithPath: path))
        return path
    }
}
