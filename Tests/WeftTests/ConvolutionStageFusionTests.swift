import Foundation
import Weft
import WeftEngine
import WeftTestSupport
import XCTest

/// `Sequential` runs a first conv → (batch-norm →) ReLU → 2×2 max pooling as one op
/// (`conv2dStage`) when its input needs no gradient: the shipped `cnn` and `cnn-bn` models give
/// the same outputs, gradients, running statistics and batch counts as with the layers one by
/// one (forced by an input that needs a gradient), in training and in evaluation.
final class ConvolutionStageFusionTests: XCTestCase {
    func testShippedModelsGiveTheSameResultsFusedAndLayerByLayer() throws {
        for name in ["cnn-bn", "cnn"] {
            let path = ConfigTests.configsFolder.appendingPathComponent("\(name).json").path
            let builder = try ModelBuilder(config: try TrainingConfig.load(path: path).model, source: path)
            for training in [true, false] {
                func run(fused: Bool) -> (names: [String], values: [[Float]]) {
                    var generator = RandomGenerator(seed: 5)
                    let model = builder.build(generator: &generator)
                    let input = randomTensor([6, 1, 28, 28], seed: 77)
                    input.requiresGradient = !fused
                    Profiler.reset(); Profiler.isEnabled = true
                    defer { Profiler.isEnabled = false }
                    var context = ForwardContext(training: training)
                    let output = model.forward(input, context: &context)
                    output.backward(gradient: randomTensor(output.shape, seed: 78))
                    let values = [output.scalars] + (model.parameters + model.buffers).map { $0.tensor.gradient?.scalars ?? $0.tensor.scalars }
                    return (Profiler.order, values)
                }
                let fused = run(fused: true), separate = run(fused: false)
                let stage = name == "cnn-bn" ? "layers.0 Conv2d+BatchNorm+ReLU+MaxPool" : "layers.0 Conv2d+ReLU+MaxPool"
                XCTAssertTrue(fused.names.contains(stage), "\(name): the fused stage runs (\(fused.names))")
                XCTAssertFalse(separate.names.contains(stage), "\(name): an input needing a gradient runs the layers one by one")
                XCTAssertEqual(fused.values.count, separate.values.count)
                for (index, (a, b)) in zip(fused.values, separate.values).enumerated() {
                    assertClose(Tensor(shape: [a.count], scalars: a), Tensor(shape: [b.count], scalars: b), tolerance: 1e-4,
                                "\(name), training \(training): output, gradient or buffer #\(index)")
                }
            }
        }
    }
}
