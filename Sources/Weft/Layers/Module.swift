/// What a forward pass needs besides its input: the mode and the generator dropout draws from.
public struct ForwardContext {
    /// Training mode: batch statistics in batch-norm, dropout active.
    public var training: Bool
    /// The generator dropout masks come from (its state is saved with checkpoints).
    public var generator: RandomGenerator
    /// In a data-parallel run with `training.syncBatchNorm`, how batch-norm layers sum their
    /// statistics across ranks; nil: each rank's own batch.
    public var batchNormSynchronization: BatchNormSynchronization?
    /// How Winograd convolutions multiply (`Winograd.Products`): `.bfloat16` in the training
    /// steps of a `training.precision` `"bf16"` run on a CPU with AVX-512 BF16, float32 otherwise.
    public var convolutionProducts: Winograd.Products = .float32

    public init(training: Bool, generator: RandomGenerator = RandomGenerator(seed: 0)) {
        self.training = training
        self.generator = generator
    }
}

/// A layer or a container of layers, as `torch.nn.Module`: a forward function with named
/// parameters (trained) and buffers (saved, never trained, such as running statistics).
public protocol Module: AnyObject {
    /// Runs the module on `input`.
    func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor

    /// Trainable tensors, named relative to this module (`weight`, `body.0.bias`).
    var parameters: [NamedParameter] { get }

    /// Non-trainable state, named like parameters (`runningMean`, `runningVariance`).
    var buffers: [NamedParameter] { get }
}

extension Module {
    public var parameters: [NamedParameter] { [] }
    public var buffers: [NamedParameter] { [] }
}

extension Array where Element == NamedParameter {
    /// The same tensors with `prefix.` before every name.
    func prefixed(_ prefix: String) -> [NamedParameter] {
        map { NamedParameter(name: "\(prefix).\($0.name)", tensor: $0.tensor) }
    }
}
