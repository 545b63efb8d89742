import Foundation
import Weft
import XCTest

/// One case of PyTorch's float64 oracle (`Tests/Fixtures/make_oracle.py`): an architecture, the
/// PyTorch weights, a batch of real Fashion-MNIST images, and what float64 PyTorch computes from
/// them: the logits in evaluation and in training mode, and after one SGD step (learning rate
/// 0.1) the update of every parameter and the value of every buffer.
struct TorchOracleCase {
    let name: String
    /// `[C, H, W]` of one image.
    let input: [Int]
    let labels: [Int]
    let layers: JSONValue
    /// The same layers with every dropout rate 0: the training step's model.
    let trainingLayers: JSONValue
    /// Float32 PyTorch's relative error against float64, by result name (`eval.logits`,
    /// `update.3.weight`, `after.1.running_mean`).
    let float32Error: [String: Double]
    /// Updates that are 0 in exact arithmetic (a bias right before batch-norm): both engines
    /// return rounding noise, so only the parameter's staying put is checked.
    let zeroUpdates: Set<String>
    /// The state_dict file (`NNN-weights.safetensors`) and the results (`NNN-expected.safetensors`).
    let weightsPath: String, expectedPath: String

    /// The oracle's folder in the source tree.
    static let folder = ExportFixtures.path("Tests/Fixtures/Oracle")

    /// Every case of `cases.json`, and the learning rate of its step.
    static func load(folder: String = folder) throws -> (cases: [TorchOracleCase], learningRate: Float) {
        let path = "\(folder)/cases.json"
        let manifest = try JSONParser.parse(String(contentsOfFile: path, encoding: .utf8), source: path)
        guard let rate = manifest["learningRate"]?.number, case .array(let records)? = manifest["cases"] else {
            throw WeftError("\(path): no learningRate or cases; run Tests/Fixtures/make_oracle.py again")
        }
        let cases = try records.enumerated().map { index, record in
            guard case .string(let name)? = record["name"], case .array(let input)? = record["input"],
                case .array(let labels)? = record["labels"], let layers = record["layers"],
                let trainingLayers = record["trainingLayers"], case .object(let errors)? = record["float32Error"],
                case .array(let zeroUpdates)? = record["zeroUpdates"]
            else {
                throw WeftError("\(path): case \(index) is incomplete; run Tests/Fixtures/make_oracle.py again")
            }
            let number = String(format: "%03d", index)
            return TorchOracleCase(
                name: name, input: input.compactMap { $0.number.map(Int.init) },
                labels: labels.compactMap { $0.number.map(Int.init) }, layers: layers,
                trainingLayers: trainingLayers,
                float32Error: Dictionary(
                    uniqueKeysWithValues: errors.compactMap { member in
                        member.value.number.map { (member.key, $0) }
                    }),
                zeroUpdates: Set(
                    zeroUpdates.compactMap { value -> String? in
                        if case .string(let key) = value { return key }
                        return nil
                    }),
                weightsPath: "\(folder)/\(number)-weights.safetensors",
                expectedPath: "\(folder)/\(number)-expected.safetensors")
        }
        return (cases, Float(rate))
    }

    /// A config with these layers and a one-step SGD run (what `weft import` is given).
    func config(layers: JSONValue, learningRate: Float) throws -> TrainingConfig {
        let json = JSONValue.object([
            ("name", .string(name)),
            ("data", .object([("dataset", .string("fashion-mnist"))])),
            ("model", .object([("input", .array(input.map { .number(Double($0)) })), ("layers", layers)])),
            (
                "training",
                .object([
                    ("epochs", .number(1)), ("batchSize", .number(Double(labels.count))),
                    ("optimizer", .object([("type", .string("sgd")), ("learningRate", .float(learningRate))]))
                ])
            )
        ])
        return try TrainingConfig(json: json, source: "\(name) (cases.json)")
    }
}

/// How far Weft's results are from the oracle's, tensor by tensor.
struct TorchOracleComparison {
    struct Row {
        let what: String
        let error: Double, tolerance: Double
    }
    var rows: [Row] = []
    var failures: [Row] { rows.filter { !($0.error <= $0.tolerance) } }

    /// Records `‖value - expected‖ / max(‖expected‖, floor)` against the case's tolerance:
    /// max(2e-3, 10 × float32 PyTorch's error).
    mutating func compare(_ what: String, _ value: [Float], _ expected: [Float], floor: Double, float32Error: Double?) {
        let tolerance = max(2e-3, 10 * (float32Error ?? .infinity))
        guard value.count == expected.count else {
            rows.append(
                Row(
                    what: "\(what) (\(value.count) values, expected \(expected.count))", error: .infinity,
                    tolerance: tolerance))
            return
        }
        var difference: Double = 0, norm: Double = 0
        for (a, b) in zip(value, expected) {
            difference += (Double(a) - Double(b)) * (Double(a) - Double(b))
            norm += Double(b) * Double(b)
        }
        rows.append(
            Row(what: what, error: difference.squareRoot() / max(norm.squareRoot(), floor, 1e-12), tolerance: tolerance)
        )
    }

    /// The Euclidean norm of `values`.
    static func norm(_ values: [Float]) -> Double {
        values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    }
}

extension TorchOracleCase {
    /// Runs the case in Weft with the engine's current thread count: the weights loaded through
    /// `TorchImport` (as `weft import` does), the evaluation logits as prediction computes them,
    /// then one training step as the trainer takes it (forward in training mode, cross-entropy,
    /// zeroed gradients, backward, the config's SGD step).
    /// - Parameter expectedPath: the results to compare with; nil: the case's own.
    func compare(learningRate: Float, expectedPath: String? = nil) throws -> TorchOracleComparison {
        let expectedPath = expectedPath ?? self.expectedPath
        let expected = try SafetensorsFile.read(path: expectedPath, advice: "run Tests/Fixtures/make_oracle.py again")
        func values(_ key: String) throws -> [Float] {
            guard let entry = expected.entry(key) else { throw WeftError("\(expectedPath): no tensor \(key)") }
            return entry.values
        }
        let normalization = Normalization(mean: 0.2860, standardDeviation: 0.3530)
        let table = normalization.table(channel: 0)
        let pixels = try values("pixels")
        let images = Tensor(shape: Shape([labels.count] + input), scalars: pixels.map { table[Int($0)] })
        var comparison = TorchOracleComparison()

        let evaluated = try TorchImport.load(
            path: weightsPath, config: try config(layers: layers, learningRate: learningRate),
            configSource: name, normalization: normalization)
        comparison.compare(
            "eval.logits", evaluated.logits(images).scalars, try values("eval.logits"), floor: 0,
            float32Error: float32Error["eval.logits"])

        let trainingConfig = try config(layers: trainingLayers, learningRate: learningRate)
        let model = try TorchImport.load(
            path: weightsPath, config: trainingConfig, configSource: name,
            normalization: normalization
        ).model
        let parameters = model.parameters
        let before = parameters.map(\.tensor.scalars)
        let countsBefore = model.buffers.filter { $0.name.hasSuffix("batchesTracked") }.map { $0.tensor.scalars[0] }
        let optimizer = try trainingConfig.training.optimizer.makeOptimizer()
        var context = ForwardContext(training: true)
        let logits = model.forward(images, context: &context)
        let loss = logits.softmaxCrossEntropy(labels: labels)
        zeroGradients(parameters)
        loss.backward()
        Autograd.withoutRecording { optimizer.step(parameters, learningRate: learningRate) }
        comparison.compare(
            "train.logits", logits.scalars, try values("train.logits"), floor: 0,
            float32Error: float32Error["train.logits"])
        for (parameter, old) in zip(parameters, before) {
            let key = "update." + TorchNaming.torchName(weftName: parameter.name)
            let update = zip(parameter.tensor.scalars, old).map { $0 - $1 }
            if zeroUpdates.contains(key) {
                let moved = TorchOracleComparison.norm(update) / max(TorchOracleComparison.norm(old), 1e-12)
                comparison.rows.append(.init(what: "\(key) (0 in exact arithmetic)", error: moved, tolerance: 1e-5))
                continue
            }
            comparison.compare(
                key, update, try values(key), floor: 1e-6 * TorchOracleComparison.norm(old),
                float32Error: float32Error[key])
        }
        for buffer in model.buffers where !buffer.name.hasSuffix("batchesTracked") {
            let key = "after." + TorchNaming.torchName(weftName: buffer.name)
            comparison.compare(key, buffer.tensor.scalars, try values(key), floor: 0, float32Error: float32Error[key])
        }
        let countsAfter = model.buffers.filter { $0.name.hasSuffix("batchesTracked") }.map { $0.tensor.scalars[0] }
        comparison.compare("batchesTracked", countsAfter, countsBefore.map { $0 + 1 }, floor: 1, float32Error: 0)
        return comparison
    }
}
