import Foundation
import Weft
import WeftTestSupport
import XCTest

/// `weft tune` on real Fashion-MNIST: a 2×2 grid with 3 folds, successive halving, invalid
/// candidates, resuming after Ctrl-C and `kill -9` (in the library and the real process) and the
/// CLI's errors.
final class TuneTests: XCTestCase {
    private var weft: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("weft")
    }

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist): run Tests/setup.sh")
        }
        Parallel.setThreadCount(1)  // the CLI runs below use --threads 1: the same arithmetic
    }

    private static let quick = ExportFixtures.path("Configs/quick.json")

    /// `quick.json` on 600 training images, 1 epoch: a fold trains in well under a second.
    private func spec(_ space: String, trainLimit: Int = 600, epochs: Int = 1, halving: Bool = false, eta: Int = 3)
        throws -> TuneSpec
    {
        let config = try TrainingConfig.load(
            path: TuneTests.quick, overrides: ["data.trainLimit=\(trainLimit)", "training.epochs=\(epochs)"])
        return try TuneSpec(
            source: TuneTests.quick, config: config,
            space: try SearchSpace(json: try JSONParser.parse(space, source: "test"), source: "test"),
            folds: 3, trials: nil, seed: 42, halving: halving, eta: eta, dataDirectory: nil, threads: 1)
    }

    /// Learning rate 1e-5 barely moves in one epoch; 0.003 learns: the winner must use 0.003.
    private static let grid = #"{"training.optimizer.learningRate": [0.00001, 0.003], "training.batchSize": [32, 64]}"#

    private func folder() -> String {
        let path = NSTemporaryDirectory() + "weft-tune-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func start(_ spec: TuneSpec, in folder: String) throws -> TuneSearch {
        try TuneSearch.prepare(spec: spec, folder: folder)
        let search = try TuneSearch(spec: spec, folder: folder)
        search.output = { _ in }
        search.makeProgress = { epochs in
            let progress = Progress(epochs: epochs)
            progress.enabled = false
            return progress
        }
        return search
    }

    /// The results without their wall times, which differ from run to run.
    private func timeless(_ results: [FoldResult]) -> [FoldResult] {
        results.map {
            var result = $0; result.seconds = 0; return result
        }
        .sorted { ($0.rung, $0.trial, $0.fold) < ($1.rung, $1.trial, $1.fold) }
    }

    /// The uninterrupted 2×2 grid, run once for the tests that compare with it.
    private static var uninterrupted: (results: [FoldResult], best: CandidateScore, folder: String)?

    private func uninterruptedGrid() throws -> (results: [FoldResult], best: CandidateScore, folder: String) {
        if let done = TuneTests.uninterrupted { return done }
        let path = NSTemporaryDirectory() + "weft-tune-grid-\(UUID().uuidString)"
        let search = try start(try spec(TuneTests.grid), in: path)
        guard case .finished(let best) = try search.run() else { throw WeftError("the grid search did not finish") }
        try search.writeBestConfig(best)
        try search.writeReport(bestConfigPath: nil)
        TuneTests.uninterrupted = (timeless(search.log.results), best, path)
        return TuneTests.uninterrupted!
    }

    func testATwoByTwoGridWithThreeFoldsGivesTwelveFoldResultsAndTheExpectedBest() throws {
        let (results, best, path) = try uninterruptedGrid()
        XCTAssertEqual(results.count, 12, "4 candidates × 3 folds")
        XCTAssertEqual(Set(results.map { "\($0.trial)/\($0.fold)" }).count, 12)
        for trial in 1...4 {
            let folds = results.filter { $0.trial == trial }
            XCTAssertEqual(folds.map(\.fold).sorted(), [0, 1, 2])
            XCTAssertEqual(folds.map(\.epochs), [1, 1, 1])
        }
        // The winner uses the learning rate that learns, and has the highest mean of all.
        XCTAssertEqual(best.parameters.first?.value, .number(0.003))
        let means = Dictionary(grouping: results, by: \.trial).mapValues {
            $0.reduce(0) { $0 + $1.validationAccuracy } / 3
        }
        XCTAssertEqual(best.trial, means.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key)
        XCTAssertEqual(best.mean, means[best.trial]!, accuracy: 1e-12)
        XCTAssertGreaterThan(best.mean, 0.5)
        XCTAssertLessThan(means.values.min() ?? 1, 0.4, "learning rate 1e-5 must stay far behind")
        // Every validation fold holds a third of the 600 images.
        XCTAssertTrue(
            results.allSatisfy { abs($0.validationAccuracy * 200 - ($0.validationAccuracy * 200).rounded()) < 1e-9 })

        // best-config.json: ready to train, the validation fraction and epochs of the base config.
        let bestConfig = try TrainingConfig.load(path: "\(path)/best-config.json")
        XCTAssertEqual(bestConfig.data.validationFraction, 0.1)
        XCTAssertEqual(bestConfig.training.epochs, 1)
        XCTAssertEqual(bestConfig.training.optimizer.learningRate, 0.003)
        XCTAssertEqual(bestConfig.checkpoint.directory, "\(path)/best")
        // tune.csv: a header and a line per candidate; the report has the per-trial and per-key charts.
        let csv = try String(contentsOfFile: "\(path)/tune.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 5)
        XCTAssertTrue(
            csv[0].hasPrefix(
                "trial,training.optimizer.learningRate,training.batchSize,rung,epochs,folds,mean_validation_accuracy"))
        XCTAssertEqual(csv.filter { $0.hasSuffix(",best") }.count, 1)
        let report = try String(contentsOfFile: "\(path)/tune-report.html", encoding: .utf8)
        XCTAssertEqual(
            report.components(separatedBy: "<svg").count - 1, 3, "per trial, per learning rate, per batch size")
    }

    func testResumingAfterAnInterruptionEndsWithTheSameResults() throws {
        let expected = try uninterruptedGrid()
        let path = folder()
        let first = try start(try spec(TuneTests.grid), in: path)
        var polls = 0
        first.shouldStop = {
            polls += 1; return polls > 40
        }  // in the 3rd fold (14 polls a fold)
        XCTAssertEqual(try first.run(), .interrupted)
        let recorded = first.log.results.count
        XCTAssertGreaterThan(recorded, 0)
        XCTAssertLessThan(recorded, 12)

        let resumed = try TuneSearch(spec: try TuneSpec.load(folder: path), folder: path)
        resumed.output = { _ in }
        var trained = 0
        resumed.makeProgress = { epochs in
            trained += 1; let progress = Progress(epochs: epochs); progress.enabled = false; return progress
        }
        guard case .finished(let best) = try resumed.run() else { return XCTFail("the resumed search must finish") }
        XCTAssertEqual(trained, 12 - recorded, "only the folds not yet recorded train again")
        XCTAssertEqual(
            timeless(resumed.log.results), expected.results,
            "resumed, the fold results must equal the uninterrupted search's")
        XCTAssertEqual(best.trial, expected.best.trial)
    }

    func testHalvingKeepsTheBestThirdAtEachRung() throws {
        // 5 candidates, η = 3, 3 epochs: rung 1 trains 5 × 1 epoch, the best ⌈5/3⌉ = 2 go on to 3 epochs.
        let search = try start(
            try spec(
                #"{"training.optimizer.learningRate": [0.00001, 0.0001, 0.001, 0.003, 0.01]}"#,
                trainLimit: 300, epochs: 3, halving: true), in: folder())
        XCTAssertEqual(search.plan.rungs, [.init(candidates: 5, epochs: 1), .init(candidates: 2, epochs: 3)])
        guard case .finished(let best) = try search.run() else { return XCTFail("the search must finish") }
        let results = search.log.results
        XCTAssertEqual(results.filter { $0.rung == 0 }.count, 15)
        XCTAssertEqual(results.filter { $0.rung == 1 }.count, 6)
        XCTAssertTrue(results.filter { $0.rung == 1 }.allSatisfy { $0.epochs == 3 })
        let firstRung = (1...5).map { search.score(trial: $0, rung: 0)! }
        let top = firstRung.sorted { $0.mean > $1.mean }.prefix(2).map(\.trial).sorted()
        XCTAssertEqual(Set(results.filter { $0.rung == 1 }.map(\.trial)), Set(top), "the two best of rung 1 continue")
        XCTAssertTrue(top.contains(best.trial))
        XCTAssertEqual(best.epochs, 3)
        XCTAssertFalse(top.contains(1), "learning rate 1e-5 must not continue")
    }

    func testInvalidCandidatesAreReportedAndSkippedBeforeTraining() throws {
        let path = folder()
        let search = try start(try spec(#"{"model.layers[0].kernel": [3, 0, 41]}"#), in: path)
        XCTAssertEqual(search.validTrials, [1])
        XCTAssertEqual(Set(search.invalid.keys), [2, 3])
        XCTAssertTrue(search.invalid[2]?.contains("model.layers[0].kernel") ?? false, search.invalid[2] ?? "")
        XCTAssertEqual(search.plan.rungs, [.init(candidates: 1, epochs: 1)])
        let log = try String(contentsOfFile: "\(path)/tune.jsonl", encoding: .utf8)
        XCTAssertEqual(log.components(separatedBy: "\"invalid\"").count - 1, 2)
        XCTAssertEqual(search.log.results.count, 0, "nothing has trained yet")

        assertThrowsWeftError(
            try TuneSearch(spec: try spec(#"{"model.layers[0].kernel": [0]}"#), folder: folder()),
            containing: ["every candidate", "model.layers[0].kernel"])
    }

    func testCtrlCAndKillNineThenResumeOnTheCommandLine() throws {
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            throw missing("the weft executable is not built: run swift build --build-tests")
        }
        let expected = try uninterruptedGrid()
        let path = folder()
        let log = "\(path).log"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: log) }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = weft
        process.arguments = [
            "tune", TuneTests.quick, "--grid", "training.optimizer.learningRate=[0.00001,0.003]",
            "--grid", "training.batchSize=[32,64]", "--set", "data.trainLimit=600", "--set", "training.epochs=1",
            "--folds", "3", "--output", path, "--threads", "1"
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        // Wait for the first recorded fold (up to 2 minutes), then press Ctrl-C.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning,
            (try? String(contentsOfFile: "\(path)/tune.jsonl", encoding: .utf8)) == nil
        {
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let message = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 130, message)
        XCTAssertTrue(message.contains("resume with: weft tune --resume \(path)"), message)

        // Resume, and kill -9 it as soon as one more fold is recorded: the log must stay readable.
        let afterCtrlC = try TuneLog(folder: path).results.count
        let killed = Process()
        killed.executableURL = weft
        killed.arguments = ["tune", "--resume", path, "--threads", "1"]
        killed.standardOutput = FileHandle.nullDevice
        killed.standardError = FileHandle.nullDevice
        try killed.run()
        let killDeadline = Date().addingTimeInterval(120)
        while Date() < killDeadline, killed.isRunning, ((try? TuneLog(folder: path))?.results.count ?? 0) <= afterCtrlC
        {
            usleep(20_000)
        }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        let afterKill = try TuneLog(folder: path).results.count
        XCTAssertGreaterThan(afterKill, afterCtrlC)
        XCTAssertLessThan(afterKill, 12, "kill -9 must have stopped the search before its end")

        let resumed = try runProcess(weft, ["tune", "--resume", path, "--threads", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertTrue(
            resumed.output.contains(
                "train it on the whole training split and test it: weft train \(path)/best-config.json"), resumed.output
        )
        XCTAssertTrue(resumed.output.contains("best: trial \(expected.best.trial) "), resumed.output)
        XCTAssertEqual(
            timeless(try TuneLog(folder: path).results), expected.results,
            "the resumed command-line search must end with the library's uninterrupted results")
    }

    func testCommandLineErrorsNameTheFileThePlaceAndTheFix() throws {
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            throw missing("the weft executable is not built: run swift build --build-tests")
        }
        let directory = try TemporaryDirectory()
        let bad = try directory.write(
            Array(#"{"training.optimizer.learningRate": {"min": 0.1, "max": 0.01}}"#.utf8), to: "search.json")
        let cases: [([String], [String])] = [
            (
                ["tune", TuneTests.quick, "--search", bad],
                ["error: \(bad): training.optimizer.learningRate: a range needs min < max"]
            ),
            (
                ["tune", TuneTests.quick, "--grid", "training.batchSize"],
                ["error: --grid training.batchSize: expected KEY=[v1,v2,...]"]
            ),
            (
                ["tune", TuneTests.quick, "--grid", "data.trainLimit=[10,20]"],
                ["error: --grid: data.trainLimit: a search cannot vary the data"]
            ),
            (
                ["tune", TuneTests.quick, "--grid", "training.batchSize=[32]", "--folds", "1"],
                ["error: --folds must be from 2 to 100"]
            ),
            (
                ["tune", TuneTests.quick, "--grid", "training.epochs=[1,2]", "--halving"],
                ["error: training.epochs: successive halving"]
            ),
            (["tune", TuneTests.quick], ["nothing to search"]),
            // Two candidates, 3 epochs: rungs of 1 and 3 epochs, and a 1-epoch warm-up fits only the second.
            (
                [
                    "tune", TuneTests.quick, "--grid", "training.optimizer.learningRate=[0.001,0.003]", "--halving",
                    "--set", "training.epochs=3",
                    "--set", "training.schedule.warmupEpochs=1", "--set", "data.trainLimit=300"
                ],
                ["every candidate of the search is invalid", "warmupEpochs", "--min-epochs"]
            ),
            (
                ["tune", "--resume", directory.file("nothing")],
                ["error: \(directory.file("nothing"))/search.json: not found"]
            )
        ]
        for (arguments, fragments) in cases {
            let outcome = try runProcess(weft, arguments)
            XCTAssertNotEqual(outcome.status, 0, arguments.joined(separator: " "))
            for fragment in fragments {
                XCTAssertTrue(
                    outcome.errors.contains(fragment), "\(arguments.joined(separator: " ")): \(outcome.errors)")
            }
            XCTAssertFalse(outcome.errors.contains("Fatal error"), outcome.errors)
        }
    }
}
