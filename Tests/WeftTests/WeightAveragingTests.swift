import Foundation
import Weft
import WeftTestSupport
import XCTest

/// `training.ema`, `training.optimizer.lookahead` and `training.parameterGroups` in whole runs
/// (with the alternating flip, `"horizontalFlip": "alternate"`):
/// bit-identical resume with all three on, the average as the model that validation, testing,
/// checkpoints and `TrainedModel` use, groups matched by layer type, name and prefix, and the
/// config errors.
final class WeightAveragingTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    private static let options = """
        "ema": { "decay": 0.9, "warmupSteps": 3, "everySteps": 2 },
        "parameterGroups": [ { "layerTypes": "batchNorm", "learningRateScale": 3, "weightDecay": 0 },
                             { "parameterNames": "bias", "weightDecay": 0 } ],
        """

    private func folder() -> String {
        let path = NSTemporaryDirectory() + "weft-averaging-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// The resume tests' small config (augmentation, dropout, batch-norm, AdamW, cosine) with
    /// `training` extended by `options`, the optimiser by `optimizer`, and the alternating flip.
    private func config(
        _ folder: String, options: String = WeightAveragingTests.options,
        optimizer: String = ", \"lookahead\": { \"steps\": 3, \"alpha\": 0.6 }"
    ) throws -> TrainingConfig {
        let text = ResumeTests.configText(folder: folder)
            .replacingOccurrences(of: "\"seed\": 9,", with: "\"seed\": 9, \(options)")
            .replacingOccurrences(of: "\"learningRate\": 0.003 }", with: "\"learningRate\": 0.003\(optimizer) }")
            .replacingOccurrences(of: "\"horizontalFlip\": true", with: "\"horizontalFlip\": \"alternate\"")
        return try TrainingConfig(json: try JSONParser.parse(text, source: "test.json"), source: "test.json")
    }

    private func bits(_ tensors: [NamedParameter]) -> [[UInt32]] {
        tensors.map { $0.tensor.scalars.map(\.bitPattern) }
    }

    func testARunWithAllThreeResumesMidEpochBitIdentically() throws {
        let straight = try ResumeTests.freshRun(try config(folder()))
        defer { straight.release() }
        guard case .finished(let expected) = try straight.run() else { return XCTFail("the run did not finish") }
        let averaging = try XCTUnwrap(straight.trainer.averaging)
        XCTAssertNotEqual(bits(averaging.averages), bits(averaging.sources), "the average is not the weights")
        XCTAssertTrue(straight.trainer.optimizer is Lookahead)
        XCTAssertEqual(straight.trainer.parameterGroups.count, 3)

        let first = try ResumeTests.freshRun(try config(folder()))
        let checkpoint = try ResumeTests.interrupt(first) { $0.step == 7 }
        let resumed = try ResumeTests.resumedRun(checkpoint)
        defer { resumed.release() }
        XCTAssertEqual(
            bits(try XCTUnwrap(resumed.trainer.averaging).averages),
            bits(try XCTUnwrap(first.trainer.averaging).averages),
            "the average round-trips through the checkpoint")
        guard case .finished(let test) = try resumed.run() else { return XCTFail("the resumed run did not finish") }
        XCTAssertEqual(test, expected)
        XCTAssertEqual(bits(resumed.trainer.parameters), bits(straight.trainer.parameters))
        XCTAssertEqual(bits(try XCTUnwrap(resumed.trainer.averaging).averages), bits(averaging.averages))
        XCTAssertEqual(
            resumed.trainer.optimizer.stateTensors().mapValues(\.scalars),
            straight.trainer.optimizer.stateTensors().mapValues(\.scalars))
        XCTAssertEqual(
            resumed.trainer.state.history.map(\.validationAccuracy),
            straight.trainer.state.history.map(\.validationAccuracy))
    }

    func testValidationTestingAndTheCheckpointsModelAreTheAverage() throws {
        let directory = folder()
        let run = try ResumeTests.freshRun(try config(directory, optimizer: ""))
        defer { run.release() }
        guard case .finished(let test) = try run.run() else { return XCTFail("the run did not finish") }
        let trainer = run.trainer, averaging = try XCTUnwrap(trainer.averaging)

        // The test result is the average's, not the weights'.
        let averaged = TrainedModel(
            config: trainer.config, model: try XCTUnwrap(trainer.averagedModel),
            normalization: trainer.data.normalization, classNames: trainer.data.test.classNames)
        let live = TrainedModel(
            config: trainer.config, model: trainer.model, normalization: trainer.data.normalization,
            classNames: trainer.data.test.classNames)
        XCTAssertEqual(averaged.evaluate(dataset: trainer.data.test, indices: trainer.data.testIndices), test)
        XCTAssertNotEqual(live.evaluate(dataset: trainer.data.test, indices: trainer.data.testIndices).loss, test.loss)

        // The checkpoint keeps both; a model loaded from it for inference is the average.
        let file = try SafetensorsFile.read(path: "\(directory)/last.safetensors")
        let names = Set(file.entries.map(\.name))
        for tensor in averaging.averages {
            XCTAssertTrue(names.contains("average.\(tensor.name)"), tensor.name)
            XCTAssertTrue(names.contains(tensor.name), tensor.name)
        }
        let loaded = try TrainedModel(checkpointPath: "\(directory)/last.safetensors")
        XCTAssertEqual(bits(loaded.model.parameters + loaded.model.buffers), bits(averaging.averages))
        let counts = averaging.averages.filter { $0.name.hasSuffix("batchesTracked") }
        XCTAssertFalse(counts.isEmpty)
        XCTAssertEqual(
            bits(counts), bits(averaging.sources.filter { $0.name.hasSuffix("batchesTracked") }),
            "counts are copied, not averaged")
    }

    /// A damaged average is refused before anything changes; a checkpoint written with (or
    /// without) Lookahead cannot be resumed without (or with) it, and the message says so. A
    /// checkpoint with an average is format version 2, one without stays 1.
    func testRestoringRefusesADamagedAverageAndALookaheadChangeNamingThem() throws {
        let directory = folder()
        let first = try ResumeTests.freshRun(try config(directory))
        let checkpoint = try ResumeTests.interrupt(first) { $0.step == 3 }
        let file = try Checkpoint(path: checkpoint)
        XCTAssertEqual(file.file.metadata("formatVersion"), "2")
        var damaged = file.snapshot
        let index = try XCTUnwrap(damaged.averagedModel.firstIndex { $0.name == "layers.0.weight" })
        damaged.averagedModel[index].shape = [1]
        damaged.averagedModel[index].values = [0]
        let fresh = try Trainer(config: file.config, data: try TrainingData(config: file.config), source: "test.json")
        XCTAssertThrowsError(try fresh.restore(from: damaged, source: "ckpt")) {
            XCTAssertTrue(
                ($0 as? WeftError)?.message.hasPrefix("ckpt: tensor average.layers.0.weight of the moving average")
                    == true,
                "\($0)")
        }
        XCTAssertTrue(fresh.optimizer.stateTensors().isEmpty, "nothing changed, the optimiser state neither")
        XCTAssertEqual(fresh.state.step, 0)

        let plain = try config(folder(), optimizer: "")
        let withoutLookahead = try Trainer(config: plain, data: try TrainingData(config: plain), source: "test.json")
        XCTAssertThrowsError(try withoutLookahead.restore(from: file.snapshot, source: "ckpt")) {
            XCTAssertTrue(
                ($0 as? WeftError)?.message.hasPrefix(
                    "ckpt: the run trained with training.optimizer.lookahead, which cannot be removed on resume")
                    == true,
                "\($0)")
        }
        let noAverage = try ResumeTests.freshRun(try config(folder(), options: "", optimizer: ""))
        let plainCheckpoint = try ResumeTests.interrupt(noAverage) { $0.step == 1 }
        XCTAssertEqual(try Checkpoint(path: plainCheckpoint).file.metadata("formatVersion"), "1")
    }

    func testGroupsTakeParametersByLayerTypeNameAndPrefixInOrder() throws {
        let run = try ResumeTests.freshRun(
            try config(
                folder(),
                options: """
                    "parameterGroups": [ { "prefixes": "layers.6", "parameterNames": "weight", "learningRateScale": 0.5 },
                                         { "layerTypes": ["batchNorm", "dense"], "learningRateScale": 0, "weightDecay": 0 } ],
                    """, optimizer: ""))
        defer { run.release() }
        let groups = run.trainer.parameterGroups
        XCTAssertEqual(
            groups.map { $0.parameters.map(\.name) },
            [
                ["layers.6.weight"], ["layers.1.weight", "layers.1.bias", "layers.6.bias"],
                ["layers.0.weight", "layers.0.bias"]
            ])
        XCTAssertEqual(groups.map(\.learningRateScale), [0.5, 0, 1])
        XCTAssertEqual(groups.map(\.weightDecay), [nil, 0, nil])

        // A scale of 0 without weight decay keeps the group's parameters exactly where they start.
        let before = bits(groups[1].parameters), others = bits(groups[0].parameters + groups[2].parameters)
        _ = try run.run()
        XCTAssertEqual(bits(groups[1].parameters), before)
        XCTAssertNotEqual(bits(groups[0].parameters + groups[2].parameters), others, "the other groups train")
    }

    func testGroupsThatTakeNothingAndBadSettingsAreRefusedNamingTheKey() throws {
        let directory = folder()
        let cases: [(options: String, optimizer: String, expected: String)] = [
            ("\"ema\": { \"decay\": 1 },", "", "training.ema.decay: must be a number from 0 to 1 (exclusive)"),
            ("\"ema\": { \"decay\": 0.9, \"everySteps\": 0 },", "", "training.ema.everySteps"),
            ("\"ema\": { \"rate\": 0.9 },", "", "training.ema"),
            ("\"parameterGroups\": [ {} ],", "", "training.parameterGroups[0]: needs at least one of layerTypes"),
            (
                "\"parameterGroups\": [ { \"layerTypes\": \"pool\" } ],", "",
                "must be one of \"conv2d\", \"dense\", \"batchNorm\""
            ),
            ("", ", \"lookahead\": { \"alpha\": 0 }", "training.optimizer.lookahead.alpha"),
            ("", ", \"lookahead\": { \"steps\": 0 }", "training.optimizer.lookahead.steps")
        ]
        for (options, optimizer, expected) in cases {
            XCTAssertThrowsError(try config(directory, options: options, optimizer: optimizer), expected) {
                XCTAssertTrue(($0 as? WeftError)?.message.contains(expected) == true, "\($0) lacks \(expected)")
            }
        }
        let nothing = try config(
            directory,
            options: "\"parameterGroups\": [ { \"layerTypes\": \"conv2d\" }, { \"prefixes\": \"layers.0\" } ],",
            optimizer: "")
        XCTAssertThrowsError(try ResumeTests.freshRun(nothing)) {
            let message = ($0 as? WeftError)?.message ?? "\($0)"
            XCTAssertTrue(
                message.contains(
                    "test.json: training.parameterGroups[1]: matches no trainable parameter that an earlier group did not take; the parameters are layers.0.weight (conv2d), layers.0.bias (conv2d), layers.1.weight (batchNorm)"
                ), message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory), "a refused run touches no folder")
    }
}
