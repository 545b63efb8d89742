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

    /// A resumed run of `checkpoint` without the progress line (`TrainingRunTests` uses it too).
    static func resumedRun(
        _ checkpoint: String, overrides: [String] = [], force: Bool = false,
        threads: Int? = nil
    ) throws -> TrainingRun {
        let progress = Progress(epochs: 2)
        progress.enabled = false
        return try TrainingRun(
            resuming: checkpoint, overrides: overrides, force: force, threads: threads, progress: progress)
    }

    /// A fresh run of `config` (in its `checkpoint.directory`) without the progress line.
    static func freshRun(_ config: TrainingConfig) throws -> TrainingRun {
        let progress = Progress(epochs: config.training.epochs)
        progress.enabled = false
        return try TrainingRun(
            config: config, data: try TrainingData(config: config), source: "test.json", progress: progress)
    }

    private func config(_ folder: String, epochs: Int = 2) throws -> TrainingConfig {
        try TrainingConfig(
            json: try JSONParser.parse(Self.configText(folder: folder, epochs: epochs), source: "test.json"),
            source: "test.json")
    }

    /// Every parameter's and buffer's bits, by name (`FineTuningTests`, `PatchWhiteningTests` and
    /// `TrainingPrecisionTests` compare runs with it too).
    static func namedBits(_ trainer: Trainer) -> [String: [UInt32]] {
        Dictionary(
            uniqueKeysWithValues: (trainer.parameters + trainer.model.buffers).map {
                ($0.name, $0.tensor.scalars.map(\.bitPattern))
            })
    }

    private func weights(_ trainer: Trainer) -> [[UInt32]] {
        (trainer.parameters + trainer.model.buffers).map { $0.tensor.scalars.map(\.bitPattern) }
    }

    /// Runs `run` until `stopsWhen` stops it, then releases its folder; returns the checkpoint written at the stop.
    static func interrupt(_ run: TrainingRun, when condition: @escaping (TrainingState) -> Bool) throws -> String {
        run.stopsWhen = condition
        defer { run.release() }
        guard case .interrupted(let stop) = try run.run() else { throw WeftError("the run was not interrupted") }
        return try XCTUnwrap(stop.checkpoint)
    }

    /// Trains, stopping after `stopAfterSteps` steps with a checkpoint, then resumes from the
    /// checkpoint file in a fresh run, and returns the final weights and test result.
    private func interruptedRun(stopAfterSteps: Int) throws -> ([[UInt32]], TrainingRun.Outcome, [EpochRecord]) {
        let first = try Self.freshRun(try config(folder()))
        let checkpoint = try Self.interrupt(first) { $0.step >= stopAfterSteps }
        let second = try Self.resumedRun(checkpoint)
        defer { second.release() }
        XCTAssertEqual(
            second.trainer.state, first.trainer.state, "the training state round-trips through the checkpoint")
        XCTAssertEqual(weights(second.trainer), weights(first.trainer), "the weights round-trip through the checkpoint")
        XCTAssertEqual(
            second.trainer.optimizer.stateTensors().mapValues { $0.scalars },
            first.trainer.optimizer.stateTensors().mapValues { $0.scalars })
        let outcome = try second.run()
        return (weights(second.trainer), outcome, second.trainer.state.history)
    }

    func testResumeAfterAnEpochAndMidEpochEqualsNeverStopping() throws {
        let straight = try Self.freshRun(try config(folder()))
        let expectedOutcome = try straight.run()
        straight.release()
        let expected = weights(straight.trainer)
        let stepsPerEpoch = straight.trainer.trainLoader.batchesPerEpoch
        // Timings differ between runs; everything else in the history must not.
        func comparable(_ history: [EpochRecord]) -> [EpochRecord] {
            history.map {
                var record = $0; record.seconds = 0; record.imagesPerSecond = 0; return record
            }
        }
        for stop in [stepsPerEpoch, stepsPerEpoch / 2, stepsPerEpoch + 3] {
            let (resumed, outcome, history) = try interruptedRun(stopAfterSteps: stop)
            XCTAssertEqual(resumed, expected, "stopped after step \(stop) and resumed: weights must be bit-identical")
            XCTAssertEqual(outcome, expectedOutcome, "stopped after step \(stop): same test result")
            XCTAssertEqual(
                comparable(history), comparable(straight.trainer.state.history),
                "stopped after step \(stop): same metric history")
        }
    }

    func testResumeWritesMetricsIntoTheCheckpointsFolderEvenAfterTheRunMoved() throws {
        let original = folder(), moved = folder()
        let run = try Self.freshRun(try config(original, epochs: 2))
        let stepsPerEpoch = run.trainer.trainLoader.batchesPerEpoch
        _ = try Self.interrupt(run) { $0.step >= stepsPerEpoch + 2 }
        try FileManager.default.moveItem(atPath: original, toPath: moved)
        let resumed = try Self.resumedRun(moved + "/last.safetensors")
        defer { resumed.release() }
        XCTAssertEqual(resumed.folder, moved)
        _ = try resumed.run()
        let records = try RunLog(directory: moved).records()
        XCTAssertEqual(records.count, 3, "epochs 1 and 2 and the test record, in the moved folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: original), "nothing is written where the run used to be")
    }

    func testChangedConfigIsRefusedListingTheKeysButEpochsMayChange() throws {
        let checkpoint = try Self.interrupt(try Self.freshRun(try config(folder()))) { $0.step >= 3 }
        XCTAssertThrowsError(
            try Self.resumedRun(checkpoint, overrides: ["training.batchSize=16", "model.layers[0].filters=5"])
        ) { error in
            let message = (error as? WeftError)?.message ?? ""
            XCTAssertTrue(
                message.contains("model.layers[0].filters, training.batchSize") && message.contains("--force"), message)
        }
        let extended = try ResumePlan(checkpointPath: checkpoint, overrides: ["training.epochs=3"], force: false)
        XCTAssertEqual(extended.changedKeys, ["training.epochs"])
        XCTAssertNil(extended.warning)
        let extendedRun = try Self.resumedRun(checkpoint, overrides: ["training.epochs=3"])
        XCTAssertEqual(extendedRun.notes, [String](), "a longer run is no change to warn about")
        XCTAssertEqual(extendedRun.trainer.config.training.epochs, 3)
        extendedRun.release()
        let forced = try ResumePlan(checkpointPath: checkpoint, overrides: ["training.batchSize=16"], force: true)
        XCTAssertNotNil(forced.warning)
        let forcedRun = try Self.resumedRun(checkpoint, overrides: ["training.batchSize=16"], force: true)
        XCTAssertEqual(forcedRun.notes, [try XCTUnwrap(forced.warning)], "the forced change is warned about")
        forcedRun.release()
    }

    func testCheckpointWhoseShapesContradictItsConfigIsRefused() throws {
        let directory = folder()
        let run = try Self.freshRun(try config(directory))
        let saved = Checkpoint(snapshot: run.trainer.snapshot())
        run.release()
        // Rewrite the checkpoint with a config whose first conv has more filters than the tensors.
        var metadata = saved.file.metadata
        let index = try XCTUnwrap(metadata.firstIndex { $0.key == "config" })
        metadata[index].value = metadata[index].value.replacingOccurrences(of: "\"filters\": 4", with: "\"filters\": 6")
        let path = directory + "/forged.safetensors"
        try SafetensorsFile(metadata: metadata, entries: saved.file.entries).write(to: path)
        XCTAssertThrowsError(try Self.resumedRun(path)) { error in
            let message = (error as? WeftError)?.message ?? ""
            XCTAssertTrue(
                message.hasPrefix(path) && message.contains("layers.0.weight has shape [4, 1, 3, 3]"), message)
        }
    }

    func testACheckpointWithATensorOfNoLayerIsRefusedForPrediction() throws {
        let directory = folder()
        let run = try Self.freshRun(try config(directory))
        let saved = Checkpoint(snapshot: run.trainer.snapshot())
        run.release()
        let path = directory + "/stray.safetensors"
        let stray = SafetensorsFile.Entry(name: "layers.9.weight", shape: [1], values: [0])
        try SafetensorsFile(metadata: saved.file.metadata, entries: saved.file.entries + [stray]).write(to: path)
        XCTAssertThrowsError(try TrainedModel(checkpoint: try Checkpoint(path: path))) { error in
            XCTAssertEqual(
                (error as? WeftError)?.message,
                "\(path): tensor layers.9.weight belongs to no layer of its config's model; the checkpoint is damaged")
        }
    }

    func testRestoringASnapshotChecksEveryNameAndShapeAndChangesNothingOnARefusal() throws {
        let run = try Self.freshRun(try config(folder()))
        defer { run.release() }
        let trainer = run.trainer
        let original = trainer.snapshot()
        var trained = original
        trained.state.step = 7
        trained.model[0].values = trained.model[0].values.map { $0 + 1 }
        try trainer.restore(from: trained, source: "x.safetensors")
        XCTAssertEqual(trainer.snapshot(), trained, "a fitting snapshot is restored whole")
        var missing = original
        missing.model.removeFirst()
        var stray = original
        stray.model.append(.init(name: "layers.9.weight", shape: [1], values: [0]))
        var misfit = original
        misfit.optimizerState = [.init(name: "layers.0.weight.exponentialAverage", shape: [1], values: [0])]
        misfit.optimizerStepCount = 1
        for (snapshot, expected) in [
            (missing, "x.safetensors: has no tensor layers.0.weight, which the config's model needs"),
            (stray, "x.safetensors: tensor layers.9.weight belongs to no layer of the config's model"),
            (misfit, "x.safetensors: the optimiser state does not fit the model (")
        ] {
            XCTAssertThrowsError(try trainer.restore(from: snapshot, source: "x.safetensors")) { error in
                let message = (error as? WeftError)?.message ?? ""
                XCTAssertTrue(message.hasPrefix(expected), message)
            }
            XCTAssertEqual(trainer.snapshot(), trained, "a refused snapshot changes nothing")
        }
    }

    func testDivergenceStopsWithAClearMessageAndKeepsTheLastGoodCheckpoint() throws {
        let directory = folder()
        var json = try JSONParser.parse(Self.configText(folder: directory, everySteps: 1), source: "test.json")
        json = try ConfigOverride("training.optimizer={\"type\": \"sgd\", \"learningRate\": 100, \"momentum\": 0.9}")
            .apply(to: json)
        json = try ConfigOverride("training.schedule={\"type\": \"cosine\", \"warmupEpochs\": 1}").apply(to: json)
        let run = try Self.freshRun(try TrainingConfig(json: json, source: "test.json"))
        defer { run.release() }
        XCTAssertThrowsError(try run.run()) { error in
            let message = (error as? WeftError)?.message ?? ""
            XCTAssertTrue(
                message.hasPrefix("training diverged: the ")
                    && message.contains("lower training.optimizer.learningRate"), message)
        }
        XCTAssertGreaterThan(run.trainer.state.step, 0, "some steps ran before the divergence")
        let last = try Checkpoint(path: try XCTUnwrap(run.lastCheckpoint))
        XCTAssertEqual(
            last.state.step, run.trainer.state.step, "the last checkpoint is the step before the loss diverged")
        XCTAssertTrue(
            last.file.entries.allSatisfy { $0.values.allSatisfy(\.isFinite) },
            "the kept checkpoint holds finite weights")
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
        try SafetensorsFile(metadata: [("format", "weft-checkpoint"), ("formatVersion", "99")], entries: []).write(
            to: newer)
        XCTAssertThrowsError(try Checkpoint(path: newer)) { error in
            XCTAssertTrue((error as? WeftError)?.message.contains("format version 99 is newer") == true, "\(error)")
        }
        XCTAssertThrowsError(try Checkpoint(path: directory + "/missing.safetensors")) { error in
            XCTAssertTrue(
                (error as? WeftError)?.message.contains("missing.safetensors: cannot read") == true, "\(error)")
        }
    }
}
