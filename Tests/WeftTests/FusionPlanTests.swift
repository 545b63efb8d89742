import Foundation
import Weft
import XCTest

/// The fusion plan a model is built with (`FusionPlan`, `ModelBuilder.plan`): which layers run as
/// one op and which algorithm each convolution takes, for the shipped configs and for the edges of
/// every rule.
final class FusionPlanTests: XCTestCase {
    private func steps(_ plan: FusionPlan) -> [String] {
        plan.steps.map { "\($0.range.lowerBound)-\($0.range.upperBound - 1) \($0.name)" }
    }

    private func layers(_ json: String) throws -> [LayerSpec] {
        let value = try JSONParser.parse(json, source: "test")
        guard case .array(let items) = value else { throw WeftError("not a list") }
        return try items.map { try LayerSpec(ConfigNode(value: $0, source: "test")) }
    }

    func testShippedConfigsPlans() throws {
        let expected: [String: [String]] = [
            "cnn-bn": [
                "0-3 Conv2d+BatchNorm+ReLU+MaxPool", "4-4 Conv2d", "5-7 BatchNorm+ReLU+MaxPool", "8-8 Flatten",
                "9-9 Dense",
                "10-10 ReLU", "11-11 Dropout", "12-12 Dense"
            ],
            "cnn": [
                "0-2 Conv2d+ReLU+MaxPool", "3-3 Conv2d", "4-5 ReLU+MaxPool", "6-6 Flatten", "7-7 Dense", "8-8 ReLU",
                "9-9 Dropout", "10-10 Dense"
            ],
            "resnet": [
                "0-0 Conv2d", "1-2 BatchNorm+ReLU", "3-3 Residual", "4-4 ReLU", "5-5 Residual", "6-6 ReLU",
                "7-7 Residual",
                "8-8 ReLU", "9-9 GlobalAvgPool", "10-10 Flatten", "11-11 Dense"
            ]
        ]
        for (name, steps) in expected {
            let config = try TrainingConfig.load(
                path: ConfigTests.configsFolder.appendingPathComponent("\(name).json").path)
            var generator = RandomGenerator(seed: 1)
            let model = try ModelBuilder(config: config.model, source: name).build(generator: &generator)
            XCTAssertEqual(self.steps(model.plan), steps, name)
            XCTAssertEqual(
                model.plan, ModelBuilder.plan(config.model.layers, input: config.model.input),
                "\(name): the built model runs the plan inspect prints")
        }
    }

    func testConvolutionAlgorithmsAreChosenWhenTheModelIsBuilt() throws {
        let config = try TrainingConfig.load(path: ConfigTests.configsFolder.appendingPathComponent("vgg.json").path)
        var generator = RandomGenerator(seed: 1)
        let model = try ModelBuilder(config: config.model, source: "vgg").build(generator: &generator)
        let algorithms = model.layers.compactMap { ($0 as? Conv2d)?.algorithm }
        XCTAssertEqual(
            algorithms, [.im2col, .winograd, .winograd, .winograd, .winograd],
            "vgg's single-channel first convolution stays on im2col, the others over 32+ channels take Winograd")
        let lines = ModelBuilder.planDescription(config.model.layers, input: config.model.input)
        XCTAssertTrue(lines.contains { $0.contains("layers.3") && $0.contains("Winograd F(2×2, 3×3)") }, "\(lines)")
    }

    func testRulesAndTheirEdges() throws {
        func plan(_ json: String, input: [Int] = [8, 12, 12]) throws -> [String] {
            steps(ModelBuilder.plan(try layers(json), input: input))
        }
        // A Winograd convolution keeps its own path: no stage, the rest still fuses.
        XCTAssertEqual(
            try plan(
                #"[{"type":"conv2d","filters":8,"kernel":3,"padding":1},{"type":"batchNorm"},{"type":"relu"},{"type":"maxPool","size":2}]"#
            ),
            ["0-0 Conv2d", "1-3 BatchNorm+ReLU+MaxPool"])
        // An im2col convolution deeper in the model is a stage too (it fuses whenever its input needs no gradient).
        XCTAssertEqual(
            try plan(
                #"[{"type":"sigmoid"},{"type":"conv2d","filters":4,"kernel":5},{"type":"relu"},{"type":"maxPool","size":2}]"#
            ),
            ["0-0 Sigmoid", "1-3 Conv2d+ReLU+MaxPool"])
        // Pools other than 2×2/2 without padding do not fuse; a 2×2 convolution output still makes a stage.
        XCTAssertEqual(
            try plan(
                #"[{"type":"relu"},{"type":"maxPool","size":2,"stride":1},{"type":"relu"},{"type":"maxPool","size":3,"stride":2,"padding":1}]"#
            ),
            ["0-0 ReLU", "1-1 MaxPool", "2-2 ReLU", "3-3 MaxPool"])
        XCTAssertEqual(
            try plan(#"[{"type":"conv2d","filters":4,"kernel":11},{"type":"relu"},{"type":"maxPool","size":2}]"#),
            ["0-2 Conv2d+ReLU+MaxPool"])
        // Batch-norm and ReLU at the end, over features.
        XCTAssertEqual(
            try plan(#"[{"type":"flatten"},{"type":"dense","units":4},{"type":"batchNorm"},{"type":"relu"}]"#),
            ["0-0 Flatten", "1-1 Dense", "2-3 BatchNorm+ReLU"])
        // A stage's fallback: the convolution, then the rest as one step.
        let stage = ModelBuilder.plan(
            try layers(
                #"[{"type":"conv2d","filters":4,"kernel":3},{"type":"batchNorm"},{"type":"relu"},{"type":"maxPool","size":2}]"#
            ),
            input: [1, 12, 12]
        ).steps[0]
        XCTAssertEqual(stage.kind, .convolutionStage)
        XCTAssertEqual(stage.fallback.map(\.name), ["Conv2d", "BatchNorm+ReLU+MaxPool"])
    }

    func testAResidualBodyHasAPlanOfItsOwn() throws {
        let specs = try layers(
            #"[{"type":"residual","layers":[{"type":"conv2d","filters":8,"kernel":3,"padding":1},{"type":"batchNorm"},{"type":"relu"},{"type":"conv2d","filters":8,"kernel":3,"padding":1}]}]"#
        )
        var generator = RandomGenerator(seed: 2)
        let json = try JSONParser.parse(
            #"{"name":"r","data":{"dataset":"fashion-mnist"},"model":{"input":[8,6,6],"layers":[]},"training":{"epochs":1,"batchSize":2,"optimizer":{"type":"sgd","learningRate":0.1}}}"#
                .replacingOccurrences(
                    of: #""layers":[]"#,
                    with: #""layers":"#
                        + (specs.map(\.json).map { $0.serialized(pretty: false) }.joined(separator: ","))
                        .wrappedInBrackets),
            source: "test")
        let builder = try ModelBuilder(config: try TrainingConfig(json: json, source: "test").model, source: "test")
        let residual = try XCTUnwrap(builder.build(generator: &generator).layers.first as? Residual)
        XCTAssertEqual(steps(residual.body.plan), ["0-0 Conv2d", "1-2 BatchNorm+ReLU", "3-3 Conv2d"])
        XCTAssertEqual(
            ModelBuilder.planDescription(specs, input: [8, 6, 6]).filter { $0.contains("layers.0.body") }.count, 3)
        XCTAssertFalse(
            ModelBuilder.planDescription(specs, input: [8, 6, 6]).contains { $0.contains("projection") },
            "an identity shortcut runs no convolution")
        let widening = try layers(
            #"[{"type":"residual","layers":[{"type":"conv2d","filters":16,"kernel":3,"padding":1}]}]"#)
        XCTAssertEqual(
            ModelBuilder.planDescription(widening, input: [8, 6, 6]).last,
            "  layers.0.projection  Conv2d 1×1 (the shortcut): im2col + sgemm")
    }
}

private extension String {
    var wrappedInBrackets: String { "[" + self + "]" }
}
