import Weft
import XCTest

/// Resuming gives exactly the weights of never stopping; damaged or mismatched checkpoints are refused.
final class ResumeTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    static func configText(folder: String, epochs: Int = 2, everySteps: Int? = nil) -> String {
        """
        { "name": "resume-test",
          "data": { "dataset": "fashion-mnist", "validationFraction": 0.05, "trainLimit": 640, "testLimit": 200,
                    "augment": { "randomCrop": { "padding": 2 }, "horizontalFlip": true, "randomErasing": { "probability": 0.3 } } },
          "model": { "input": [1, 28, 28], "layers": [
            { "type": "conv2d", "filters": 4, "kernel": 3, "padding": 1 }, { "type": "batchNorm" }, { "type": "relu" },
            { "type": "maxPool", "size": 2 }, { "type": "flatten" }, { "type": "dropout", "rate": 0.3 },
            { "type": "dense", "units": 10 } ] },
          "training": { "epochs": \(epochs), "batchSize": 32, "seed": 9,
            "optimizer": { "type": "adamw", "learningRate": 0.003 }, "schedule": { "type": "cosine", "warmupEpochs": 0.5 } },
          "checkpoint": { "directory": "\(folder)", "keepLast": 2\(everySteps.map { ", \"everySteps\": \($0)" } ?? "") } }
        """
    }

    private func folder() -> String {
        let path = NSTemporaryDirectory() + "weft-resume-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func trainer(_ config: TrainingConfig, runFolder: String? = nil) throws -> Trainer {
        let progress = Progress(epochs: config.training.epochs)
        progress.enabled = false
        return try Trainer(config: config, data: try TrainingData(config: config), source: "test.json", runFolder: runFolder,
                           progress: progress)
    }

    private func config(_ folder: String, epochs: Int = 2) throws -> TrainingConfig {
        try TrainingConfig(json: try JSONParser.parse(Self.configText(folder: folder, epochs: epochs), source: "test.json"), source: "test.json")
    }

    private func weights(_ trainer: Trainer) -> [[UInt32]] {
        (trainer.parameters + trainer.model.buffers).map { $0.tensor.scalars.map(\.bitPattern) }
    }

    /// Trains, stopping after `stopAfterSteps` steps with a checkpoint, then resumes from the
    /// checkpoint file in a fresh trainer, and returns the final weights and test result.
    private func interruptedRun(stopAfterSteps: Int) throws -> ([[UInt32]], Trainer.Outcome, [EpochRecord]) {
        let directory = folder()
        let first = try trainer(try config(directory))
        try RunFolder(path: directory).prepareFresh()
        let writer = CheckpointWriter(folder: directory, settings: first.config.checkpoint)
        first.onCheckpoint = { try writer.write($0, moment: $1) }
        first.shouldStop = { first.state.step >= stopAfterSteps }
        XCTAssertEqual(try first.train(), .interrupted)
        let plan = try ResumePlan(checkpointPath: writer.lastPath, overrides: [], force: false)
        let second = try trainer(plan.config)
        try plan.checkpoint.restore(into: second)
        XCTAssertEqual(second.state, first.state, "the training state round-trips through the checkpoint")
        XCTAssertEqual(weights(second), weights(first), "the weights round-trip through the checkpoint")
        XCTAssertEqual(second.optimizer.stateTensors().mapValues { $0.scalars }, first.optimizer.stateTensors().mapValues { $0.scalars })
        let outcome = try second.train()
        return (weights(second), outcome, second.state.history)
    }

    func testResumeAfterAnEpochAndMidEpochEqualsNeverStopping() throws {
        let directory = folder()
        let straight = try trainer(try config(directory))
        try RunFolder(path: directory).prepareFresh()
        let expectedOutcome = try straight.train()
        let expected = weights(straight)
        let stepsPerEpoch = straight.trainLoader.batchesPerEpoch
        // Timings differ between runs; everything else in the history must not.
        func comparable(_ history: [EpochRecord]) -> [EpochRecord] {
            history.map { var record = $0; record.seconds = 0; record.imagesPerSecond = 0; return record }
        }
        for stop in [stepsPerEpoch, stepsPerEpoch / 2, stepsPerEpoch + 3] {
            let (resumed, outcome, history) = try interruptedRun(stopAfterSteps: stop)
            XCTAssertEqual(resumed, expected, "stopped after step \(stop) and resumed: weights must be bit-identical")
            XCTAssertEqual(outcome, expectedOutcome, "stopped after step \(stop): same test result")
            XCTAssertEqual(comparable(history), comparable(straight.state.history), "stopped after step \(stop): same metric history")
        }
    }

    func testResumeWritesMetricsIntoTheCheckpointsFolderEvenAfterTheRunMoved() throws {
        let original = folder(), moved = folder()
        let run = try trainer(try config(original, epochs: 2))
        try RunFolder(path: original).prepareFresh()
        let writer = CheckpointWriter(folder: original, settings: run.config.checkpoint)
        run.onCheckpoint = { try writer.write($0, moment: $1) }
        run.shouldStop = { run.state.step >= run.trainLoader.batchesPerEpoch + 2 }
        XCTAssertEqual(try run.train(), .interrupted)
        try FileManager.default.moveItem(atPath: original, toPath: moved)
        let plan = try ResumePlan(checkpointPath: moved + "/last.safetensors", overrides: [], force: false)
        XCTAssertEqual(plan.folder, moved)
        let resumed = try trainer(plan.config, runFolder: plan.folder)
        try plan.checkpoint.restore(into: resumed)
        try plan.rewriteMetricsLog()
        _ = try resumed.train()
        let records = try RunLog(directory: moved).records()
        XCTAssertEqual(records.count, 3, "epochs 1 and 2 and the test record, in the moved folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: original), "nothing is written where the run used to be")
    }

    func testChangedConfigIsRefusedListingTheKeysButEpochsMayChange() throws {
        let directory = folder()
        let run = try trainer(try config(directory))
        try RunFolder(path: directory).prepareFresh()
        let writer = CheckpointWriter(folder: directory, settings: run.config.checkpoint)
        run.onCheckpoint = { try writer.write($0, moment: $1) }
        run.shouldStop = { run.state.step >= 3 }
        _ = try run.train()
        XCTAssertThrowsError(try ResumePlan(checkpointPath: writer.lastPath,
                                            overrides: ["training.batchSize=16", "model.layers[0].filters=5"], force: false)) { error in
            let message = (error as? WeftError)?.message ?? ""
            XCTAssertTrue(message.contains("model.layers[0].filters, training.batchSize") && message.contains("--force"), message)
        }
        let extended = try ResumePlan(checkpointPath: writer.lastPath, overrides: ["training.epochs=3"], force: false)
        XCTAssertEqual(extended.changedKeys, ["training.epochs"])
        XCTAssertNil(extended.warning)
        let forced = try ResumePlan(checkpointPath: writer.lastPath, overrides: ["training.batchSize=16"], force: true)
        XCTAssertNotNil(forced.warning)
    }

    func testCheckpointWhoseShapesContradictItsConfigIsRefused() throws {
        let directory = folder()
        let run = try trainer(try config(directory))
        try RunFolder(path: directory).prepareFresh()
        let saved = Checkpoint(trainer: run)
        // Rewrite the checkpoint with a config whose first conv has more filters than the tensors.
        var metadata = saved.file.metadata
        let index = try XCTUnwrap(metadata.firstIndex { $0.key == "config" })
        metadata[index].value = metadata[index].value.replacingOccurrences(of: "\"filters\": 4", with: "\"filters\": 6")
        let path = directory + "/forged.safetensors"
        try SafetensorsFile(metadata: metadata, entries: saved.file.entries).write(to: path)
        let forged = try Checkpoint(path: path)
        let other = try trainer(forged.config)
        XCTAssertThrowsError(try forged.restore(into: other)) { error in
            let message = (error as? WeftError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix(path) && message.contains("layers.0.weight has shape [4, 1, 3, 3]"), message)
        }
    }

    func testDivergenceStopsWithAClearMessageAndKeepsTheLastGoodCheckpoint() throws {
        let directory = folder()
        var json = try JSONParser.parse(Self.configText(folder: directory, everySteps: 1), source: "test.json")
        json = try ConfigOverride("training.optimizer={\"type\": \"sgd\", \"learningRate\": 100, \"momentum\": 0.9}").apply(to: json)
        json = try ConfigOverride("training.schedule={\"type\": \"cosine\", \"warmupEpochs\": 1}").apply(to: json)
        let run = try trainer(try TrainingConfig(json: json, source: "test.json"))
        try RunFolder(path: directory).prepareFresh()
        let writer = CheckpointWriter(folder: directory, settings: run.config.checkpoint)
        run.onCheckpoint = { try writer.write($0, moment: $1) }
        XCTAssertThrowsError(try run.train()) { error in
            let message = (error as? WeftError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("training diverged: the ") && message.contains("lower training.optimizer.learningRate"), message)
        }
        XCTAssertGreaterThan(run.state.step, 0, "some steps ran before the divergence")
        let last = try Checkpoint(path: writer.lastPath)
        XCTAssertEqual(last.state.step, run.state.step, "the last checkpoint is the step before the loss diverged")
        XCTAssertTrue(last.file.entries.allSatisfy { $0.values.allSatisfy(\.isFinite) }, "the kept checkpoint holds finite weights")
    }

    func testWrongFormatAndNewerVersionAreRefused() throws {
        let directory = folder()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let plain = directory + "/plain.safetensors"
        try SafetensorsFile(metadata: [], entries: [.init(name: "w", shape: [1], values: [1])]).write(to: plain)
        XCTAssertThrowsError(try Checkpoint(path: plain)) { error in
            XCTAssertTrue((error as? WeftError)?.message.contains("not a Weft checkpoint") == true, "\(error)")
        }
        let newer = directory + "/newer.safetensors"
        try SafetensorsFile(metadata: [("format", "weft-checkpoint"), ("formatVersion", "99")], entries: []).write(to: newer)
        XCTAssertThrowsError(try Checkpoint(path: newer)) { error in
            XCTAssertTrue((error as? WeftError)?.message.contains("format version 99 is newer") == true, "\(error)")
        }
        XCTAssertThrowsError(try Checkpoint(path: directory + "/missing.safetensors")) { error in
            XCTAssertTrue((error as? WeftError)?.message.contains("missing.safetensors: cannot read") == true, "\(error)")
        }
    }
}
