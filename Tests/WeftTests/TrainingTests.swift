import Weft
import WeftTestSupport
import XCTest

/// End to end on the real Fashion-MNIST: a tiny CNN overfits a fixed batch, a short run learns,
/// and the same config, seed and thread count give identical weights.
final class TrainingTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    private func config(_ extra: String = "", epochs: Int = 2, trainLimit: Int = 2000, folder: String) throws
        -> TrainingConfig
    {
        let text = """
            { "name": "test-run",
              "data": { "dataset": "fashion-mnist", "validationFraction": 0.1, "trainLimit": \(trainLimit), "testLimit": 1000 \(extra) },
              "model": { "input": [1, 28, 28], "layers": [
                { "type": "conv2d", "filters": 8, "kernel": 3, "padding": 1 }, { "type": "batchNorm" }, { "type": "relu" },
                { "type": "maxPool", "size": 2 },
                { "type": "conv2d", "filters": 16, "kernel": 3, "padding": 1 }, { "type": "relu" },
                { "type": "maxPool", "size": 2 },
                { "type": "flatten" }, { "type": "dropout", "rate": 0.1 }, { "type": "dense", "units": 10 } ] },
              "training": { "epochs": \(epochs), "batchSize": 64, "seed": 5,
                "optimizer": { "type": "adam", "learningRate": 0.003 }, "schedule": { "type": "cosine" } },
              "checkpoint": { "directory": "\(folder)" } }
            """
        return try TrainingConfig(json: try JSONParser.parse(text, source: "test.json"), source: "test.json")
    }

    private func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "weft-training-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A fresh run of `config` without the progress line.
    private func quietRun(_ config: TrainingConfig) throws -> TrainingRun {
        let data = try TrainingData(config: config)
        let progress = Progress(epochs: config.training.epochs)
        progress.enabled = false
        return try TrainingRun(config: config, data: data, source: "test.json", progress: progress)
    }

    func testTinyCNNOverfitsAFixedBatchOf64RealImages() throws {
        let config = try config(folder: temporaryFolder())
        let data = try TrainingData(config: config)
        var generator = RandomGenerator(seed: 11)
        let model = try ModelBuilder(config: config.model, source: "test.json").build(generator: &generator)
        let loader = BatchLoader(
            dataset: data.train, indices: Array(data.trainIndices.prefix(64)), batchSize: 64,
            normalization: data.normalization, seed: 1)
        var none: RandomGenerator? = nil
        let (images, labels) = loader.batch(indices: loader.indices[...], augment: &none)
        let optimizer = try Adam()
        let parameters = model.parameters
        var accuracy = 0.0
        for _ in 0..<150 {
            var context = ForwardContext(training: true, generator: generator)
            let logits = model.forward(images, context: &context)
            generator = context.generator
            let loss = logits.softmaxCrossEntropy(labels: labels)
            zeroGradients(parameters)
            loss.backward()
            optimizer.step(parameters, learningRate: 0.01)
        }
        var context = ForwardContext(training: false)
        let logits = Autograd.withoutRecording { model.forward(images, context: &context) }
        accuracy = Double(MetricAccumulator.correctPredictions(logits: logits, labels: labels)) / 64
        XCTAssertEqual(accuracy, 1.0, "a tiny CNN must fit 64 images perfectly")
    }

    func testShortRealRunLearnsAndLogsEveryEpoch() throws {
        let folder = temporaryFolder()
        let run = try quietRun(try config(folder: folder))
        guard case .finished(let test) = try run.run() else { return XCTFail("the run did not finish") }
        XCTAssertGreaterThan(test.accuracy, 0.6, "2 epochs on 2,000 images must be far above chance (10%)")
        XCTAssertEqual(test.count, 1000)
        let records = try RunLog(directory: folder).records()
        XCTAssertEqual(records.count, 3, "one record per epoch and the test record")
        XCTAssertEqual(records[0]["epoch"], .number(1))
        XCTAssertNotNil(records[1]["validationAccuracy"])
        XCTAssertEqual(records[2]["event"], .string("test"))
        XCTAssertEqual(records[2]["testAccuracy"], .number(test.accuracy))
        XCTAssertEqual(run.trainer.state.step, 2 * 32, "2,000 images in batches of 64 is 32 steps an epoch")
    }

    func testSameConfigSeedAndThreadsGiveIdenticalWeights() throws {
        func finalWeights() throws -> [[Float]] {
            let run = try quietRun(
                try config(
                    ", \"augment\": { \"randomCrop\": { \"padding\": 2 }, \"horizontalFlip\": true }",
                    epochs: 1, trainLimit: 600, folder: temporaryFolder()))
            _ = try run.run()
            return (run.trainer.parameters + run.trainer.model.buffers).map { $0.tensor.scalars }
        }
        let first = try finalWeights()
        XCTAssertEqual(try finalWeights(), first, "two identical runs must give bit-identical weights")
    }

    func testBatchNormOnFlatInputNeverSeesABatchOfOneImage() throws {
        let flat = """
            { "name": "flat-bn", "data": { "dataset": "fashion-mnist", "trainLimit": 129, "testLimit": 100 },
              "model": { "input": [1, 28, 28], "layers": [ { "type": "flatten" }, { "type": "dense", "units": 16 },
                { "type": "batchNorm" }, { "type": "relu" }, { "type": "dense", "units": 10 } ] },
              "training": { "epochs": 1, "batchSize": 64, "optimizer": { "type": "sgd", "learningRate": 0.1 } },
              "checkpoint": { "directory": "\(temporaryFolder())" } }
            """
        let config = try TrainingConfig(json: try JSONParser.parse(flat, source: "flat.json"), source: "flat.json")
        let run = try quietRun(config)
        XCTAssertEqual(
            run.trainer.trainLoader.batchesPerEpoch, 2, "129 images in batches of 64: the last, single image is dropped"
        )
        guard case .finished(let test) = try run.run() else { return XCTFail("the run did not finish") }
        XCTAssertTrue(test.loss.isFinite)
        let single = try TrainingConfig(
            json: try ConfigOverride("training.batchSize=1").apply(to: config.json), source: "flat.json")
        XCTAssertThrowsError(try Trainer(config: single, data: try TrainingData(config: single), source: "flat.json")) {
            error in
            XCTAssertTrue(
                (error as? WeftError)?.message.contains("needs at least 2 images per batch") == true, "\(error)")
        }
    }

    func testDatasetAndModelMismatchesAreRefused() throws {
        let wrongInput = try TrainingConfig(
            json: try ConfigOverride("model.input=[3, 28, 28]").apply(to: try config(folder: "x").json),
            source: "test.json")
        XCTAssertThrowsError(
            try Trainer(config: wrongInput, data: try TrainingData(config: wrongInput), source: "test.json")
        ) { error in
            XCTAssertTrue(
                (error as? WeftError)?.message.hasPrefix("test.json: model.input: the dataset's images are [1, 28, 28]")
                    == true, "\(error)")
        }
        XCTAssertThrowsError(
            try TrainingData(config: try config(folder: "x"), directoryOverride: "/nonexistent/folder")
        ) { error in
            XCTAssertTrue((error as? WeftError)?.message.contains("/nonexistent/folder") == true, "\(error)")
        }
    }
}
