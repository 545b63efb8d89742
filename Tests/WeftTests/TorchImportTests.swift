import Foundation
import Weft
import WeftTestSupport
import XCTest

/// Importing PyTorch weights: models trained by PyTorch (`Tests/Fixtures/Torch/*-trained.safetensors`,
/// written by `make_torch_interop.py`) classify the 10,000 test images exactly as PyTorch did;
/// an export imports back bit for bit; every kind of mismatch is named.
final class TorchImportTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    private static let trained = ExportFixtures.path("Tests/Fixtures/Torch/trained.json")

    private func fixture() throws -> JSONValue {
        try JSONParser.parse(String(contentsOfFile: Self.trained, encoding: .utf8), source: "trained.json")
    }

    private func checkTrainedModel(_ name: String) throws {
        let record = try XCTUnwrap(try fixture()["models"]?[name])
        guard case .string(let weights)? = record["weights"], case .string(let predictionText)? = record["predictions"],
            let torchAccuracy = record["testAccuracy"]?.number
        else { return XCTFail("trained.json: \(name) is incomplete") }
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed: run Tests/setup.sh")
        }
        let config = try ExportFixtures.config("\(name).json")
        let model = try TorchImport.load(
            path: ExportFixtures.path("Tests/Fixtures/Torch/\(weights)"), config: config,
            configSource: "Configs/\(name).json",
            normalization: Normalization(mean: 0.2860, standardDeviation: 0.3530))
        let test = try FashionMNIST.load(.test)
        var predictions = [Int](repeating: -1, count: test.count)
        let result = model.evaluate(dataset: test, indices: Array(0..<test.count), batchSize: 1000) {
            slice, logits, _ in
            let classes = logits.shape[1]
            for (row, index) in slice.enumerated() {
                let scores = logits.data + row * classes
                var best = 0
                for column in 1..<classes where scores[column] > scores[best] { best = column }
                predictions[index] = best
            }
        }
        let torchPredictions = predictionText.compactMap { $0.wholeNumberValue }
        let differing = zip(predictions, torchPredictions).enumerated().filter { $0.element.0 != $0.element.1 }.map(
            \.offset)
        print(
            String(
                format:
                    "%@ trained by PyTorch: test accuracy %.4f in PyTorch, %.4f in Weft; %d of %d predictions differ",
                name, torchAccuracy, result.accuracy, differing.count, test.count))
        XCTAssertEqual(result.count, 10_000)
        XCTAssertEqual(
            result.accuracy, torchAccuracy, accuracy: 0.0005, "\(name): Weft's accuracy differs from PyTorch's")
        XCTAssertEqual(differing, [], "\(name): Weft predicts other classes than PyTorch for these test images")
        XCTAssertEqual(model.config.data.normalization?.mean, [0.2860], "the normalisation is recorded in the config")
        XCTAssertEqual(model.classNames, FashionMNIST.classNames)
    }

    func testAnMLPTrainedByPyTorchClassifiesTheTestSetAsInPyTorch() throws {
        try checkTrainedModel("mlp")
    }

    func testABatchNormalisedCNNTrainedByPyTorchClassifiesTheTestSetAsInPyTorch() throws {
        try checkTrainedModel("quick")
    }

    func testAnExportImportsBackBitForBitWithItsNormalisation() throws {
        let folder = try TemporaryDirectory()
        for name in ["resnet.json", "cnn-bn.json"] {
            let normalization = Normalization(mean: 0.31, standardDeviation: 0.42)
            let original = try ExportFixtures.randomModel(try ExportFixtures.config(name), normalization: normalization)
            let path = folder.file("export.safetensors")
            try original.export(as: .safetensors, to: path)
            let imported = try TorchImport.load(path: path, config: try ExportFixtures.config(name), configSource: name)
            XCTAssertEqual(
                imported.normalization, normalization, "\(name): the export's normalisation metadata is used")
            XCTAssertEqual(
                imported.torchStateDictionary, original.torchStateDictionary,
                "\(name): tensors differ after the round trip")
        }
    }

    func testAColourExportImportsBackBitForBitWithItsPerChannelNormalisation() throws {
        let folder = try TemporaryDirectory()
        let text = try String(contentsOfFile: ExportFixtures.path("Configs/cnn-bn.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"input\": [1, 28, 28]", with: "\"input\": [3, 28, 28]")
        let config = try ExportFixtures.config(text: text)
        let normalization = Normalization(mean: [0.49, 0.48, 0.45], standardDeviation: [0.25, 0.24, 0.26])
        let original = try ExportFixtures.randomModel(config, normalization: normalization)
        XCTAssertEqual(original.torchStateDictionary.first?.shape, [32, 3, 3, 3], "the first convolution reads RGB")
        let path = folder.file("rgb.safetensors")
        try original.export(as: .safetensors, to: path)
        let imported = try TorchImport.load(path: path, config: config, configSource: "rgb.json")
        XCTAssertEqual(imported.normalization, normalization, "the per-channel normalisation comes back")
        XCTAssertEqual(imported.torchStateDictionary, original.torchStateDictionary)
    }

    func testAnImportedCheckpointLoadsForPredictionAndResumes() throws {
        let folder = try TemporaryDirectory()
        var config = try ExportFixtures.config("quick.json")
        config.data.trainLimit = 200
        config.data.testLimit = 100
        let model = try TorchImport.load(
            path: ExportFixtures.path("Tests/Fixtures/Torch/quick-trained.safetensors"), config: config,
            configSource: "quick.json", normalization: Normalization(mean: 0.2860, standardDeviation: 0.3530))
        let path = folder.file("imported.safetensors")
        try Checkpoint(untrained: model).write(to: path)
        let loaded = try TrainedModel(checkpointPath: path)
        XCTAssertEqual(loaded.torchStateDictionary, model.torchStateDictionary)
        XCTAssertEqual(loaded.normalization, model.normalization)
        XCTAssertEqual(loaded.classNames, FashionMNIST.classNames)

        let progress = Progress(epochs: 1)
        progress.enabled = false
        let run = try TrainingRun(resuming: path, progress: progress)
        defer { run.release() }
        let trainer = run.trainer
        XCTAssertEqual(
            trainer.data.normalization, Normalization(mean: 0.2860, standardDeviation: 0.3530),
            "fine-tuning uses the imported normalisation")
        XCTAssertEqual(trainer.state.step, 0)
        for (resumed, imported) in zip(
            trainer.model.parameters + trainer.model.buffers, model.model.parameters + model.model.buffers)
        {
            XCTAssertEqual(resumed.tensor.scalars, imported.tensor.scalars, resumed.name)
        }
        run.stopsWhen = { $0.step >= 2 }
        guard case .interrupted = try run.run() else { return XCTFail("the imported weights fine-tune until stopped") }
        XCTAssertEqual(trainer.state.step, 2)
    }

    func testEveryMismatchIsNamedInOneSentence() throws {
        let folder = try TemporaryDirectory()
        let quick = ExportFixtures.path("Tests/Fixtures/Torch/quick-trained.safetensors")
        let normalization = Normalization(mean: 0.2860, standardDeviation: 0.3530)
        // The quick model's weights given to the cnn config: shapes differ, layers are missing and left over.
        assertThrowsWeftError(
            try TorchImport.load(
                path: quick, config: try ExportFixtures.config("cnn.json"), configSource: "Configs/cnn.json",
                normalization: normalization),
            containing: [
                "quick-trained.safetensors: the weights do not fit the model of Configs/cnn.json: ",
                "0.weight has shape [8, 1, 3, 3] but the model needs [32, 1, 3, 3]",
                "the model needs 10.weight [10, 128], which the file lacks",
                "the file's 1.running_mean [8] belongs to no layer of the model",
                "weft inspect Configs/cnn.json lists them"
            ])

        func write(_ entries: [SafetensorsFile.Entry], _ name: String) throws -> String {
            let path = folder.file(name)
            try SafetensorsFile(metadata: [], entries: entries).write(to: path)
            return path
        }
        let logreg = try ExportFixtures.config("logreg.json")
        let wrongType = try write(
            [
                .init(name: "1.weight", shape: [10, 784], integers: [Int64](repeating: 0, count: 7840)),
                .init(name: "1.bias", shape: [10], values: [Float](repeating: 0, count: 10))
            ], "int.safetensors")
        assertThrowsWeftError(
            try TorchImport.load(
                path: wrongType, config: logreg, configSource: "logreg.json", normalization: normalization),
            containing: ["1.weight is I64 (integers) but must be F32"])
        let good = try write(
            [
                .init(name: "1.weight", shape: [10, 784], values: [Float](repeating: 0, count: 7840)),
                .init(name: "1.bias", shape: [10], values: [Float](repeating: 0, count: 10))
            ], "good.safetensors")
        assertThrowsWeftError(
            try TorchImport.load(path: good, config: logreg, configSource: "logreg.json"),
            containing: [
                "good.safetensors: the input normalisation the PyTorch model was trained with is unknown; pass --mean and --std"
            ])
        assertThrowsWeftError(
            try TorchImport.load(
                path: good, config: logreg, configSource: "logreg.json",
                normalization: Normalization(mean: [0.1, 0.2, 0.3], standardDeviation: [1, 1, 1])),
            containing: ["the normalisation has 3 values but the model's images have 1 channels"])
        let damaged = try write([], "damaged.safetensors")
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: damaged)))
        bytes[12] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        assertThrowsWeftError(
            try TorchImport.load(
                path: damaged, config: logreg, configSource: "logreg.json", normalization: normalization),
            containing: ["damaged.safetensors: ", "save the weights again with safetensors.torch.save_file"])
    }
}
