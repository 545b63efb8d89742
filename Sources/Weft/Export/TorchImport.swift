import Foundation

/// Loads the weights of a PyTorch model, saved as safetensors (`safetensors.torch.save_file(
/// model.state_dict(), path)`), into the Weft model a config describes: the reverse of the
/// safetensors export, with PyTorch's names mapped back to Weft's (see `TorchNaming`).
///
/// Every tensor the Weft model has must be in the file with the same shape, and every tensor in
/// the file must belong to the model (as `load_state_dict(strict=True)` requires); weights are
/// `F32`, `num_batches_tracked` may be `I64` or `F32`. All mismatches are reported together.
public enum TorchImport {
    /// What an error about a damaged or foreign file advises.
    static let advice =
        "the file is damaged or not a safetensors file — save the weights again with safetensors.torch.save_file(model.float().state_dict(), path)"

    /// The model of `config` with the weights of the safetensors file at `path`.
    ///
    /// - Parameters:
    ///   - path: a safetensors file of a PyTorch `state_dict` (or a Weft safetensors export).
    ///   - config: the config describing the same layers as the PyTorch model.
    ///   - configSource: what errors call the config (its file).
    ///   - normalization: the input normalisation the PyTorch model was trained with (its
    ///     `transforms.Normalize(mean, std)`); nil takes the config's `data.normalization`, then
    ///     the file's `normalization` metadata (Weft exports have one).
    /// - Returns: the model with the normalisation recorded in its config's `data.normalization`
    ///   (when it is one value within the config's ranges), so that training it further uses it too.
    /// - Throws: `WeftError` when the file is unreadable or damaged, when its tensors do not fit
    ///   the model (every missing, unexpected or mis-shaped tensor named), or when the
    ///   normalisation is unknown or does not fit the images' channels.
    public static func load(
        path: String, config: TrainingConfig, configSource: String,
        normalization: Normalization? = nil
    ) throws -> TrainedModel {
        let file = try SafetensorsFile.read(path: path, allowedTypes: [.float32, .int64], advice: advice)
        let builder = try ModelBuilder(config: config.model, source: configSource)
        var generator = RandomGenerator(seed: 0)
        let model = builder.build(generator: &generator)
        let targets = TorchNaming.stateDictionaryOrder(model)

        let match = WeightMatch(targets: targets, saved: file.entries, savedName: TorchNaming.torchName(weftName:))
        var problems = match.mismatches.map { mismatch in
            switch mismatch {
            case .missing(let name, let shape):
                "the model needs \(name) \(ModelBuilder.describe(shape)), which the file lacks"
            case .wrongShape(let name, let saved, let needed):
                "\(name) has shape \(ModelBuilder.describe(saved)) but the model needs \(ModelBuilder.describe(needed))"
            case .unexpected(let name, let shape):
                "the file's \(name) \(ModelBuilder.describe(shape)) belongs to no layer of the model"
            }
        }
        for (_, entry) in match.pairs where entry.dataType == .int64 && !TorchNaming.isCount(torchName: entry.name) {
            problems.append("\(entry.name) is I64 (integers) but must be F32")
        }
        if !problems.isEmpty {
            let shown = problems.prefix(12).joined(separator: "; ")
            let more = problems.count > 12 ? "; and \(problems.count - 12) more" : ""
            throw WeftError(
                "\(path): the weights do not fit the model of \(configSource): \(shown)\(more); make the config describe the same layers, in the same order, as the PyTorch model (weft inspect \(configSource) lists them)"
            )
        }
        match.copy()

        let channels = config.model.input[0]
        guard let chosen = try normalization ?? config.data.normalization ?? fileNormalization(file, path: path) else {
            throw WeftError(
                "\(path): the input normalisation the PyTorch model was trained with is unknown; pass --mean and --std (e.g. --mean 0.2860 --std 0.3530 for transforms.Normalize((0.2860,), (0.3530,)), or --mean 0 --std 1 for ToTensor() alone)"
            )
        }
        guard chosen.fits(channels: channels) else {
            throw WeftError(
                "\(path): the normalisation has \(chosen.mean.count) values but the model's images have \(channels) channels; give one mean and one std, or one per channel"
            )
        }
        var resolved = config
        if chosen.mean.count == 1, (0...1).contains(chosen.mean[0]), (1e-6...1).contains(chosen.standardDeviation[0]) {
            resolved.data.normalization = chosen
        }
        let classNames = declaredClassNames(config, classCount: builder.outputShape.reduce(1, *))
        return TrainedModel(config: resolved, model: model, normalization: chosen, classNames: classNames)
    }

    /// The class names a config implies without loading its data: `data.classNames`,
    /// Fashion-MNIST's names, or the numbers `0`, `1`, ….
    public static func declaredClassNames(_ config: TrainingConfig, classCount: Int) -> [String] {
        if let names = config.data.classNames, names.count == classCount { return names }
        if config.data.dataset == "fashion-mnist", FashionMNIST.classNames.count == classCount {
            return FashionMNIST.classNames
        }
        return (0..<classCount).map(String.init)
    }

    /// The `normalization` metadata of a Weft export (`{"mean": [...], "std": [...]}`), if any.
    private static func fileNormalization(_ file: SafetensorsFile, path: String) throws -> Normalization? {
        guard let text = file.metadata("normalization") else { return nil }
        guard let normalization = Normalization(metadataJSON: text) else {
            throw WeftError("\(path): its normalization metadata is malformed; pass --mean and --std")
        }
        return normalization
    }
}
