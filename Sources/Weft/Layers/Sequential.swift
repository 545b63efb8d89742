/// Modules applied in order, as `torch.nn.Sequential`; the parameters of module `i` are named
/// `layers.i.<name>`.
public final class Sequential: Module {
    public let layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
    }

    /// Runs the layers in order. A batch-norm layer directly followed by a ReLU runs as one fused
    /// op (`Tensor.batchNorm(relu: true)`): the same result, one pass over memory fewer each way.
    /// Under the profiler the pair is charged to one scope, `i BatchNorm+ReLU`.
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        let prefix = Profiler.isEnabled
            ? (Profiler.currentScope.isEmpty ? "layers." : Profiler.currentScope.split(separator: " ")[0] + ".body.") : ""
        var output = input
        var index = 0
        while index < layers.count {
            let layer = layers[index]
            let fusedBatchNorm = index + 1 < layers.count && layers[index + 1] is ReLU ? layer as? BatchNorm : nil
            let scope = Profiler.isEnabled ? "\(prefix)\(index) \(fusedBatchNorm == nil ? "\(type(of: layer))" : "BatchNorm+ReLU")" : ""
            output = Profiler.scope(scope) {
                fusedBatchNorm?.forward(output, context: &context, relu: true) ?? layer.forward(output, context: &context)
            }
            index += fusedBatchNorm == nil ? 1 : 2
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
