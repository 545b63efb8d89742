import Foundation

/// The formats `weft export` writes.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// Weights and buffers under PyTorch's names, for `model.load_state_dict(load_file(path))`.
    case safetensors
    /// The same tensors as NumPy arrays in a `.npz` archive, for `numpy.load(path)`.
    case npz
    /// The whole inference graph, for ONNX Runtime and every ONNX tool.
    case onnx

    /// The file name extension, without the dot.
    public var fileExtension: String { rawValue }

    /// The format named `name` (case-insensitive).
    ///
    /// - Throws: `WeftError` listing the formats when `name` is none of them.
    public init(name: String) throws {
        guard let format = ExportFormat(rawValue: name.lowercased()) else {
            throw WeftError(
                "unknown export format \"\(name)\"; use one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self = format
    }

    /// The format a file name's extension implies (`model.onnx` → `.onnx`), or nil.
    public init?(path: String) {
        self.init(rawValue: (path as NSString).pathExtension.lowercased())
    }
}

extension TrainedModel {
    /// The model exported as `format`: see `safetensorsExport`, `npzExport` and `onnxModel`.
    ///
    /// - Throws: `WeftError` when the model is too large for the format.
    public func exported(as format: ExportFormat) throws -> [UInt8] {
        switch format {
        case .safetensors: return safetensorsExport().encoded()
        case .npz: return try npzExport()
        case .onnx: return try onnxModel().encoded()
        }
    }

    /// Writes the model as `format` to `path`, atomically (see `AtomicFile`).
    ///
    /// - Throws: `WeftError` naming `path` when it cannot be written, or when the model is too
    ///   large for the format.
    public func export(as format: ExportFormat, to path: String) throws {
        try AtomicFile.write(try exported(as: format), to: path)
    }

    /// The weights-only safetensors file of the equivalent PyTorch model: every tensor of
    /// `torchStateDictionary` (`F32`, and `I64` for `num_batches_tracked`) in `state_dict`
    /// order, so that `model.load_state_dict(safetensors.torch.load_file(path), strict=True)`
    /// loads it. `__metadata__` holds `format` = `pt` (the Hugging Face convention for PyTorch
    /// weights), `producer` = `weft <version>`, `config`, `normalization`, `classNames`, and
    /// Weft's two CRC-32s; readers that do not know them ignore them.
    public func safetensorsExport() -> SafetensorsFile {
        let metadata: [(key: String, value: String)] = [
            ("format", "pt"),
            ("producer", "weft \(Weft.version)"),
            ("config", config.json.serialized(pretty: false)),
            ("normalization", normalization.metadataJSON),
            ("classNames", JSONValue.array(classNames.map { .string($0) }).serialized(pretty: false))
        ]
        return SafetensorsFile(metadata: metadata, entries: torchStateDictionary.map(\.safetensorsEntry))
    }

    /// The `.npz` archive of `torchStateDictionary`: one array per tensor, keyed by its
    /// PyTorch name (`0.weight`), float32 (`<f4`) or, for `num_batches_tracked`, int64 (`<i8`).
    ///
    /// - Throws: `WeftError` when the archive would exceed 4 GiB.
    public func npzExport() throws -> [UInt8] {
        try NumpyArchive.npz(
            torchStateDictionary.map { tensor in
                (
                    name: tensor.name,
                    npy: tensor.isCount
                        ? NumpyArchive.npy(shape: tensor.shape, integers: tensor.integers)
                        : NumpyArchive.npy(shape: tensor.shape, values: tensor.values)
                )
            })
    }
}
