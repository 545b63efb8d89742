/// The tensors and settings of a batch-norm: parameters γ and β `[C]`, running statistics `[C]`
/// (needed in evaluation, updated in training), the mode, momentum and epsilon, as
/// `torch.nn.functional.batch_norm` takes them. The plain op (`batchNorm`), the fused
/// `batchNormReLUMaxPool2x2` and the convolution stage (`conv2dStage`) all check them with
/// `check(_:channels:valuesPerChannel:input:)`.
public struct BatchNormArguments {
    public let weight: Tensor, bias: Tensor
    public let runningMean: Tensor?, runningVariance: Tensor?
    public let training: Bool, momentum: Float, epsilon: Float

    public init(
        weight: Tensor, bias: Tensor, runningMean: Tensor?, runningVariance: Tensor?, training: Bool,
        momentum: Float = 0.1, epsilon: Float = 1e-5
    ) {
        self.weight = weight; self.bias = bias
        self.runningMean = runningMean; self.runningVariance = runningVariance
        self.training = training; self.momentum = momentum; self.epsilon = epsilon
    }

    /// Stops with a message naming `op` unless every tensor is `[channels]`, training sees more
    /// than one value per channel, and evaluation has running statistics.
    /// - Parameters: `valuesPerChannel` the batch's values of one channel (`N·H·W`); `input` the
    ///   input's shape, for the message.
    func check(_ op: String, channels: Int, valuesPerChannel: Int, input: Shape) {
        for (label, tensor) in [
            ("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVariance", runningVariance)
        ] {
            if let tensor {
                precondition(
                    tensor.shape == [channels],
                    "\(op): \(label) \(tensor.shape) must be [\(channels)] for input \(input)")
            }
        }
        if training {
            precondition(
                valuesPerChannel > 1, "\(op): training needs more than one value per channel, got input \(input)")
        } else {
            precondition(
                runningMean != nil && runningVariance != nil, "\(op): evaluation mode needs running statistics")
        }
    }
}
