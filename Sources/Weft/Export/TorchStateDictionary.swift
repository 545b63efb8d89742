/// One tensor of a model as PyTorch's `state_dict()` holds it.
public struct TorchTensor: Equatable, Sendable {
    /// The `state_dict` key (`0.weight`, `1.running_mean`, `3.body.0.weight`).
    public let name: String
    /// Weft's name of the same tensor (`layers.0.weight`).
    public let weftName: String
    /// The dimensions (`[]` for a scalar).
    public let shape: [Int]
    /// The elements, row-major, as float32.
    public let values: [Float]
    /// Whether PyTorch keeps it as int64 (`num_batches_tracked`); its values are whole numbers.
    public let isCount: Bool

    /// `values` rounded to int64, for a count.
    public var integers: [Int64] { values.map { Int64($0.rounded()) } }

    /// The safetensors entry: `I64` for a count, `F32` otherwise.
    public var safetensorsEntry: SafetensorsFile.Entry {
        isCount ? .init(name: name, shape: shape, integers: integers) : .init(name: name, shape: shape, values: values)
    }
}

extension TrainedModel {
    /// The model's parameters and buffers as PyTorch's `state_dict()` of the equivalent
    /// `nn.Sequential` lists them: PyTorch's names, PyTorch's order (see `TorchNaming`).
    public var torchStateDictionary: [TorchTensor] {
        TorchNaming.stateDictionaryOrder(model).map { named in
            let name = TorchNaming.torchName(weftName: named.name)
            return TorchTensor(
                name: name, weftName: named.name, shape: named.tensor.shape.dimensions,
                values: named.tensor.scalars, isCount: TorchNaming.isCount(torchName: name))
        }
    }
}
