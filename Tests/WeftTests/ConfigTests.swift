import Weft
import XCTest

/// Every shipped config builds; every kind of config error names the file, the JSON path and the fix.
final class ConfigTests: XCTestCase {
    static let configsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Configs")

    /// Parameter counts of the reference models, as PyTorch's `sum(p.numel())` gives them for
    /// `../shared/peer/torch_bench.py`'s `build_model`.
    func testShippedConfigsBuildWithTheExpectedParameterCounts() throws {
        let expected = ["logreg": 7_850, "mlp": 235_146, "cnn": 421_642, "cnn-bn": 421_834, "vgg": 1_148_106]
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.configsFolder.path).filter {
            $0.hasSuffix(".json")
        }
        XCTAssertTrue(
            Set(files).isSuperset(of: [
                "logreg.json", "mlp.json", "cnn.json", "cnn-bn.json", "vgg.json", "resnet.json", "quick.json"
            ]))
        for file in files {
            let path = Self.configsFolder.appendingPathComponent(file).path
            let config = try TrainingConfig.load(path: path)
            let builder = try ModelBuilder(config: config.model, source: path)
            try builder.checkOutput(classCount: 10)
            var generator = RandomGenerator(seed: 1)
            let model = builder.build(generator: &generator)
            let built = model.parameters.reduce(0) { $0 + $1.tensor.count }
            XCTAssertEqual(built, builder.parameterCount, "\(file): built model and layer table disagree")
            if let count = expected[config.name] { XCTAssertEqual(built, count, "\(file) parameters") }
            var context = ForwardContext(training: false)
            let output = Autograd.withoutRecording { model.forward(Tensor.zeros([2, 1, 28, 28]), context: &context) }
            XCTAssertEqual(output.shape, [2, 10], file)
        }
    }

    func testReferenceFlopsMatchThePeerScript() throws {
        // `torch_bench.py --flops` gives these forward_flops.
        for (name, flops) in [
            ("cnn", 8_482_304), ("cnn-bn", 8_482_304), ("vgg", 175_496_192), ("logreg", 15_680), ("mlp", 469_504)
        ] {
            let path = Self.configsFolder.appendingPathComponent("\(name).json").path
            let builder = try ModelBuilder(config: try TrainingConfig.load(path: path).model, source: path)
            XCTAssertEqual(builder.flopsPerImage, flops, name)
        }
    }

    func testParameterNamesAreDottedAndStable() throws {
        let config = try parse(validConfig)
        var generator = RandomGenerator(seed: 3)
        let model = try ModelBuilder(config: config.model, source: "x.json").build(generator: &generator)
        XCTAssertEqual(
            model.parameters.map(\.name),
            [
                "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                "layers.6.weight", "layers.6.bias"
            ])
        XCTAssertEqual(
            model.buffers.map(\.name), ["layers.1.runningMean", "layers.1.runningVariance", "layers.1.batchesTracked"])
    }

    func testResolvedConfigRoundTrips() throws {
        let config = try parse(validConfig)
        let again = try TrainingConfig(
            json: try JSONParser.parse(config.json.serialized(), source: "resolved"), source: "resolved")
        XCTAssertEqual(again, config)
        XCTAssertEqual(again.json, config.json)
        XCTAssertEqual(config.checkpoint.directory, "Models/tiny")
        XCTAssertNil(config.json["evaluation"], "an absent evaluation section is not written back")
        let augmented = try parse(
            validConfig.replacingOccurrences(
                of: "\"schedule\": { \"type\": \"cosine\" } }",
                with: "\"schedule\": { \"type\": \"cosine\" } },\n  \"evaluation\": { \"tta\": [\"flip\"] }"))
        XCTAssertEqual(augmented.evaluation?.testTimeAugmentation, [.flip])
        let augmentedAgain = try TrainingConfig(
            json: try JSONParser.parse(augmented.json.serialized(), source: "resolved"), source: "resolved")
        XCTAssertEqual(augmentedAgain, augmented)
        XCTAssertEqual(augmentedAgain.json, augmented.json)
    }

    // MARK: - errors

    func testEveryKindOfErrorNamesFileAndPath() {
        let cases: [(String, String, String)] = [
            (
                "\"kernel\": 3", "\"kernel\": -1",
                "x.json: model.layers[0].kernel: must be an integer from 1 to 1024, got -1"
            ),
            ("\"epochs\": 2", "\"epochs\": 0", "x.json: training.epochs: must be an integer from 1 to 100000, got 0"),
            (
                "\"batchSize\": 8", "\"batchSize\": 0",
                "x.json: training.batchSize: must be an integer from 1 to 65536, got 0"
            ),
            (
                "\"learningRate\": 0.01", "\"learningRate\": -0.1",
                "x.json: training.optimizer.learningRate: must be a number from"
            ),
            ("\"type\": \"relu\"", "\"type\": \"swish\"", "x.json: model.layers[2].type: must be one of \"conv2d\""),
            (
                "\"epochs\": 2", "\"epochs\": 2, \"epochz\": 3",
                "x.json: training.epochz: unknown key; did you mean \"epochs\"?"
            ),
            (
                "\"filters\": 4", "\"filters\": 1000000000",
                "x.json: model.layers[0].filters: must be an integer from 1 to 65536, got 1000000000"
            ),
            (
                "\"filters\": 4", "\"filters\": 4.5",
                "x.json: model.layers[0].filters: must be an integer from 1 to 65536, got 4.5"
            ),
            (
                "\"filters\": 4", "\"filters\": \"four\"",
                "x.json: model.layers[0].filters: must be an integer from 1 to 65536, got \"four\""
            ),
            (
                "\"dataset\": \"fashion-mnist\"", "\"dataset\": \"cifar\"",
                "x.json: data.dataset: must be one of \"fashion-mnist\", \"idx\""
            ),
            (
                "\"validationFraction\": 0.1", "\"validationFraction\": 1",
                "x.json: data.validationFraction: must be a number from 0 to 1 (exclusive), got 1"
            ),
            (
                "{ \"type\": \"flatten\" },", "",
                "x.json: model.layers[5]: dense needs a flat input, got [4, 4, 4]; add {\"type\": \"flatten\"}"
            ),
            (
                "\"kernel\": 3", "\"kernel\": 30",
                "x.json: model.layers[0]: conv2d window 30 with padding 1 is larger than its input [1, 8, 8]"
            ),
            (
                "\"rate\": 0.2", "\"rate\": 1.5",
                "x.json: model.layers[5].rate: must be a number from 0 to 1 (exclusive), got 1.5"
            ),
            (
                "\"momentum\": 0.9", "\"momentum\": 0.9, \"nesterov\": true, \"dampening\": 0.5",
                "x.json: training.optimizer.nesterov: Nesterov momentum needs"
            ),
            ("\"name\": \"tiny\",", "", "x.json: missing \"name\""),
            (
                "\"type\": \"cosine\"", "\"type\": \"cosine\", \"warmupEpochs\": 5",
                "x.json: training.schedule.warmupEpochs: must be fewer than the 2 training epochs"
            ),
            (
                "\"schedule\": { \"type\": \"cosine\" } }",
                "\"schedule\": { \"type\": \"cosine\" } }, \"evaluation\": { \"tta\": [\"flip\", \"mirror\"] }",
                "x.json: evaluation.tta[1]: must be one of \"flip\", \"shift1\", got \"mirror\""
            ),
            (
                "\"schedule\": { \"type\": \"cosine\" } }",
                "\"schedule\": { \"type\": \"cosine\" } }, \"evaluation\": { \"tta\": [\"shift1\", \"shift1\"] }",
                "x.json: evaluation.tta[1]: \"shift1\" is listed twice; give each view family once"
            ),
            (
                "\"schedule\": { \"type\": \"cosine\" } }",
                "\"schedule\": { \"type\": \"cosine\" } }, \"evaluation\": { \"tta\": [] }",
                "x.json: evaluation.tta: an empty list adds no view; name \"flip\" and/or \"shift1\", or remove \"evaluation\""
            ),
            (
                "\"schedule\": { \"type\": \"cosine\" } }",
                "\"schedule\": { \"type\": \"cosine\" } }, \"evaluation\": { \"tta\": [\"flip\"], \"views\": 2 }",
                "x.json: evaluation.views: unknown key (known here: tta)"
            ),
            (
                "\"schedule\": { \"type\": \"cosine\" } }",
                "\"schedule\": { \"type\": \"cosine\" } }, \"evaluaton\": { \"tta\": [\"flip\"] }",
                "x.json: evaluaton: unknown key; did you mean \"evaluation\"?"
            )
        ]
        for (original, replacement, expected) in cases {
            XCTAssertTrue(validConfig.contains(original), "test setup: \(original)")
            let broken = validConfig.replacingOccurrences(of: original, with: replacement)
            XCTAssertThrowsError(try parse(broken), "\(replacement) must be refused") { error in
                let message = (error as? WeftError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasPrefix(expected), "got: \(message)\nexpected to start with: \(expected)")
            }
        }
    }

    func testSyntaxErrorsGiveLineAndColumn() {
        XCTAssertThrowsError(try JSONParser.parse("{\n  \"a\": 1,\n  \"b\" 2\n}", source: "x.json")) { error in
            XCTAssertEqual(
                (error as? WeftError)?.message,
                "x.json: line 3, column 7: expected ':' after the key; fix the JSON syntax")
        }
        XCTAssertThrowsError(try JSONParser.parse("{\"a\": 1, \"a\": 2}", source: "x.json")) { error in
            XCTAssertTrue((error as? WeftError)?.message.contains("duplicate key \"a\"") == true)
        }
        for bad in ["", "{", "[1,]", "{\"a\": tru}", "\"unterminated", "[1 2]", String(repeating: "[", count: 500)] {
            XCTAssertThrowsError(try JSONParser.parse(bad, source: "x.json"), "\(bad.prefix(20)) must be refused")
        }
        XCTAssertEqual(
            try JSONParser.parse("\"\\ud83d\\udc55 shirt\"", source: "x"), .string("\u{1F455} shirt"),
            "a surrogate pair is one character")
        XCTAssertEqual(
            try JSONParser.parse("{\"a\": [1, -2.5e3, true, null, \"\\u00e9\\n\"]}", source: "x"),
            .object([("a", .array([.number(1), .number(-2500), .bool(true), .null, .string("é\n")]))]))
    }

    func testMissingFileAndNonObjectRoot() {
        XCTAssertThrowsError(try TrainingConfig.load(path: "/nonexistent/x.json")) { error in
            XCTAssertTrue(
                (error as? WeftError)?.message.hasPrefix("/nonexistent/x.json: cannot read the config file") == true)
        }
        XCTAssertThrowsError(try TrainingConfig(json: .array([]), source: "x.json")) { error in
            XCTAssertEqual((error as? WeftError)?.message, "x.json: must be an object {...}, got a list")
        }
    }

    func testHugeModelIsRefusedBeforeAllocation() throws {
        let huge = validConfig.replacingOccurrences(of: "\"units\": 10", with: "\"units\": 1000000")
            .replacingOccurrences(of: "\"filters\": 4", with: "\"filters\": 60000")
        XCTAssertThrowsError(try parse(huge)) { error in
            XCTAssertTrue((error as? WeftError)?.message.contains("parameters, more than") == true, "\(error)")
        }
    }

    func testOverridesAreAppliedAndValidated() throws {
        let document = try JSONParser.parse(validConfig, source: "x.json")
        var json = try ConfigOverride("training.epochs=3").apply(to: document)
        json = try ConfigOverride("model.layers[0].filters=6").apply(to: json)
        json = try ConfigOverride("training.optimizer.learningRate=0.5").apply(to: json)
        let config = try TrainingConfig(json: json, source: "x.json")
        XCTAssertEqual(config.training.epochs, 3)
        XCTAssertEqual(config.model.layers[0], .conv2d(filters: 6, kernel: 3, stride: 1, padding: 1, bias: true))
        XCTAssertEqual(config.training.optimizer.learningRate, 0.5)
        XCTAssertThrowsError(try ConfigOverride("training.epochs").apply(to: document))
        XCTAssertThrowsError(try ConfigOverride("model.layers[9].filters=3").apply(to: document)) { error in
            XCTAssertTrue((error as? WeftError)?.message.contains("model.layers has 7 items") == true, "\(error)")
        }
        let misspelled = try ConfigOverride("trainning.epochs=3").apply(to: document)
        XCTAssertThrowsError(try TrainingConfig(json: misspelled, source: "x.json")) { error in
            XCTAssertTrue(
                (error as? WeftError)?.message.hasPrefix("x.json: trainning: unknown key; did you mean \"training\"?")
                    == true, "\(error)")
        }
        let added = try ConfigOverride("checkpoint.directory=/tmp/run").apply(to: document)
        XCTAssertEqual(try TrainingConfig(json: added, source: "x.json").checkpoint.directory, "/tmp/run")
        let typo = try ConfigOverride("training.epochz=3").apply(to: document)
        XCTAssertThrowsError(try TrainingConfig(json: typo, source: "x.json"))
        let negative = try ConfigOverride("training.epochs=-3").apply(to: document)
        XCTAssertThrowsError(try TrainingConfig(json: negative, source: "x.json"))
    }

    private func parse(_ text: String) throws -> TrainingConfig {
        let config = try TrainingConfig(json: try JSONParser.parse(text, source: "x.json"), source: "x.json")
        _ = try ModelBuilder(config: config.model, source: "x.json")
        return config
    }

    private let validConfig = """
        {
          "name": "tiny",
          "data": { "dataset": "fashion-mnist", "validationFraction": 0.1 },
          "model": { "input": [1, 8, 8], "layers": [
            { "type": "conv2d", "filters": 4, "kernel": 3, "padding": 1 },
            { "type": "batchNorm" },
            { "type": "relu" },
            { "type": "maxPool", "size": 2 },
            { "type": "flatten" },
            { "type": "dropout", "rate": 0.2 },
            { "type": "dense", "units": 10 } ] },
          "training": { "epochs": 2, "batchSize": 8, "seed": 1,
            "optimizer": { "type": "sgd", "learningRate": 0.01, "momentum": 0.9 },
            "schedule": { "type": "cosine" } }
        }
        """
}
