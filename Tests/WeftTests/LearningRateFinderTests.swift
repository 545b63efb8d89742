import Foundation
import Weft
import WeftTestSupport
import XCTest

/// `weft lr-find`: the rate sequence, the smoothing, the suggestion rule and the divergence stop
/// on synthetic losses; a real run on a slice of Fashion-MNIST that blows up and stops; the
/// command writing only its page and PNG; and its flag errors.
final class LearningRateFinderTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    private var weft: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("weft")
    }

    private func requireFashionMNIST() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist): run Tests/setup.sh")
        }
    }

    /// A small CNN with batch-norm and dropout on 200 training images (7 batches of 32 an epoch,
    /// the last of 8), augmented, trained by AdamW with weight decay and clipping.
    private static func configText(folder: String) -> String {
        """
        { "name": "lr-find-test",
          "data": { "dataset": "fashion-mnist", "validationFraction": 0.1, "trainLimit": 200, "testLimit": 100,
                    "augment": { "randomCrop": { "padding": 2 }, "horizontalFlip": true } },
          "model": { "input": [1, 28, 28], "layers": [
            { "type": "conv2d", "filters": 4, "kernel": 3, "padding": 1 }, { "type": "batchNorm" }, { "type": "relu" },
            { "type": "maxPool", "size": 2 }, { "type": "flatten" }, { "type": "dropout", "rate": 0.2 },
            { "type": "dense", "units": 10 } ] },
          "training": { "epochs": 2, "batchSize": 32, "seed": 3, "gradientClipNorm": 5,
            "optimizer": { "type": "adamw", "learningRate": 0.003, "weightDecay": 0.01 },
            "schedule": { "type": "cosine", "warmupEpochs": 0.5 } },
          "checkpoint": { "directory": "\(folder)" } }
        """
    }

    // MARK: - The rule, on synthetic values

    func testTheRatesGrowGeometricallyFromStartToEnd() {
        let rates = LearningRateFinder.rates(start: 1e-7, end: 10, steps: 100)
        XCTAssertEqual(rates.count, 100)
        XCTAssertEqual(rates[0], 1e-7, "the first step trains at --start")
        XCTAssertEqual(rates[99], 10, accuracy: 10 * 1e-12, "the last step trains at --end")
        let ratio = pow(1e8, 1.0 / 99)
        for index in 1..<rates.count {
            XCTAssertEqual(rates[index] / rates[index - 1], ratio, accuracy: 1e-12, "step \(index)")
        }
        XCTAssertEqual(LearningRateFinder(steps: 2, start: 0.5, end: 8).rates, [0.5, 8])
    }

    func testTheSmoothingIsTheBiasCorrectedMovingAverage() {
        // By hand with beta 0.98: average 0.04 → 2; 0.0592 → 0.0592/0.0396; 0.138016 →
        // 0.138016/0.058808; 0.19525568 → 0.19525568/0.07763184.
        let expected = [2.0, 0.0592 / 0.0396, 0.138016 / 0.058808, 0.195_255_68 / 0.077_631_84]
        let smoothed = LearningRateFinder.smoothed([2, 1, 4, 3])
        XCTAssertEqual(smoothed.count, 4)
        for (value, want) in zip(smoothed, expected) { XCTAssertEqual(value, want, accuracy: 1e-12) }
        XCTAssertEqual(expected[1], 1.494_949_494_949_49, accuracy: 1e-12, "as fastai's formula in Python gives")
        // The loop smooths the same way, step by step.
        let losses = [2.0, 1, 4, 3]
        let result = LearningRateFinder(steps: 4, start: 1e-3, end: 1).run { index, _ in losses[index] }
        XCTAssertEqual(result.points.map(\.loss), losses)
        for (point, want) in zip(result.points, expected) { XCTAssertEqual(point.smoothedLoss, want, accuracy: 1e-12) }
        XCTAssertEqual(result.stop, .completed)
    }

    func testTheGradientIsNumPys() {
        // np.gradient([1, 4, 9, 16], [0, 1, 3, 4]) == [3, 2.8333, 5.5, 7].
        let gradient = LearningRateFinder.gradient([1, 4, 9, 16], coordinates: [0, 1, 3, 4])
        for (value, want) in zip(gradient, [3, 17.0 / 6, 5.5, 7]) { XCTAssertEqual(value, want, accuracy: 1e-12) }
    }

    func testTheSuggestionIsTheSteepestFallAfterTheSkippedPoints() {
        let rates = LearningRateFinder.rates(start: 1e-6, end: 1, steps: 30)
        // A smooth fall steepest at index 17, a steeper one among the first 10 points and a
        // cliff at the last point: both of those are skipped.
        var losses = (0..<30).map { 2 - tanh((Double($0) - 17) / 3) }
        losses[0] = 50
        losses[29] = -100
        XCTAssertEqual(LearningRateFinder.suggestion(rates: rates, smoothedLosses: losses), 17)
        XCTAssertEqual(
            LearningRateFinder.suggestion(rates: rates, smoothedLosses: losses, skipStart: 0, skipEnd: 0), 29,
            "without the skips the cliff wins (np.gradient's one-sided difference at the end)")
        // 13 points leave 2 (indices 10 and 11), whose gradients are equal: the first; 12 leave 1:
        // no suggestion.
        XCTAssertEqual(LearningRateFinder.suggestion(rates: Array(rates.prefix(13)), smoothedLosses: losses), 10)
        XCTAssertNil(LearningRateFinder.suggestion(rates: Array(rates.prefix(12)), smoothedLosses: losses))
        // Through the loop: the suggestion indexes its points.
        let result = LearningRateFinder(steps: 30, start: 1e-6, end: 1).run { index, _ in
            2 - tanh((Double(index) - 17) / 3)
        }
        let smoothedSuggestion = LearningRateFinder.suggestion(
            rates: rates, smoothedLosses: result.points.map(\.smoothedLoss))
        XCTAssertEqual(result.suggestionIndex, smoothedSuggestion)
        XCTAssertEqual(result.suggestedRate, result.suggestionIndex.map { rates[$0] })
    }

    func testALossThatBlowsUpStopsTheRunBeforeTheLastStep() {
        // Flat at 1 for 20 steps, then tripling: the smoothed loss passes 4 × its best soon after.
        let result = LearningRateFinder(steps: 100, start: 1e-7, end: 10).run { index, _ in
            index < 20 ? 1 : pow(3, Double(index - 19))
        }
        XCTAssertEqual(result.stop, .diverged)
        XCTAssertLessThan(result.points.count, 100)
        XCTAssertGreaterThan(result.points.count, 20)
        let smoothed = result.points.map(\.smoothedLoss)
        XCTAssertGreaterThan(smoothed.last ?? 0, 4 * (smoothed.min() ?? 0), "the last point is the one that passed")
        XCTAssertTrue(
            smoothed.dropLast().allSatisfy { $0 <= 4 * (smoothed.min() ?? 0) }, "no earlier point passed the limit")
        let best = smoothed.min() ?? 0
        XCTAssertEqual(
            result.points.count,
            LearningRateFinder.smoothed(result.points.map(\.loss)).firstIndex { $0 > 4 * best }.map { $0 + 1 },
            "the run stops at the first point past the limit")
        // A loss that is not finite stops the run without being recorded.
        let infinite = LearningRateFinder(steps: 50, start: 1e-7, end: 10).run { index, _ in index == 15 ? .nan : 2 }
        XCTAssertEqual(infinite.stop, .notFinite(step: 15))
        XCTAssertEqual(infinite.points.count, 15)
        XCTAssertNotNil(infinite.suggestionIndex, "15 points leave 4 after the skips")
    }

    func testThePageChartsTheSmoothedLossOnALogAxisWithoutTheDivergedPoint() {
        let result = LearningRateFinder(steps: 100, start: 1e-7, end: 10).run { index, _ in
            index < 60 ? 2.3 - Double(index) / 100 : pow(2, Double(index - 55))
        }
        XCTAssertEqual(result.stop, .diverged)
        let report = LearningRateFinderReport(result: result, configName: "synthetic", source: "test.json")
        XCTAssertEqual(report.chartedPoints, Array(result.points.dropLast()), "the point past 4 × the best is left out")
        let html = report.html()
        for label in ["1e-7", "1e-5", "1e-3", "0.01"] {
            XCTAssertTrue(html.contains(">\(label)</text>"), "a tick at \(label)")
        }
        guard let rate = result.suggestedRate else { return XCTFail("60 falling points must give a suggestion") }
        XCTAssertTrue(html.contains("suggested \(LearningRateFinderReport.rate(rate))"), "the suggestion is marked")
        XCTAssertTrue(html.contains("leaves out the last point"), "the page says a point is off the chart")
        XCTAssertEqual(LearningRateFinderReport.pngPath(forPage: "out/probe.html"), "out/probe.png")
    }

    /// A loss that falls more than 4× before it diverges (an easy dataset) keeps its flat start
    /// on the chart: only the diverged last point is left out.
    func testACurveThatFallsFarBeforeDivergingKeepsItsStart() {
        let result = LearningRateFinder(steps: 100, start: 1e-7, end: 10).run { index, _ in
            index < 60 ? 2.3 * pow(0.95, Double(index)) : pow(2, Double(index - 55))
        }
        XCTAssertEqual(result.stop, .diverged)
        let smoothed = result.points.map(\.smoothedLoss)
        XCTAssertGreaterThan(smoothed[0], 4 * (smoothed.min() ?? 0), "the start lies above 4 × the best")
        let report = LearningRateFinderReport(result: result, configName: "easy", source: "test.json")
        XCTAssertEqual(report.chartedPoints, Array(result.points.dropLast()))
        XCTAssertTrue(report.html().contains("leaves out the last point"))
    }

    // MARK: - Real training

    func testARealRunAtHugeRatesStopsEarlyAndContinuesIntoTheNextEpoch() throws {
        try requireFashionMNIST()
        let folder = try TemporaryDirectory()
        let config = try TrainingConfig(
            json: try JSONParser.parse(Self.configText(folder: folder.file("run")), source: "test.json"),
            source: "test.json")
        let progress = Progress(epochs: 2)
        progress.enabled = false
        let trainer = try Trainer(
            config: config, data: try TrainingData(config: config), source: "test.json", progress: progress)
        XCTAssertEqual(trainer.trainLoader.batchesPerEpoch, 7)
        var seen: [Int] = []
        let result = try LearningRateFinder(steps: 40, start: 1e-3, end: 1e5).run(trainer: trainer) { _, index in
            seen.append(index)
        }
        XCTAssertNotEqual(result.stop, .completed, "Adam at rates up to 1e5 must blow the loss up")
        XCTAssertLessThan(result.points.count, 40)
        XCTAssertGreaterThan(result.points.count, 7, "the first steps at small rates train normally")
        XCTAssertEqual(seen, Array(0..<result.points.count), "onStep sees every recorded point in order")
        XCTAssertEqual(trainer.state.step, result.points.count, "a step that was not finite does not count")
        XCTAssertGreaterThanOrEqual(trainer.state.epoch, 1, "past 7 steps the next epoch's batches are used")
        XCTAssertEqual(
            result.points.map(\.rate),
            Array(LearningRateFinder.rates(start: 1e-3, end: 1e5, steps: 40).prefix(result.points.count)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("run")), "no run folder")
    }

    func testTheFirstStepIsWeftTrainsFirstStep() throws {
        // Same data, augmentation, dropout and seeded weights: the first loss does not depend on
        // the rate, so the range test's first point is the loss of `weft train`'s first step.
        try requireFashionMNIST()
        let folder = try TemporaryDirectory()
        let config = try TrainingConfig(
            json: try JSONParser.parse(Self.configText(folder: folder.file("run")), source: "test.json"),
            source: "test.json")
        let data = try TrainingData(config: config)
        let progress = Progress(epochs: 2)
        progress.enabled = false
        let run = try TrainingRun(config: config, data: data, source: "test.json", progress: progress)
        defer { run.release() }
        run.stopsWhen = { $0.step >= 1 }
        guard case .interrupted = try run.run() else { return XCTFail("the run must stop after its first step") }
        let trained = run.trainer.state.epochLossSum / Double(run.trainer.state.epochImages)
        let probe = try Trainer(config: config, data: data, source: "test.json", progress: progress)
        let result = try LearningRateFinder(steps: 2, start: 1e-6, end: 1e-5).run(trainer: probe)
        XCTAssertEqual(result.points.first?.loss ?? 0, trained, accuracy: 1e-6)
    }

    // MARK: - The command

    /// Runs `weft` with `arguments` inside `folder` (through the shell, to set the working folder).
    private func weft(_ arguments: [String], in folder: String) throws -> ProcessOutcome {
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            throw missing("the weft executable is not built: run swift build --build-tests")
        }
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let command = "cd \(quoted(folder)) && exec " + ([weft.path] + arguments).map(quoted).joined(separator: " ")
        return try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", command], timeLimit: 300)
    }

    /// Every file and folder under `path`, relative to it, sorted.
    private func listing(_ path: String) throws -> [String] {
        (FileManager.default.subpaths(atPath: path) ?? []).sorted()
    }

    func testTheCommandWritesOnlyItsPageAndPNG() throws {
        try requireFashionMNIST()
        let folder = try TemporaryDirectory()
        try Self.configText(folder: folder.file("Models/lr-find-test"))
            .write(toFile: folder.file("config.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try listing(folder.path), ["config.json"])
        let outcome = try weft(
            ["lr-find", "config.json", "--steps", "14", "--end", "0.01", "--threads", "2", "--json"], in: folder.path)
        XCTAssertEqual(outcome.status, 0, outcome.errors)
        XCTAssertEqual(
            try listing(folder.path), ["config.json", "lr-find.html", "lr-find.png"],
            "no run folder, checkpoint, config.json or other file")
        // stdout is the JSON alone; the lines for people went to stderr.
        let json = try JSONParser.parse(outcome.output, source: "stdout")
        guard case .array(let rates) = json["rates"], case .array(let smoothed) = json["smoothedLosses"],
            case .array(let losses) = json["losses"]
        else { return XCTFail("rates, losses and smoothedLosses must be arrays: \(outcome.output)") }
        XCTAssertEqual(rates.count, 14)
        XCTAssertEqual(losses.count, 14)
        XCTAssertEqual(smoothed.count, 14)
        XCTAssertEqual(rates.first, .number(1e-7))
        XCTAssertEqual(json["stop"], .string("completed"))
        XCTAssertEqual(json["outputs"], .array([.string("lr-find.html"), .string("lr-find.png")]))
        // 14 points leave 3 after the skips: a suggestion among points 10 to 12 (0-based).
        guard case .number(let index) = json["suggestionIndex"] else {
            return XCTFail("no suggestion: \(outcome.output)")
        }
        XCTAssertTrue((10...12).contains(Int(index)), "\(index)")
        XCTAssertEqual(json["suggestion"], rates[Int(index)])
        XCTAssertTrue(outcome.errors.contains("suggested learning rate: "), outcome.errors)
        XCTAssertTrue(outcome.errors.contains("wrote lr-find.html, lr-find.png"), outcome.errors)
        let html = try String(contentsOfFile: folder.file("lr-find.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<svg"), "the chart is inline SVG")
        XCTAssertTrue(html.contains("suggested "), "the suggestion is marked")
        XCTAssertFalse(html.contains("<script"), "no scripts")
        let image = try PNGFile.read(path: folder.file("lr-find.png"))
        XCTAssertEqual(image.width, 1280, "the 640-point chart at twice its size")

        // Without --json the summary goes to stdout; --output names the page, the PNG follows it.
        let named = try weft(
            ["lr-find", "config.json", "--steps", "3", "--end", "0.01", "--threads", "2", "--output", "probe.html"],
            in: folder.path)
        XCTAssertEqual(named.status, 0, named.errors)
        XCTAssertTrue(named.output.contains("no suggestion: 3 points leave fewer than 2"), named.output)
        XCTAssertTrue(named.output.contains("wrote probe.html, probe.png"), named.output)
        XCTAssertEqual(
            try listing(folder.path), ["config.json", "lr-find.html", "lr-find.png", "probe.html", "probe.png"])
    }

    func testBadFlagsAndAMissingConfigAreOneSentence() throws {
        let folder = try TemporaryDirectory()
        try Self.configText(folder: folder.file("Models/x"))
            .write(toFile: folder.file("config.json"), atomically: true, encoding: .utf8)
        let cases: [([String], [String])] = [
            (["--start", "1", "--end", "0.1"], ["--start (1.0) must be below --end (0.1)"]),
            (["--steps", "1"], ["--steps must be at least 2", "got 1"]),
            (["--start", "0"], ["--start must be a positive learning rate", "got 0.0"]),
            (["--output", "chart.png"], ["--output must name the HTML page", "chart.png"]),
            (["--output", "missing/page.html"], ["missing/page.html", "the folder missing does not exist"])
        ]
        for (flags, fragments) in cases {
            let outcome = try weft(["lr-find", "config.json"] + flags, in: folder.path)
            XCTAssertEqual(outcome.status, 1, "\(flags): \(outcome.errors)")
            XCTAssertEqual(outcome.errors.split(separator: "\n").count, 1, "one line: \(outcome.errors)")
            XCTAssertTrue(outcome.errors.hasPrefix("error: "), outcome.errors)
            for fragment in fragments {
                XCTAssertTrue(outcome.errors.contains(fragment), "\(flags): \(outcome.errors) lacks \(fragment)")
            }
        }
        let missingConfig = try weft(["lr-find", "nope.json"], in: folder.path)
        XCTAssertEqual(missingConfig.status, 1)
        XCTAssertTrue(
            missingConfig.errors.hasPrefix("error: nope.json: cannot read the config file"), missingConfig.errors)
        XCTAssertEqual(try listing(folder.path), ["config.json"], "a refused command writes nothing")
    }
}
