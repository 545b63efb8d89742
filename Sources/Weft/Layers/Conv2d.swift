/// A 2-D convolution layer, as `torch.nn.Conv2d` (square kernel, same stride and padding on both
/// axes). Input `[N, inputChannels, H, W]`, output `[N, outputChannels, outH, outW]`.
public final class Conv2d: Module {
    /// `[outputChannels, inputChannels, kernelSize, kernelSize]`.
    public let weight: Tensor
    /// `[outputChannels]`, or nil.
    public let bias: Tensor?
    public let stride: Int, padding: Int
    /// How it is computed, chosen when the model is built (`ConvolutionAlgorithm.best` for the
    /// layer's input shape).
    public let algorithm: ConvolutionAlgorithm

    /// Initialised as PyTorch does by default: weight and bias uniform in ±1/sqrt(fanIn)
    /// (`kaiming_uniform_` with a = sqrt(5)).
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, algorithm: ConvolutionAlgorithm, generator: inout RandomGenerator
    ) {
        let shape: Shape = [outputChannels, inputChannels, kernelSize, kernelSize]
        weight = Tensor.kaimingUniform(shape, gain: Float(1.0 / 3.0).squareRoot(), using: &generator)
        weight.requiresGradient = true
        let bound = 1 / Float(shape.fans.fanIn).squareRoot()
        self.bias = bias ? Tensor.uniform([outputChannels], low: -bound, high: bound, using: &generator) : nil
        self.bias?.requiresGradient = true
        self.stride = stride
        self.padding = padding
        self.algorithm = algorithm
    }

    /// Makes the first min(outputChannels, inputChannels) filters the identity, as
    /// `torch.nn.init.dirac_(weight[:inputChannels])` (airbench's initialisation): filter `i` is
    /// 1 at input channel `i` and the kernel's centre (`kernelSize / 2`), 0 elsewhere. The other
    /// filters and the bias keep their initial values.
    public func setIdentityFilters() {
        let dimensions = weight.shape.dimensions
        let (outputs, inputs, size) = (dimensions[0], dimensions[1], dimensions[2])
        let filter = inputs * size * size, centre = (size / 2) * size + size / 2
        for index in 0..<min(outputs, inputs) {
            (weight.data + index * filter).update(repeating: 0, count: filter)
            weight.data[index * filter + index * size * size + centre] = 1
        }
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        input.conv2d(
            weight: weight, bias: bias, stride: stride, padding: padding, algorithm: algorithm,
            products: context.convolutionProducts)
    }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", tensor: weight)]
            + (bias.map { [NamedParameter(name: "bias", tensor: $0)] } ?? [])
    }
}
