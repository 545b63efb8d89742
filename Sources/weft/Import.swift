import ArgumentParser
import Foundation
import Weft

/// `weft import CONFIG WEIGHTS --output CHECKPOINT`: a PyTorch model's weights as a Weft checkpoint.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a PyTorch model's safetensors weights into a Weft checkpoint.",
        discussion: """
            WEIGHTS is a safetensors file of the state_dict of the PyTorch model that CONFIG \
            describes (safetensors.torch.save_file(model.state_dict(), "model.safetensors")), named \
            as the export names them: 0.weight, 1.running_mean, 3.body.0.weight, ... Every tensor \
            must be there with the right shape and none may be left over; each mismatch is named.

            --mean and --std give the normalisation the PyTorch model was trained with \
            (transforms.Normalize(mean, std) after ToTensor(); one value, or one per channel, \
            comma-separated). Without them the config's data.normalization is used, then the \
            normalisation a Weft export records.

            The checkpoint has a fresh training state: weft predict and the library's \
            TrainedModel use it at once, and weft resume fine-tunes it with the config's training \
            settings (using the same normalisation).

            Example:
              weft import Configs/mlp.json mlp.safetensors --mean 0.2860 --std 0.3530 --output Models/mlp-torch.safetensors
            """
    )

    @Argument(help: "The config describing the PyTorch model's layers, e.g. Configs/mlp.json.")
    var config: String

    @Argument(help: "The PyTorch weights, a .safetensors file.")
    var weights: String

    @Option(help: ArgumentHelp("The checkpoint to write.", valueName: "checkpoint"))
    var output: String

    @Option(help: ArgumentHelp("The normalisation mean(s), pixel/255 units (e.g. 0.2860).", valueName: "mean"))
    var mean: String?

    @Option(help: ArgumentHelp("The normalisation standard deviation(s) (e.g. 0.3530).", valueName: "std"))
    var std: String?

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set training.epochs=3 (repeatable).")
    var overrides: [String] = []

    @OptionGroup var threading: ThreadsOption

    func run() throws {
        try reportingErrors {
            threading.apply()
            let normalization = try chosenNormalization()
            let trainingConfig = try TrainingConfig.load(path: config, overrides: overrides)
            let model = try TorchImport.load(
                path: weights, config: trainingConfig, configSource: config, normalization: normalization)
            try Checkpoint(untrained: model).write(to: output)
            let parameters = model.model.parameters.reduce(0) { $0 + $1.tensor.count }
            let means = model.normalization.mean.map { String(format: "%.4f", $0) }.joined(separator: ",")
            let deviations = model.normalization.standardDeviation.map { String(format: "%.4f", $0) }.joined(
                separator: ",")
            print(
                "wrote \(output): Weft checkpoint of \(trainingConfig.name), \(parameters) parameters from \(weights), normalisation mean \(means) std \(deviations), \(model.classNames.count) classes"
            )
        }
    }

    /// `--mean` and `--std` as a normalisation, or nil when neither is given.
    private func chosenNormalization() throws -> Normalization? {
        guard mean != nil || std != nil else { return nil }
        guard let mean, let std else {
            throw WeftError("--mean and --std go together; pass both (e.g. --mean 0.2860 --std 0.3530)")
        }
        func numbers(_ text: String, _ option: String) throws -> [Float] {
            let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0?.isFinite == true }) else {
                throw WeftError("\(option) must be a number or comma-separated numbers, got \"\(text)\"")
            }
            return values.compactMap { $0 }
        }
        let means = try numbers(mean, "--mean"), deviations = try numbers(std, "--std")
        guard means.count == deviations.count else {
            throw WeftError("--mean has \(means.count) values but --std \(deviations.count); give as many of each")
        }
        guard deviations.allSatisfy({ $0 > 0 }) else {
            throw WeftError("--std must be positive, got \(std)")
        }
        return Normalization(mean: means, standardDeviation: deviations)
    }
}
