/// Modules applied in order, as `torch.nn.Sequential`; the parameters of module `i` are named
/// `layers.i.<name>`.
public final class Sequential: Module {
    public let layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        guard Profiler.isEnabled else { return layers.reduce(input) { $1.forward($0, context: &context) } }
        var output = input
        let prefix = Profiler.currentScope.isEmpty ? "layers." : Profiler.currentScope.split(separator: " ")[0] + ".body."
        for (index, layer) in layers.enumerated() {
            output = Profiler.scope("\(prefix)\(index) \(type(of: layer))") { layer.forward(output, context: &context) }
        }
        return output
    }

    public var parameters: [NamedParameter] {
        layers.enumerated().flatMap { $0.element.parameters.prefixed("layers.\($0.offset)") }
    }

    public var buffers: [NamedParameter] {
        layers.enumerated().flatMap { $0.element.buffers.prefixed("layers.\($0.offset)") }
    }
}
