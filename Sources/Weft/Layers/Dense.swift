/// A fully connected layer `x·Wᵀ + b`, as `torch.nn.Linear`. Input `[N, inputFeatures]`,
/// output `[N, outputFeatures]`.
public final class Dense: Module {
    /// `[outputFeatures, inputFeatures]`.
    public let weight: Tensor
    /// `[outputFeatures]`, or nil.
    public let bias: Tensor?

    /// Initialised as PyTorch does by default: uniform in ±1/sqrt(inputFeatures).
    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, generator: inout RandomGenerator) {
        weight = Tensor.kaimingUniform(
            [outputFeatures, inputFeatures], gain: Float(1.0 / 3.0).squareRoot(),
            using: &generator)
        weight.requiresGradient = true
        let bound = 1 / Float(inputFeatures).squareRoot()
        self.bias = bias ? Tensor.uniform([outputFeatures], low: -bound, high: bound, using: &generator) : nil
        self.bias?.requiresGradient = true
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        input.linear(weight: weight, bias: bias)
    }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", tensor: weight)]
            + (bias.map { [NamedParameter(name: "bias", tensor: $0)] } ?? [])
    }
}
