import Foundation
import Weft
import WeftEngine
import WeftTestSupport
import XCTest

/// The fusion plan runs a first conv → (batch-norm →) ReLU → 2×2 max pooling as one op
/// (`ConvolutionStage`, `conv2dStage`) when its input needs no gradient: the shipped `cnn` and `cnn-bn` models give
/// the same outputs, gradients, running statistics and batch counts as with the layers one by
/// one (forced by an input that needs a gradient), in training and in evaluation.
final class ConvolutionStageFusionTests: XCTestCase {
    func testShippedModelsGiveTheSameResultsFusedAndLayerByLayer() throws {
        for name in ["cnn-bn", "cnn"] {
            let path = ConfigTests.configsFolder.appendingPathComponent("\(name).json").path
            let builder = try ModelBuilder(config: try TrainingConfig.load(path: path).model, source: path)
            for training in [true, false] {
                func run(fused: Bool) -> [[Float]] {
                    var generator = RandomGenerator(seed: 5)
                    let model = builder.build(generator: &generator)
                    let input = randomTensor([6, 1, 28, 28], seed: 77)
                    input.requiresGradient = !fused
                    XCTAssertEqual(
                        model.plan.steps.first?.kind, .convolutionStage,
                        "\(name): the plan makes the first stage one op")
                    guard let conv = model.layers[0] as? Conv2d else {
                        XCTFail("\(name): layer 0 is not a convolution")
                        return []
                    }
                    let stage = ConvolutionStage(conv: conv, batchNorm: model.layers[1] as? BatchNorm)
                    XCTAssertEqual(
                        stage.fuses(input, context: ForwardContext(training: training)), fused,
                        "\(name): the stage fuses exactly when its input needs no gradient")
                    var context = ForwardContext(training: training)
                    let output = model.forward(input, context: &context)
                    output.backward(gradient: randomTensor(output.shape, seed: 78))
                    return [output.scalars]
                        + (model.parameters + model.buffers).map { $0.tensor.gradient?.scalars ?? $0.tensor.scalars }
                }
                let fused = run(fused: true), separate = run(fused: false)
                XCTAssertEqual(fused.count, separate.count)
                for (index, (a, b)) in zip(fused, separate).enumerated() {
                    assertClose(
                        Tensor(shape: [a.count], scalars: a), Tensor(shape: [b.count], scalars: b), tolerance: 1e-4,
                        "\(name), training \(training): output, gradient or buffer #\(index)")
                }
            }
        }
    }
}
