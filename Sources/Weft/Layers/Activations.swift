/// `torch.nn.ReLU`.
public final class ReLU: Module {
    public init() {}
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor { input.relu() }
}

/// `torch.nn.LeakyReLU(negative_slope)`.
public final class LeakyReLU: Module {
    public let slope: Float
    public init(slope: Float = 0.01) { self.slope = slope }
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor { input.leakyRelu(slope: slope) }
}

/// `torch.nn.Sigmoid`.
public final class Sigmoid: Module {
    public init() {}
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor { input.sigmoid() }
}

/// `torch.nn.Tanh`.
public final class Tanh: Module {
    public init() {}
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor { input.tanh() }
}

/// `torch.nn.Flatten()`: `[N, ...] → [N, product]`.
public final class Flatten: Module {
    public init() {}
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor { input.flattened() }
}

/// `torch.nn.Dropout(p)`: active in training only, masks drawn from the context's generator.
public final class Dropout: Module {
    public let rate: Float
    public init(rate: Float) { self.rate = rate }
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        input.dropout(probability: rate, training: context.training, generator: &context.generator)
    }
}
