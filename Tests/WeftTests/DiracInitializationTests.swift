import Weft
import WeftTestSupport
import XCTest

/// `"initialization": "dirac"` on a convolution: its first min(filters, input channels) filters
/// start as the identity (torch's `dirac_` on them), everything else as the default
/// initialisation draws it.
final class DiracInitializationTests: XCTestCase {
    /// A whole config around `model`.
    private func config(_ model: String) throws -> TrainingConfig {
        let text = """
            { "name": "m", "data": { "dataset": "fashion-mnist" }, "model": \(model),
              "training": { "epochs": 1, "batchSize": 8, "optimizer": { "type": "sgd", "learningRate": 0.1 } } }
            """
        return try TrainingConfig(json: try JSONParser.parse(text, source: "m.json"), source: "m.json")
    }

    private func model(dirac: Bool) throws -> (TrainingConfig, Sequential) {
        let initialization = dirac ? ", \"initialization\": \"dirac\"" : ""
        let config = try config(
            """
            { "input": [2, 6, 6], "layers": [
                { "type": "conv2d", "filters": 4, "kernel": 3, "padding": 1 }, { "type": "relu" },
                { "type": "conv2d", "filters": 6, "kernel": 3, "padding": 1, "bias": false\(initialization) },
                { "type": "flatten" }, { "type": "dense", "units": 3 } ] }
            """)
        let builder = try ModelBuilder(config: config.model, source: "m.json")
        var generator = RandomGenerator(seed: 5)
        return (config, builder.build(generator: &generator))
    }

    func testTheFirstFiltersAreTheIdentityAndTheRestAsBefore() throws {
        let (_, plain) = try model(dirac: false)
        let (_, dirac) = try model(dirac: true)
        let weight = try XCTUnwrap(dirac.parameters.first { $0.name == "layers.2.weight" }).tensor  // [6, 4, 3, 3]
        for output in 0..<6 {
            for input in 0..<4 {
                for position in 0..<9 {
                    let value = weight.data[((output * 4 + input) * 9) + position]
                    if output < 4 {
                        XCTAssertEqual(value, output == input && position == 4 ? 1 : 0, "filter \(output)")
                    }
                }
            }
        }
        let reference = try XCTUnwrap(plain.parameters.first { $0.name == "layers.2.weight" }).tensor
        XCTAssertEqual(Array(weight.scalars[144...]), Array(reference.scalars[144...]), "filters 4 and 5 as drawn")
        XCTAssertNotEqual(Array(weight.scalars[..<144]), Array(reference.scalars[..<144]))
        for (mine, theirs) in zip(dirac.parameters, plain.parameters) where mine.name != "layers.2.weight" {
            XCTAssertEqual(mine.tensor.scalars, theirs.tensor.scalars, "\(mine.name): the same draws")
        }

        // The identity filters pass their input channel through.
        let input = Tensor(shape: [1, 4, 6, 6], scalars: (0..<144).map { Float($0 % 13) - 6 })
        let convolution = try XCTUnwrap(dirac.layers[2] as? Conv2d)
        var context = ForwardContext(training: false)
        let output = convolution.forward(input, context: &context)
        XCTAssertEqual(Array(output.scalars[..<144]), input.scalars)
    }

    func testTheOptionReadsBackAndOtherValuesAreRefused() throws {
        let (config, _) = try model(dirac: true)
        let again = try TrainingConfig(json: config.json, source: "m.json")
        XCTAssertEqual(again.model, config.model)
        XCTAssertEqual(
            again.model.layers[2],
            .conv2d(filters: 6, kernel: 3, stride: 1, padding: 1, bias: false, initialization: .dirac))
        let wrong = """
            { "input": [1, 4, 4], "layers": [ { "type": "conv2d", "filters": 2, "kernel": 3, "initialization": "xavier" } ] }
            """
        XCTAssertThrowsError(try self.config(wrong)) {
            XCTAssertTrue(
                ($0 as? WeftError)?.message.contains(
                    "m.json: model.layers[0].initialization: must be one of \"default\", \"dirac\", \"whitening\", got \"xavier\""
                )
                    == true, "\($0)")
        }
    }
}
