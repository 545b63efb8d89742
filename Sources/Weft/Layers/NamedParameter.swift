/// A tensor and its stable, dotted name: a trainable parameter (`layers.0.weight`) or a buffer
/// such as a running statistic (`layers.1.runningMean`).
///
/// The same names key the checkpoint, the optimiser state and the exports, as in PyTorch's
/// `named_parameters()`.
public struct NamedParameter {
    /// The dotted name, unique within a model.
    public let name: String
    /// The tensor: for a parameter, a leaf with `requiresGradient = true` that an optimiser updates in place.
    public let tensor: Tensor

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}
