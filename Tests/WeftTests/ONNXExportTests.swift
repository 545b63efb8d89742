import Foundation
import Weft
import XCTest

/// The ONNX export: `onnx.checker.check_model(full_check=True)` accepts the model of every
/// shipped config (random weights and batch-norm statistics), and ONNX Runtime's logits on
/// 1,000 real test images match Weft's within 1e-4 with the same predicted classes.
final class ONNXExportTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    static let imageCount = 1000
    static let tolerance = 1e-4

    /// Checks and runs in ONNX Runtime the exports of `models` on the first test images.
    /// With `channels` 3 the gray test images are coloured: R the image, G its negative, B half
    /// of it (`[N, 3, 28, 28]`).
    private func compareWithONNXRuntime(_ models: [(name: String, model: TrainedModel)], channels: Int = 1) throws {
        try ExportFixtures.requireONNX()
        let (gray, _) = try ExportFixtures.testImages(count: Self.imageCount)
        let plane = 28 * 28
        let bytes =
            channels == 1
            ? gray
            : (0..<Self.imageCount).flatMap { image -> [UInt8] in
                let pixels = gray[(image * plane)..<((image + 1) * plane)]
                return Array(pixels) + pixels.map { 255 - $0 } + pixels.map { $0 / 2 }
            }
        let folder = try TemporaryDirectory()
        let pixels = folder.file("pixels.npy")
        try Data(NumpyArchive.npy(shape: [Self.imageCount, channels, 28, 28], values: bytes.map { Float($0) / 255 }))
            .write(to: URL(fileURLWithPath: pixels))
        var arguments = [pixels]
        for (name, model) in models {
            let onnx = folder.file("\(name).onnx"), logits = folder.file("\(name).npy")
            try model.export(as: .onnx, to: onnx)
            let values = ExportFixtures.logits(model, bytes: bytes, count: Self.imageCount)
            try Data(NumpyArchive.npy(shape: [Self.imageCount, model.classNames.count], values: values))
                .write(to: URL(fileURLWithPath: logits))
            arguments += [name, onnx, logits]
        }
        let script = """
            import json, sys
            import numpy as np, onnx, onnxruntime
            pixels = np.load(sys.argv[1])
            results = {}
            for name, path, weft_path in zip(sys.argv[2::3], sys.argv[3::3], sys.argv[4::3]):
                model = onnx.load(path)
                onnx.checker.check_model(model, full_check=True)
                session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
                inputs = [(i.name, i.shape) for i in session.get_inputs()]
                outputs = [(o.name, o.shape) for o in session.get_outputs()]
                logits, probabilities = session.run(["logits", "probabilities"], {"images": pixels})
                weft = np.load(weft_path)
                ordered = np.sort(weft, axis=1)
                margins = ordered[:, -1] - ordered[:, -2]
                differ = np.nonzero(logits.argmax(1) != weft.argmax(1))[0]
                softmax = np.exp(weft - weft.max(1, keepdims=True)); softmax /= softmax.sum(1, keepdims=True)
                results[name] = {"maxAbs": float(np.abs(logits - weft).max()), "differ": differ.tolist(),
                                 "differMargins": margins[differ].tolist(), "smallestMargin": float(margins.min()),
                                 "probabilityMaxAbs": float(np.abs(probabilities - softmax).max()),
                                 "inputs": str(inputs), "outputs": str(outputs),
                                 "opset": model.opset_import[0].version, "ir": model.ir_version}
            print(json.dumps(results))
            """
        let report = try ExportFixtures.python(script, arguments)
        for (name, model) in models {
            let result = report[name]
            let maxAbs = result?["maxAbs"]?.number ?? .infinity
            print(
                "ONNX Runtime vs Weft, \(name): max |logit difference| \(maxAbs) over \(Self.imageCount) images, smallest top-2 margin \(result?["smallestMargin"]?.number ?? .nan)"
            )
            XCTAssertLessThanOrEqual(maxAbs, Self.tolerance, "\(name): ONNX Runtime's logits differ from Weft's")
            XCTAssertEqual(
                result?["differ"], .array([]),
                "\(name): predicted classes differ (Weft's top-2 margins there: \(result?["differMargins"] ?? .null))")
            XCTAssertLessThanOrEqual(result?["probabilityMaxAbs"]?.number ?? .infinity, Self.tolerance, name)
            XCTAssertEqual(result?["inputs"], .string("[('images', ['batch', \(channels), 28, 28])]"), name)
            XCTAssertEqual(
                result?["outputs"],
                .string(
                    "[('logits', ['batch', \(model.classNames.count)]), ('probabilities', ['batch', \(model.classNames.count)])]"
                ), name)
            XCTAssertEqual(result?["opset"], .number(Double(ONNX.opsetVersion)), name)
            XCTAssertEqual(result?["ir"], .number(Double(ONNX.irVersion)), name)
        }
    }

    func testEveryShippedConfigPassesTheFullCheckerAndMatchesONNXRuntime() throws {
        let models = try ExportFixtures.shippedConfigNames().map { name in
            (
                name: String(name.dropLast(".json".count)),
                model: try ExportFixtures.randomModel(try ExportFixtures.config(name))
            )
        }
        try compareWithONNXRuntime(models)
    }

    func testEveryLayerTypeMatchesONNXRuntime() throws {
        let model = try ExportFixtures.randomModel(
            try ExportFixtures.config(text: ExportFixtures.everyLayerConfigText), seed: 5)
        try compareWithONNXRuntime([(name: "every-layer", model: model)])
    }

    func testAColourModelWithPerChannelNormalisationMatchesONNXRuntime() throws {
        let text = try String(contentsOfFile: ExportFixtures.path("Configs/cnn-bn.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"input\": [1, 28, 28]", with: "\"input\": [3, 28, 28]")
        let config = try ExportFixtures.config(text: text)
        XCTAssertEqual(config.model.input, [3, 28, 28])
        let model = try ExportFixtures.randomModel(
            config, seed: 9, normalization: Normalization(mean: [0.2, 0.5, 0.1], standardDeviation: [0.3, 0.4, 0.2]))
        try compareWithONNXRuntime([(name: "cnn-bn-rgb", model: model)], channels: 3)
    }

    func testTheGraphNormalisesInsideAndRecordsItsMetadata() throws {
        let model = try ExportFixtures.randomModel(
            try ExportFixtures.config("cnn-bn.json"),
            normalization: Normalization(mean: 0.25, standardDeviation: 0.5))
        let onnx = try model.onnxModel()
        XCTAssertEqual(Array(onnx.nodes.prefix(2).map(\.operatorType)), ["Sub", "Div"])
        XCTAssertEqual(onnx.nodes.map(\.operatorType).filter { $0 == "Dropout" }, [], "dropout is left out")
        XCTAssertEqual(onnx.nodes.last?.operatorType, "Softmax")
        XCTAssertEqual(onnx.initializers.first { $0.name == "normalization.mean" }?.values, [0.25])
        XCTAssertEqual(onnx.initializers.first { $0.name == "normalization.std" }?.values, [0.5])
        XCTAssertEqual(onnx.metadata.first { $0.key == "normalization" }?.value, "{\"mean\": [0.25], \"std\": [0.5]}")
        XCTAssertTrue(onnx.initializers.contains { $0.name == "1.running_var" })
    }
}
