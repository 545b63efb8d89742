/// Modules applied in order, as `torch.nn.Sequential`; the parameters of module `i` are named
/// `layers.i.<name>`.
public final class Sequential: Module {
    public let layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        layers.reduce(input) { $1.forward($0, context: &context) }
    }

    public var parameters: [NamedParameter] {
        layers.enumerated().flatMap { $0.element.parameters.prefixed("layers.\($0.offset)") }
    }

    public var buffers: [NamedParameter] {
        layers.enumerated().flatMap { $0.element.buffers.prefixed("layers.\($0.offset)") }
    }
}
