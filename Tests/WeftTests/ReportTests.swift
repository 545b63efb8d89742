import Foundation
import Weft
import WeftTestSupport
import XCTest

/// `weft train` writes a report; `weft report` and `weft evaluate` on a real run give the run's
/// own numbers; the page renders in headless Chromium; bad input is one sentence.
final class ReportTests: XCTestCase {
    static let weft = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
        "weft")
    static let root = NSTemporaryDirectory() + "weft-report-\(UUID().uuidString)"
    private static var trained: String?

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
        super.tearDown()
    }

    override func setUp() { Parallel.setThreadCount(2) }

    /// Runs the `weft` executable; returns its exit status, stdout and stderr.
    @discardableResult
    static func weft(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            throw missing("the weft executable is not built: run swift build --build-tests")
        }
        return try run(weft, arguments)
    }

    /// Runs `executable` with `arguments`, killing it after `timeout` seconds.
    static func run(_ executable: URL, _ arguments: [String], timeout: TimeInterval = 300) throws -> (
        status: Int32, output: String, errors: String
    ) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let directory = root + "/logs"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let outputPath = directory + "/\(UUID().uuidString).out", errorPath = directory + "/\(UUID().uuidString).err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (
            process.terminationStatus, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        )
    }

    /// A finished two-epoch run of `ResumeTests.configText` (640 training and 200 test images),
    /// trained once per test process by `weft train`, which writes its report.
    static func trainedRun() throws -> String {
        if let trained { return trained }
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist): run Tests/setup.sh")
        }
        let folder = root + "/run"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try ResumeTests.configText(folder: folder).write(toFile: root + "/run.json", atomically: true, encoding: .utf8)
        let result = try weft(["train", root + "/run.json", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(
            result.output.contains("report: \(folder)/report.html (test accuracy"), result.output + result.errors)
        trained = folder
        return folder
    }

    func testTrainWritesTheReportAndItsPNGs() throws {
        let folder = try Self.trainedRun()
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/report.html"))
        for name in RunReport.imageNames {
            let image = try PNGFile.read(path: folder + "/" + name)
            XCTAssertEqual(image.channels, 3, name)
            XCTAssertGreaterThan(image.width, 600, name)
            XCTAssertGreaterThan(image.height, 400, name)
            var colours = Set<Int>(), ink = 0
            for pixel in 0..<(image.width * image.height) {
                let red = Int(image.pixels[3 * pixel]), green = Int(image.pixels[3 * pixel + 1]),
                    blue = Int(image.pixels[3 * pixel + 2])
                colours.insert(red << 16 | green << 8 | blue)
                if red < 200 || blue < 200 { ink += 1 }
            }
            XCTAssertGreaterThanOrEqual(colours.count, 5, "\(name) has too few colours")
            XCTAssertGreaterThan(ink, image.width * image.height / 50, "\(name) is nearly blank")
        }
    }

    func testTrainWithNoReportWritesNone() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed: run Tests/setup.sh")
        }
        let folder = Self.root + "/quiet"
        try FileManager.default.createDirectory(atPath: Self.root, withIntermediateDirectories: true)
        try ResumeTests.configText(folder: folder, epochs: 1).write(
            toFile: Self.root + "/quiet.json", atomically: true, encoding: .utf8)
        let result = try Self.weft(["train", Self.root + "/quiet.json", "--threads", "2", "--no-report"])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/last.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/report.html"))
        XCTAssertFalse(result.output.contains("report:"))
    }

    func testReportAndEvaluationReproduceTheRunsOwnNumbers() throws {
        let folder = try Self.trainedRun()
        let report = try RunReport(target: folder)
        XCTAssertEqual(report.checkpoint.path, folder + "/last.safetensors")
        XCTAssertEqual(report.history.epochs.count, 2)
        XCTAssertEqual(report.history.source, folder + "/metrics.jsonl")
        // The test split as the trainer evaluated it at the end.
        XCTAssertEqual(report.evaluation.count, 200)
        XCTAssertEqual(report.evaluation.accuracy, try XCTUnwrap(report.history.testAccuracy))
        XCTAssertEqual(report.evaluation.loss, try XCTUnwrap(report.history.testLoss), accuracy: 1e-4)
        // The validation split recomputed from the config gives the last epoch's validation numbers.
        let validation = try ModelEvaluation.evaluate(checkpointPath: folder + "/last.safetensors", split: .validation)
            .evaluation
        XCTAssertEqual(validation.predictions.indices, report.data.validationIndices)
        XCTAssertEqual(validation.accuracy, try XCTUnwrap(report.history.epochs.last?.validationAccuracy))
        XCTAssertEqual(validation.loss, try XCTUnwrap(report.history.epochs.last?.validationLoss), accuracy: 1e-4)
        XCTAssertEqual(report.confusionChart.matrix.total, 200)
        XCTAssertGreaterThanOrEqual(report.evaluation.top2Accuracy, report.evaluation.accuracy)
        // The galleries and the feature projection.
        XCTAssertTrue(report.misclassified.allSatisfy { !$0.isCorrect })
        XCTAssertEqual(report.misclassified.map(\.probability), report.misclassified.map(\.probability).sorted(by: >))
        XCTAssertEqual(report.samples.count, 10)
        XCTAssertTrue(report.samples.enumerated().allSatisfy { label, items in items.allSatisfy { $0.label == label } })
        XCTAssertEqual(report.projection.indices.count, 200)
        XCTAssertEqual(report.projection.dimension, 4 * 14 * 14, "the input of the last dense layer")
        XCTAssertEqual(report.projection.layerIndex, 6)
        XCTAssertGreaterThan(report.projection.explainedVarianceRatio[0], report.projection.explainedVarianceRatio[1])
        XCTAssertEqual(report.parameterCount, report.model.model.parameters.reduce(0) { $0 + $1.tensor.count })
    }

    func testHTMLIsSelfContainedAndShowsTheAccuracyAndEveryClass() throws {
        let folder = try Self.trainedRun()
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        let accuracy = try XCTUnwrap(
            try RunHistory.load(folder: folder, checkpoint: Checkpoint(path: folder + "/last.safetensors")).testAccuracy
        )
        XCTAssertTrue(html.contains(String(format: "%.2f%%", 100 * accuracy)))
        for name in FashionMNIST.classNames { XCTAssertTrue(html.contains(HTML.escape(name)), name) }
        XCTAssertFalse(html.contains("<script"), "the report needs no script")
        XCTAssertFalse(
            html.contains("http://") || html.contains("https://") || html.contains("src=\"//"),
            "the report fetches nothing")
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "<svg ").count - 1, 5)
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1, 24 + 10)
        XCTAssertTrue(html.contains("Most confident mistakes") && html.contains("Resolved config"))
    }

    func testReportRendersInHeadlessChromium() throws {
        let folder = try Self.trainedRun()
        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw missing("chromium is not installed (Tests/setup.sh installs Debian's chromium)")
        }
        let page = "file://" + folder + "/report.html"
        let screenshot = NSTemporaryDirectory() + "weft-report-screenshot.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(Self.root)/chromium"
        ]
        let shot = try Self.run(
            URL(fileURLWithPath: chromium), flags + ["--screenshot=\(screenshot)", "--window-size=1200,3000", page],
            timeout: 120)
        XCTAssertEqual(shot.status, 0, shot.errors)
        let image = try PNGFile.read(path: screenshot)
        XCTAssertEqual(image.width, 1200)
        XCTAssertEqual(image.height, 3000)
        // Not blank: many colours, much ink, and the heat map's dark blue (an SVG drawn).
        var colours = Set<Int>(), ink = 0, darkBlue = 0
        for pixel in 0..<(image.width * image.height) {
            let red = Int(image.pixels[3 * pixel]), green = Int(image.pixels[3 * pixel + 1]),
                blue = Int(image.pixels[3 * pixel + 2])
            colours.insert(red << 16 | green << 8 | blue)
            if red + green + blue < 600 { ink += 1 }
            if blue > 80, blue > red + 50, red < 90 { darkBlue += 1 }
        }
        XCTAssertGreaterThan(colours.count, 200, "the screenshot has too few colours: blank?")
        XCTAssertGreaterThan(ink, image.width * image.height / 50, "the screenshot is nearly blank")
        XCTAssertGreaterThan(darkBlue, 500, "the confusion heat map did not render")
        let dom = try Self.run(URL(fileURLWithPath: chromium), flags + ["--dump-dom", page], timeout: 120)
        XCTAssertEqual(dom.status, 0, dom.errors)
        let report = try RunReport.locate(folder)
        let accuracy = try XCTUnwrap(
            try RunHistory.load(folder: report.folder, checkpoint: Checkpoint(path: report.checkpoint)).testAccuracy)
        XCTAssertTrue(
            dom.output.contains(String(format: "%.2f%%", 100 * accuracy)), "the rendered page lacks the accuracy")
        for name in FashionMNIST.classNames {
            XCTAssertTrue(dom.output.contains(name), "the rendered page lacks \(name)")
        }
        print("report screenshot: \(screenshot)")
    }

    func testEvaluateCommandPrintsTheReportAndWritesJSONAndCSV() throws {
        let folder = try Self.trainedRun()
        let json = Self.root + "/validation.json", csv = Self.root + "/validation.csv"
        let result = try Self.weft([
            "evaluate", folder + "/last.safetensors", "--split", "validation", "--json", json,
            "--predictions", csv, "--threads", "2"
        ])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("on the validation split"), result.output)
        XCTAssertTrue(result.output.contains("   precision    recall  f1-score   support"), result.output)
        XCTAssertTrue(
            result.output.contains("weighted avg") && result.output.contains("confusion matrix"), result.output)
        XCTAssertTrue(result.output.contains("9 Ankle boot"), result.output)
        let document = try JSONParser.parse(try String(contentsOfFile: json, encoding: .utf8), source: json)
        let history = try Checkpoint(path: folder + "/last.safetensors").state.history
        XCTAssertEqual(document["accuracy"], .number(try XCTUnwrap(history.last?.validationAccuracy)))
        XCTAssertNotNil(document["perClass"]?["Ankle boot"]?["f1"])
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "index,label,predicted," + FashionMNIST.classNames.joined(separator: ","))
        guard case .number(let images)? = document["images"] else { return XCTFail("no image count") }
        XCTAssertEqual(lines.count, Int(images) + 1)
    }

    /// Asserts a failed run with one `error:` line on stderr containing every fragment.
    private func assertOneSentence(
        _ result: (status: Int32, output: String, errors: String), _ fragments: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(result.status, 1, result.errors, file: file, line: line)
        let lines = result.errors.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one line, got: \(result.errors)", file: file, line: line)
        XCTAssertTrue(lines.first?.hasPrefix("error: ") == true, result.errors, file: file, line: line)
        for fragment in fragments where !result.errors.contains(fragment) {
            XCTFail("\"\(result.errors)\" does not mention \"\(fragment)\"", file: file, line: line)
        }
    }

    func testBadInputGivesOneClearSentence() throws {
        let folder = try Self.trainedRun()
        let checkpoint = folder + "/last.safetensors"
        // The dataset is missing.
        assertOneSentence(
            try Self.weft(["evaluate", checkpoint, "--data-dir", "/nonexistent"]),
            ["/nonexistent: the Fashion-MNIST directory does not exist", "--data-dir"])
        assertOneSentence(
            try Self.weft(["report", folder, "--data-dir", "/nonexistent", "--output", Self.root + "/x.html"]),
            ["/nonexistent: the Fashion-MNIST directory does not exist"])
        // A run folder without metrics (nor checkpoint).
        let empty = Self.root + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        assertOneSentence(
            try Self.weft(["report", empty]),
            ["\(empty): holds no metrics.jsonl and no checkpoint", "pass a run folder"])
        assertOneSentence(try Self.weft(["report", Self.root + "/no-such-run"]), ["no such run folder or checkpoint"])
        // Output paths in a missing folder: refused before any work.
        assertOneSentence(
            try Self.weft(["report", folder, "--output", "/nonexistent/folder/report.html"]),
            ["/nonexistent/folder/report.html: the folder /nonexistent/folder does not exist; create it first"])
        assertOneSentence(
            try Self.weft(["evaluate", checkpoint, "--json", "/nonexistent/folder/e.json"]),
            ["the folder /nonexistent/folder does not exist"])
        assertOneSentence(
            try Self.weft(["evaluate", checkpoint, "--predictions", "/nonexistent/folder/p.csv"]),
            ["the folder /nonexistent/folder does not exist"])
        let usage = try Self.weft(["evaluate", checkpoint, "--split", "holdout"])
        XCTAssertNotEqual(usage.status, 0)
        XCTAssertTrue(usage.errors.contains("--split must be test, validation or train"), usage.errors)
    }

    func testRunWithoutAFinishedEpochOrMetricsIsRefused() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed: run Tests/setup.sh")
        }
        let folder = Self.root + "/unfinished"
        let config = try TrainingConfig(
            json: try JSONParser.parse(ResumeTests.configText(folder: folder), source: "t.json"), source: "t.json")
        let progress = Progress(epochs: 2)
        progress.enabled = false
        let run = try TrainingRun(
            config: config, data: try TrainingData(config: config), source: "t.json", progress: progress)
        defer { run.release() }
        run.stopsWhen = { $0.step >= 2 }
        guard case .interrupted(let stop) = try run.run(), let checkpoint = stop.checkpoint else {
            return XCTFail("the run must stop after 2 steps with a checkpoint")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/metrics.jsonl"))
        assertThrowsWeftError(
            try RunReport(target: folder), containing: ["\(folder): the run has no finished epoch", "no metrics.jsonl"])
        // Output into a missing folder, through the library.
        assertThrowsWeftError(
            try OutputFile.checkWritable(folder + "/missing/report.html"),
            containing: ["the folder \(folder)/missing does not exist"])
        // The dataset missing, through the library.
        assertThrowsWeftError(
            try ModelEvaluation.evaluate(checkpointPath: checkpoint, split: .test, dataDirectory: "/nonexistent"),
            containing: ["/nonexistent", "does not exist"])
    }
}
