/// Batch normalisation over channels of `[N, C, H, W]` or features of `[N, C]`, as
/// `torch.nn.BatchNorm2d` / `BatchNorm1d`: batch statistics in training (updating the running
/// ones), running statistics in evaluation. A layer whose γ and β are frozen (`training.freeze`:
/// neither needs a gradient) behaves as in evaluation in training too: running statistics, left
/// as they are, and no batch counted (PyTorch's `module.eval()` on a frozen layer).
public final class BatchNorm: Module {
    /// γ `[C]`, initially 1.
    public let weight: Tensor
    /// β `[C]`, initially 0.
    public let bias: Tensor
    /// Buffers `[C]`: initially 0 and 1.
    public let runningMean: Tensor, runningVariance: Tensor
    /// Buffer `[]`: training batches seen (PyTorch's `num_batches_tracked`).
    public let batchesTracked: Tensor
    public let momentum: Float, epsilon: Float

    public init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        weight = Tensor.ones([features], requiresGradient: true)
        bias = Tensor.zeros([features], requiresGradient: true)
        runningMean = Tensor.zeros([features])
        runningVariance = Tensor.ones([features])
        batchesTracked = Tensor.zeros([])
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        forward(input, context: &context, relu: false)
    }

    /// Whether γ and β are frozen (neither needs a gradient), so that training passes normalise
    /// with the running statistics and do not update them.
    public var usesRunningStatistics: Bool { !weight.requiresGradient && !bias.requiresGradient }

    /// Whether this pass normalises with the batch's statistics (and updates the running ones).
    private func normalizesWithBatch(_ context: ForwardContext) -> Bool {
        context.training && !usesRunningStatistics
    }

    /// The forward pass, followed by a ReLU in the same sweep when `relu` (how `Sequential` runs
    /// a batch-norm layer and the ReLU after it).
    public func forward(_ input: Tensor, context: inout ForwardContext, relu: Bool) -> Tensor {
        countBatch(context)
        return input.batchNorm(
            weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
            training: normalizesWithBatch(context), momentum: momentum, epsilon: epsilon, relu: relu,
            synchronization: context.batchNormSynchronization)
    }

    /// This layer's tensors and settings for a fused op that normalises (`BatchNormReLUMaxPool`,
    /// `ConvolutionStage`), with the batch counted as `forward` counts it.
    func stageArguments(context: ForwardContext) -> BatchNormArguments {
        countBatch(context)
        return BatchNormArguments(
            weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
            training: normalizesWithBatch(context), momentum: momentum, epsilon: epsilon)
    }

    /// Training passes count their batches (PyTorch's `num_batches_tracked`).
    private func countBatch(_ context: ForwardContext) {
        if normalizesWithBatch(context) { batchesTracked.data[0] += 1 }
    }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", tensor: weight), NamedParameter(name: "bias", tensor: bias)]
    }

    public var buffers: [NamedParameter] {
        [
            NamedParameter(name: "runningMean", tensor: runningMean),
            NamedParameter(name: "runningVariance", tensor: runningVariance),
            NamedParameter(name: "batchesTracked", tensor: batchesTracked)
        ]
    }
}
