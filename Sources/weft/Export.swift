import ArgumentParser
import Foundation
import Weft

/// `weft export CHECKPOINT --format safetensors|npz|onnx --output FILE`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a checkpoint's model as PyTorch safetensors, NumPy .npz or ONNX.",
        discussion: """
            A checkpoint of a run with training.ema is used with its moving average of the \
            weights (its average.* tensors), the model its validation measured.

            safetensors: the weights and buffers only, named as PyTorch names the equivalent \
            nn.Sequential (0.weight, 1.running_mean, 1.running_var, 1.num_batches_tracked as int64, \
            residual blocks 3.body.0.weight and 3.projection.weight), so \
            model.load_state_dict(safetensors.torch.load_file(FILE), strict=True) loads them.

            npz: the same tensors as NumPy arrays under the same names: numpy.load(FILE)["0.weight"].

            onnx: the inference graph (opset 13) with input "images" [batch, C, H, W] holding \
            pixels / 255 (the normalisation is inside the graph) and outputs "logits" and \
            "probabilities"; dropout is left out, batch-norm kept as BatchNormalization.

            The format may be left out when the output's extension names it. See README.md \
            ("Export, import and predict") for the PyTorch model that matches a config.

            Examples:
              weft export Models/cnn-bn/best.safetensors --format onnx --output cnn-bn.onnx
              weft export Models/cnn-bn/best.safetensors --output cnn-bn-weights.npz
            """
    )

    @Argument(help: "A checkpoint written by weft train or weft import.")
    var checkpoint: String

    @Option(help: "safetensors, npz or onnx (default: the output's extension).")
    var format: String?

    @Option(help: ArgumentHelp("The file to write (replaced atomically if it exists).", valueName: "file"))
    var output: String

    func run() throws {
        try reportingErrors {
            let chosen: ExportFormat
            if let format {
                chosen = try ExportFormat(name: format)
            } else if let implied = ExportFormat(path: output) {
                chosen = implied
            } else {
                throw WeftError(
                    "\(output): the extension names no export format; pass --format safetensors, npz or onnx")
            }
            let model = try TrainedModel(checkpointPath: checkpoint)
            try model.export(as: chosen, to: output)
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            let parameters = model.model.parameters.reduce(0) { $0 + $1.tensor.count }
            switch chosen {
            case .safetensors, .npz:
                print(
                    "wrote \(output): \(chosen.rawValue), \(model.torchStateDictionary.count) tensors with PyTorch names, \(parameters) parameters, \(size) bytes"
                )
            case .onnx:
                let input = model.config.model.input.map(String.init).joined(separator: ", ")
                print(
                    "wrote \(output): ONNX opset \(ONNX.opsetVersion), \(parameters) parameters, \(size) bytes; input images [batch, \(input)] (pixels / 255), outputs logits and probabilities [batch, \(model.classNames.count)]"
                )
            }
        }
    }
}
