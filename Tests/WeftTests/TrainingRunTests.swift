import Foundation
import Weft
import WeftTestSupport
import XCTest

/// A training job through `TrainingRun`: its outcomes, the checkpoint and message of a stop (by
/// `stopsWhen` and by a real signal), the run folder's lock, and the resume policy (warnings,
/// the metrics log and the numbered checkpoints brought back to the checkpoint's step).
final class TrainingRunTests: XCTestCase {
    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist): run Tests/setup.sh")
        }
        Parallel.setThreadCount(2)
    }

    private func folder() -> String {
        let path = NSTemporaryDirectory() + "weft-run-\(UUID().uuidString)"
        addTeardownBlock {
            for suffix in ["", ".1"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        return path
    }

    /// `ResumeTests`' config (augmentation, dropout, batch-norm, AdamW; 20 steps an epoch) with `overrides`.
    private func config(_ folder: String, epochs: Int = 2, everySteps: Int? = nil, _ overrides: [String] = []) throws
        -> TrainingConfig
    {
        var json = try JSONParser.parse(
            ResumeTests.configText(folder: folder, epochs: epochs, everySteps: everySteps), source: "test.json")
        for override in overrides { json = try ConfigOverride(override).apply(to: json) }
        return try TrainingConfig(json: json, source: "test.json")
    }

    private func freshRun(_ config: TrainingConfig) throws -> TrainingRun {
        let progress = Progress(epochs: config.training.epochs)
        progress.enabled = false
        return try TrainingRun(
            config: config, data: try TrainingData(config: config), source: "test.json", progress: progress)
    }

    func testAFinishedRunKeepsItsConfigMetricsAndCheckpoints() throws {
        let path = folder()
        let run = try freshRun(try config(path, epochs: 1))
        defer { run.release() }
        XCTAssertEqual(run.folder, path)
        XCTAssertEqual(run.notes, [String](), "a new folder: nothing was moved")
        guard case .finished(let test) = try run.run() else { return XCTFail("the run must finish") }
        XCTAssertEqual(test.count, 200, "data.testLimit images are tested")
        XCTAssertEqual(run.lastCheckpoint, path + "/last.safetensors")
        XCTAssertEqual(try Checkpoint(path: path + "/last.safetensors").state, run.trainer.state)
        XCTAssertEqual(run.bestCheckpoint, path + "/best.safetensors", "the only epoch is the best so far")
        XCTAssertEqual(try TrainingConfig.load(path: path + "/config.json"), run.trainer.config)
        XCTAssertEqual(try RunLog(directory: path).records().count, 2, "the epoch and the test record")
    }

    func testEarlyStoppingEndsTheRunWithItsOwnOutcome() throws {
        // A learning rate of 1e-12 leaves every weight of a linear model as it was (the updates are
        // below float32's resolution): the validation accuracy never improves after epoch 1.
        let path = folder()
        let text = """
            { "name": "early", "data": { "dataset": "fashion-mnist", "validationFraction": 0.1, "trainLimit": 300, "testLimit": 100 },
              "model": { "input": [1, 28, 28], "layers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ] },
              "training": { "epochs": 5, "batchSize": 50, "earlyStoppingPatience": 1,
                            "optimizer": { "type": "sgd", "learningRate": 1e-12 } },
              "checkpoint": { "directory": "\(path)" } }
            """
        let run = try freshRun(
            try TrainingConfig(json: try JSONParser.parse(text, source: "early.json"), source: "early.json"))
        defer { run.release() }
        guard case .earlyStopped(let test) = try run.run() else { return XCTFail("the run must stop early") }
        XCTAssertEqual(test.count, 100)
        XCTAssertEqual(run.trainer.state.epoch, 2, "epoch 2 is no better than epoch 1: the run ends before epoch 3")
    }

    func testAStopWritesItsCheckpointThroughTheRunAndSaysHowToResume() throws {
        let path = folder()
        let run = try freshRun(try config(path))
        defer { run.release() }
        run.stopsWhen = { $0.step >= 3 }
        let last = path + "/last.safetensors"
        let expected = TrainingRun.Interrupted(
            epoch: 1, step: 3, checkpoint: last, resumeCommand: "weft resume \(last)",
            exitStatus: 130)
        XCTAssertEqual(try run.run(), .interrupted(expected))
        XCTAssertEqual(
            expected.message, ["interrupted at epoch 1, step 3: saved \(last)", "resume with: weft resume \(last)"])
        let saved = try Checkpoint(path: last)
        XCTAssertEqual(saved.state, run.trainer.state, "the checkpoint holds the state at the stop")
        XCTAssertEqual(saved.snapshot, run.trainer.snapshot(), "and the weights, buffers and optimiser state")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/step-00000003.safetensors"))
        XCTAssertNil(run.bestCheckpoint, "no epoch finished")
    }

    func testASignalDuringTheRunStopsItAfterTheStepWithACheckpoint() throws {
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let path = folder()
            let run = try freshRun(try config(path))
            var raised = false
            // The run's own handler is installed by then: the signal only sets its flag.
            run.stopsWhen = { state in
                if state.step == 2 && !raised {
                    raised = true
                    raise(signal)
                }
                return false
            }
            guard case .interrupted(let stop) = try run.run() else {
                return XCTFail("signal \(signal) must stop the run")
            }
            run.release()
            XCTAssertEqual(stop.step, 2, "signal \(signal): the run stops after the step it arrived in")
            XCTAssertEqual(stop.exitStatus, status)
            XCTAssertEqual(try Checkpoint(path: try XCTUnwrap(stop.checkpoint)).state.step, 2)
        }
    }

    func testTheRunHoldsItsFolderUntilReleasedAndANewRunMovesItAside() throws {
        let path = folder()
        let config = try config(path)
        let first = try freshRun(config)
        first.stopsWhen = { $0.step >= 1 }
        guard case .interrupted(let stop) = try first.run(), let checkpoint = stop.checkpoint else {
            return XCTFail("the run must stop with a checkpoint")
        }
        XCTAssertThrowsError(try freshRun(config)) { error in
            let message = (error as? WeftError)?.message ?? ""
            XCTAssertTrue(
                message.contains("\(path) is in use by weft (pid \(getpid())")
                    && message.contains("checkpoint.directory"), message)
        }
        XCTAssertThrowsError(try ResumeTests.resumedRun(checkpoint)) { error in
            let message = (error as? WeftError)?.message ?? ""
            XCTAssertTrue(
                message.contains("is in use by weft") && message.contains("resume a copy of the checkpoint"), message)
        }
        first.release()
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: RunFolderLock.path(in: path)), "releasing removes the lock file")
        let second = try freshRun(config)
        defer { second.release() }
        XCTAssertEqual(second.notes, ["moved the previous run in \(path) to \(path).1"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(path).1/last.safetensors"))
    }

    func testResumingAnEarlierCheckpointDiscardsLaterOnesRewritesTheMetricsAndWarnsOfOtherThreads() throws {
        let path = folder()
        let run = try freshRun(try config(path, everySteps: 5, ["checkpoint.keepLast=20"]))
        guard case .finished = try run.run() else { return XCTFail("the run must finish") }
        run.release()
        XCTAssertEqual(try RunLog(directory: path).records().count, 3, "two epochs and the test record")
        XCTAssertEqual(run.trainer.trainLoader.batchesPerEpoch, 20)
        func numbered() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("step-") }.sorted()
        }
        XCTAssertEqual(
            try numbered(), [5, 10, 15, 20, 25, 30, 35, 40].map { String(format: "step-%08d.safetensors", $0) })
        let earlier = path + "/step-00000025.safetensors"
        let resumed = try ResumeTests.resumedRun(earlier, threads: 1)
        defer {
            resumed.release()
            Parallel.setThreadCount(2)
        }
        XCTAssertEqual(Parallel.threadCount, 1)
        XCTAssertEqual(
            resumed.notes,
            [
                "warning: the run used 2 threads and resumes on 1; results will not be bit-identical to an uninterrupted run"
            ])
        XCTAssertEqual(resumed.trainer.state.step, 25)
        XCTAssertEqual(
            try numbered(), [5, 10, 15, 20, 25].map { String(format: "step-%08d.safetensors", $0) },
            "the checkpoints after step 25 belong to a trajectory the resumed run abandons")
        let records = try RunLog(directory: path).records()
        XCTAssertEqual(records.count, 1, "only epoch 1 finished before step 25")
        XCTAssertEqual(records.first?["epoch"], .number(1))
    }
}
