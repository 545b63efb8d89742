import Foundation
import Weft
import WeftTestSupport
import XCTest

/// Models, files and Python helpers shared by the export, import and prediction tests.
enum ExportFixtures {
    static let root = SafetensorsInteropTests.root

    /// The path of a file in the repository.
    static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// The shipped configs' file names (`cnn-bn.json`, ...), sorted.
    static func shippedConfigNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path("Configs")).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// A shipped config.
    static func config(_ name: String) throws -> TrainingConfig {
        try TrainingConfig.load(path: path("Configs/\(name)"))
    }

    /// A config from JSON text.
    static func config(text: String) throws -> TrainingConfig {
        try TrainingConfig(json: try JSONParser.parse(text, source: "test.json"), source: "test.json")
    }

    /// The model of `config` with PyTorch's default initialisation from `seed`, and random
    /// batch-norm weights, biases, running statistics and batch counts, so every tensor matters.
    static func randomModel(
        _ config: TrainingConfig, seed: UInt64 = 1,
        normalization: Normalization = FashionMNIST.normalization
    ) throws -> TrainedModel {
        let builder = try ModelBuilder(config: config.model, source: config.name)
        var generator = RandomGenerator(seed: seed)
        let model = builder.build(generator: &generator)
        for named in model.buffers + model.parameters where named.tensor.shape.rank <= 1 {
            let tensor = named.tensor
            for index in 0..<tensor.count {
                if named.name.hasSuffix("runningMean") {
                    tensor.data[index] = generator.nextFloat(in: -0.3, 0.3)
                } else if named.name.hasSuffix("runningVariance") {
                    tensor.data[index] = generator.nextFloat(in: 0.25, 1.75)
                } else if named.name.hasSuffix("batchesTracked") {
                    tensor.data[index] = Float(1 + generator.nextInt(below: 5000))
                } else if named.name.hasSuffix("weight") {
                    tensor.data[index] = generator.nextFloat(in: 0.5, 1.5)
                } else if named.name.hasSuffix("bias") {
                    tensor.data[index] = generator.nextFloat(in: -0.1, 0.1)
                }
            }
        }
        let classes = builder.outputShape.reduce(1, *)
        return TrainedModel(
            config: config, model: model, normalization: normalization,
            classNames: TorchImport.declaredClassNames(config, classCount: classes))
    }

    /// A config using every layer type, with padded average pooling, strided and bias-free
    /// convolutions, a forced projection, 1-D batch-norm and a bias-free dense layer.
    static let everyLayerConfigText = """
        { "name": "every-layer", "data": { "dataset": "fashion-mnist" },
          "model": { "input": [1, 28, 28], "layers": [
            { "type": "conv2d", "filters": 6, "kernel": 3, "padding": 1 }, { "type": "batchNorm", "momentum": 0.2, "epsilon": 0.001 },
            { "type": "leakyRelu", "slope": 0.1 },
            { "type": "avgPool", "size": 3, "stride": 2, "padding": 1 },
            { "type": "residual", "projection": true, "layers": [
                { "type": "conv2d", "filters": 6, "kernel": 3, "padding": 1, "bias": false }, { "type": "tanh" } ] },
            { "type": "residual", "layers": [
                { "type": "conv2d", "filters": 8, "kernel": 3, "stride": 2, "padding": 1 }, { "type": "batchNorm" }, { "type": "sigmoid" } ] },
            { "type": "maxPool", "size": 3, "stride": 2, "padding": 1 },
            { "type": "dropout", "rate": 0.5 },
            { "type": "conv2d", "filters": 12, "kernel": 1 }, { "type": "relu" },
            { "type": "globalAvgPool" }, { "type": "flatten" },
            { "type": "dense", "units": 16, "bias": false }, { "type": "batchNorm" }, { "type": "relu" },
            { "type": "dense", "units": 10 } ] },
          "training": { "epochs": 1, "batchSize": 8, "optimizer": { "type": "sgd", "learningRate": 0.1 } } }
        """

    /// The first `count` Fashion-MNIST test images as bytes `[count, 1, 28, 28]` and their labels,
    /// or `missing` (a skip, or a failure under `WEFT_REQUIRE_ALL=1`) when the dataset is not installed.
    static func testImages(count: Int) throws -> (bytes: [UInt8], labels: [Int]) {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed: run Tests/setup.sh")
        }
        let test = try FashionMNIST.load(.test)
        return (Array(test.images.prefix(count * test.imageByteCount)), Array(test.labels.prefix(count)))
    }

    /// Weft's logits `[count, classes]` of images given as `[N, C, H, W]` bytes, in batches of
    /// 100, each channel normalised with its own mean and deviation.
    static func logits(_ model: TrainedModel, bytes: [UInt8], count: Int) -> [Float] {
        let input = model.config.model.input
        let size = input.reduce(1, *), plane = input[1] * input[2]
        let tables = (0..<input[0]).map { model.normalization.table(channel: $0) }
        var result: [Float] = []
        for start in stride(from: 0, to: count, by: 100) {
            let batch = min(100, count - start)
            let images = Tensor(
                shape: Shape([batch] + input),
                scalars: (start * size..<(start + batch) * size).map { tables[($0 % size) / plane][Int(bytes[$0])] })
            result += model.logits(images).scalars
        }
        return result
    }

    /// Runs the venv's Python on `script` and parses its last stdout line as JSON.
    static func python(_ script: String, _ arguments: [String]) throws -> JSONValue {
        let output = try SafetensorsInteropTests.runPython(script, arguments)
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONParser.parse(line, source: "python output")
    }

    /// Skips unless the venv has onnx and onnxruntime (an older `.venv` may predate them:
    /// delete it and run Tests/setup.sh again).
    static func requireONNX() throws {
        _ = try SafetensorsInteropTests.python()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SafetensorsInteropTests.python())
        process.arguments = ["-c", "import onnx, onnxruntime"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw missing(".venv lacks onnx or onnxruntime: delete .venv and run Tests/setup.sh")
        }
    }
}

extension JSONValue {
    /// The number, or nil.
    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The text of a string, or nil.
    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The items of an array, or empty.
    var items: [JSONValue] {
        if case .array(let values) = self { return values }
        return []
    }
}
