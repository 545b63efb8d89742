import Foundation
import Weft
import XCTest

/// Fine-tuning: `--init-from` copies the tensors that fit and leaves the rest at their seeded
/// values, `training.freeze` keeps parameters (and a frozen batch-norm's statistics) fixed, and a
/// fine-tuned run resumes bit-identically.
final class FineTuningTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    /// 8×8 images whose pattern depends on the label of ten classes; labels for ten classes
    /// and for five (`label % 5`).
    private func dataDirectory() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        func write(count: Int, split: String) throws {
            let labels = (0..<count).map { ($0 * 7) % 10 }
            let images = (0..<(count * 64)).map { index -> UInt8 in
                let image = index / 64, pixel = index % 64
                return UInt8((labels[image] * 23 + pixel * (labels[image] + 1) + image % 3 * 5) % 256)
            }
            try directory.write(IDXFile(dimensions: [count, 8, 8], bytes: images).encoded(), to: "\(split)-images")
            for classes in [10, 5] {
                try directory.write(
                    IDXFile(dimensions: [count], bytes: labels.map { UInt8($0 % classes) }).encoded(),
                    to: "\(split)-labels-\(classes)")
            }
        }
        try write(count: 160, split: "train")
        try write(count: 40, split: "test")
        return directory
    }

    /// conv → batch-norm → ReLU → pool → flatten → dense(`classes`): parameters `layers.0.*`,
    /// `layers.1.*` (and its buffers) and `layers.5.*`.
    private func config(
        data: TemporaryDirectory, folder: String, classes: Int, epochs: Int = 1, freeze: [String] = [],
        layers: String? = nil, ema: Bool = false
    ) throws -> TrainingConfig {
        let freezeJSON = freeze.isEmpty ? "" : ", \"freeze\": [\(freeze.map { "\"\($0)\"" }.joined(separator: ", "))]"
        let text = """
            { "name": "finetune-test",
              "data": { "dataset": "idx", "directory": "\(data.path)", "validationFraction": 0.1,
                        "files": { "trainImages": "train-images", "trainLabels": "train-labels-\(classes)",
                                   "testImages": "test-images", "testLabels": "test-labels-\(classes)" },
                        "augment": { "horizontalFlip": true } },
              "model": { "input": [1, 8, 8], "layers": \(layers ?? """
                [
                { "type": "conv2d", "filters": 4, "kernel": 3, "padding": 1 }, { "type": "batchNorm" },
                { "type": "relu" }, { "type": "maxPool", "size": 2 }, { "type": "flatten" },
                { "type": "dense", "units": \(classes) } ]
                """) },
              "training": { "epochs": \(epochs), "batchSize": 16, "seed": 5\(freezeJSON)\(ema ? ", \"ema\": { \"decay\": 0.9 }" : ""),
                "optimizer": { "type": "adamw", "learningRate": 0.01, "weightDecay": 0.1 } },
              "checkpoint": { "directory": "\(folder)", "keepLast": 2 } }
            """
        return try TrainingConfig(json: try JSONParser.parse(text, source: "test.json"), source: "test.json")
    }

    private func folder() -> String {
        let path = NSTemporaryDirectory() + "weft-finetune-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func run(_ config: TrainingConfig, initFrom: String? = nil) throws -> TrainingRun {
        let progress = Progress(epochs: config.training.epochs)
        progress.enabled = false
        return try TrainingRun(
            config: config, data: try TrainingData(config: config), source: "test.json", initialWeights: initFrom,
            progress: progress)
    }

    /// A finished one-epoch run of the ten-class model; returns its folder.
    private func trainedSource(data: TemporaryDirectory) throws -> String {
        let source = folder()
        let trained = try run(try config(data: data, folder: source, classes: 10))
        defer { trained.release() }
        _ = try trained.run()
        return source
    }

    func testInitFromCopiesTheMatchingTensorsBitExactAndLeavesANewLastLayerAtItsInitialValue() throws {
        let data = try dataDirectory()
        let source = try trainedSource(data: data)
        let checkpoint = try Checkpoint(path: source + "/last.safetensors")
        let saved = Dictionary(
            uniqueKeysWithValues: checkpoint.snapshot.model.map { ($0.name, $0.values.map(\.bitPattern)) })
        let target = try config(data: data, folder: folder(), classes: 5)
        let seeded = ResumeTests.namedBits(
            try Trainer(config: target, data: try TrainingData(config: target), source: "test.json"))

        let tuned = try run(target, initFrom: source)
        defer { tuned.release() }
        let weights = ResumeTests.namedBits(tuned.trainer)
        let copied = [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.1.runningMean",
            "layers.1.runningVariance", "layers.1.batchesTracked"
        ]
        for name in copied {
            XCTAssertEqual(weights[name], saved[name], "\(name) is the checkpoint's, bit for bit")
            XCTAssertNotEqual(weights[name], seeded[name], "\(name) changed in the source's training")
        }
        for name in ["layers.5.weight", "layers.5.bias"] {
            XCTAssertEqual(weights[name], seeded[name], "\(name) keeps its seeded initial value")
        }
        let initial = try XCTUnwrap(tuned.initialWeights)
        XCTAssertEqual(initial.checkpoint, source + "/last.safetensors", "a run folder gives its last checkpoint")
        XCTAssertEqual(initial.copied.map(\.name), copied)
        XCTAssertEqual(
            initial.left,
            [
                .wrongShape(name: "layers.5.weight", saved: [10, 64], needed: [5, 64]),
                .wrongShape(name: "layers.5.bias", saved: [10], needed: [5])
            ])
        XCTAssertEqual(initial.unused, [])
        XCTAssertEqual(
            tuned.notes.last,
            "left at their initial values: layers.5.weight [5, 64] (the checkpoint's is [10, 64]), layers.5.bias [5] (the checkpoint's is [10])"
        )
        let record = try JSONParser.parse(
            String(contentsOfFile: tuned.folder + "/initial-weights.json", encoding: .utf8), source: "record")
        XCTAssertEqual(record["checkpoint"], .string(source + "/last.safetensors"))
        XCTAssertEqual(record["dataCrc32"], .string(try XCTUnwrap(checkpoint.file.metadata("dataCrc32"))))
        XCTAssertEqual(record["headerCrc32"], .string(try XCTUnwrap(checkpoint.file.metadata("headerCrc32"))))

        // The same seed and checkpoint give the same starting point.
        tuned.release()
        let again = try run(target, initFrom: source + "/last.safetensors")
        defer { again.release() }
        XCTAssertEqual(
            ResumeTests.namedBits(again.trainer), weights, "same seed + same checkpoint: bit-identical initial weights")
    }

    /// From a run with a moving average, `--init-from` takes the average (the model evaluation
    /// and export use), and a fine-tuning run's own average starts from those weights.
    func testInitFromTakesTheMovingAverageAndStartsTheNewAverageThere() throws {
        let data = try dataDirectory()
        let source = folder()
        let trained = try run(try config(data: data, folder: source, classes: 10, ema: true))
        _ = try trained.run()
        trained.release()
        let snapshot = try Checkpoint(path: source + "/last.safetensors").snapshot
        let averaged = Dictionary(
            uniqueKeysWithValues: snapshot.averagedModel.map { ($0.name, $0.values.map(\.bitPattern)) })
        let weights = Dictionary(uniqueKeysWithValues: snapshot.model.map { ($0.name, $0.values.map(\.bitPattern)) })
        XCTAssertNotEqual(
            averaged["layers.0.weight"], weights["layers.0.weight"], "the source's average is not its weights")

        let tuned = try run(try config(data: data, folder: folder(), classes: 5, ema: true), initFrom: source)
        defer { tuned.release() }
        let start = ResumeTests.namedBits(tuned.trainer)
        XCTAssertEqual(start["layers.0.weight"], averaged["layers.0.weight"], "the average is copied, bit for bit")
        let averages = try XCTUnwrap(tuned.trainer.averaging).averages
        XCTAssertEqual(
            Dictionary(uniqueKeysWithValues: averages.map { ($0.name, $0.tensor.scalars.map(\.bitPattern)) }), start,
            "the new run's average starts at its initial weights")
        XCTAssertEqual(tuned.initialWeights?.fromAverage, true)
        XCTAssertTrue(
            tuned.notes.contains { $0.hasPrefix("initial weights from \(source)/last.safetensors's moving average") },
            "\(tuned.notes)")
        let record = try JSONParser.parse(
            String(contentsOfFile: tuned.folder + "/initial-weights.json", encoding: .utf8), source: "record")
        XCTAssertEqual(record["weights"], .string("movingAverage"))
    }

    func testInitFromACheckpointOfWhichNothingFitsIsRefusedBeforeTheFolderIsTouched() throws {
        let data = try dataDirectory()
        let source = try trainedSource(data: data)
        let target = folder()
        let dense = try config(
            data: data, folder: target, classes: 5,
            layers: "[ { \"type\": \"flatten\" }, { \"type\": \"dense\", \"units\": 5 } ]")
        assertThrowsWeftError(
            try run(dense, initFrom: source + "/best.safetensors"),
            containing: [
                "\(source)/best.safetensors: none of its 9 tensors matches a parameter or buffer of the config's model by name and shape, so there is nothing to fine-tune from; pass a checkpoint of a model with the same first layers (compare them with weft inspect)"
            ])
        XCTAssertFalse(FileManager.default.fileExists(atPath: target), "a refused run leaves no folder")
        assertThrowsWeftError(
            try run(dense, initFrom: source + "/nothing"),
            containing: ["\(source)/nothing: no such run folder or checkpoint"])
    }

    func testFrozenParametersAndAFrozenBatchNormsStatisticsStayBitIdenticalWhileTheOthersTrain() throws {
        let data = try dataDirectory()
        let frozenConfig = try config(data: data, folder: folder(), classes: 10, freeze: ["layers.0", "layers.1"])
        let tuned = try run(frozenConfig)
        defer { tuned.release() }
        XCTAssertEqual(
            tuned.trainer.frozen.names, ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        let before = ResumeTests.namedBits(tuned.trainer)
        tuned.stopsWhen = { $0.step >= 6 }
        _ = try tuned.run()
        let after = ResumeTests.namedBits(tuned.trainer)
        let fixed = [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.1.runningMean",
            "layers.1.runningVariance", "layers.1.batchesTracked"
        ]
        for name in fixed { XCTAssertEqual(after[name], before[name], "\(name) is frozen") }
        for name in ["layers.5.weight", "layers.5.bias"] {
            XCTAssertNotEqual(after[name], before[name], "\(name) trains")
        }
        XCTAssertEqual(
            tuned.trainer.optimizer.stateTensors().keys.sorted(),
            [
                "layers.5.bias.exponentialAverage", "layers.5.bias.exponentialAverageOfSquares",
                "layers.5.weight.exponentialAverage", "layers.5.weight.exponentialAverageOfSquares"
            ], "no optimiser state for a frozen parameter")
        XCTAssertNil(tuned.trainer.parameters[0].tensor.gradient, "no gradient for a frozen parameter")

        // Freezing only the convolution: the batch-norm layer still trains and updates its statistics.
        let convolutionOnly = try run(try config(data: data, folder: folder(), classes: 10, freeze: ["layers.0"]))
        defer { convolutionOnly.release() }
        let start = ResumeTests.namedBits(convolutionOnly.trainer)
        convolutionOnly.stopsWhen = { $0.step >= 2 }
        _ = try convolutionOnly.run()
        let end = ResumeTests.namedBits(convolutionOnly.trainer)
        XCTAssertEqual(end["layers.0.weight"], start["layers.0.weight"])
        XCTAssertNotEqual(end["layers.1.weight"], start["layers.1.weight"])
        XCTAssertNotEqual(end["layers.1.runningMean"], start["layers.1.runningMean"])
    }

    func testAFreezePrefixThatMatchesNoParameterIsRefusedNamingItAndTheParameters() throws {
        let data = try dataDirectory()
        let wrong = try config(data: data, folder: folder(), classes: 10, freeze: ["layers.0", "layers.5.w"])
        assertThrowsWeftError(
            try run(wrong),
            containing: [
                "test.json: training.freeze[1]: \"layers.5.w\" matches no parameter of the model; use a prefix of its parameter names (layers.0.weight, layers.0.bias, layers.1.weight, layers.1.bias, layers.5.weight, layers.5.bias)"
            ])
        let twice =
            "{ \"epochs\": 1, \"batchSize\": 4, \"optimizer\": { \"type\": \"sgd\", \"learningRate\": 0.1 }, \"freeze\": [\"a\", \"a\"] }"
        let base = try config(data: data, folder: folder(), classes: 10)
        guard case .object(var members) = base.json else { return XCTFail("the resolved config is an object") }
        members[members.firstIndex { $0.key == "training" }!].value = try JSONParser.parse(twice, source: "t")
        assertThrowsWeftError(
            try TrainingConfig(json: .object(members), source: "x.json"),
            containing: ["x.json: training.freeze[1]: \"a\" is listed twice; remove one"])

        // The resolved config keeps the list, and reads back to the same config.
        let frozen = try config(data: data, folder: folder(), classes: 10, freeze: ["layers.0", "layers.1"])
        XCTAssertEqual(frozen.json["training"]?["freeze"], .array([.string("layers.0"), .string("layers.1")]))
        XCTAssertEqual(try TrainingConfig(json: frozen.json, source: "resolved"), frozen)
        XCTAssertNil(base.json["training"]?["freeze"], "no freeze key when nothing is frozen")
    }

    func testAFineTunedFrozenRunResumesBitIdenticallyToAnUninterruptedOne() throws {
        let data = try dataDirectory()
        let source = try trainedSource(data: data)
        let tunedConfig = { (folder: String) in
            try self.config(data: data, folder: folder, classes: 5, epochs: 2, freeze: ["layers.0"])
        }
        let straight = try run(try tunedConfig(folder()), initFrom: source)
        let expectedOutcome = try straight.run()
        straight.release()
        let expected = ResumeTests.namedBits(straight.trainer)
        let steps = straight.trainer.trainLoader.batchesPerEpoch

        for stop in [steps / 2, steps + 1] {
            let first = try run(try tunedConfig(folder()), initFrom: source)
            first.stopsWhen = { $0.step >= stop }
            guard case .interrupted(let interruption) = try first.run() else { return XCTFail("not interrupted") }
            first.release()
            let progress = Progress(epochs: 2)
            progress.enabled = false
            let resumed = try TrainingRun(resuming: try XCTUnwrap(interruption.checkpoint), progress: progress)
            defer { resumed.release() }
            XCTAssertNil(resumed.initialWeights, "a resumed run takes its weights from the checkpoint")
            XCTAssertEqual(resumed.trainer.frozen.names, ["layers.0.weight", "layers.0.bias"])
            let outcome = try resumed.run()
            XCTAssertEqual(
                ResumeTests.namedBits(resumed.trainer), expected,
                "stopped after step \(stop) and resumed: bit-identical")
            XCTAssertEqual(outcome, expectedOutcome, "stopped after step \(stop): same test result")
        }
    }
}
