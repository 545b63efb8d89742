/// Modules applied in order, as `torch.nn.Sequential`; the parameters of module `i` are named
/// `layers.i.<name>`.
public final class Sequential: Module {
    public let layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
    }

    /// Runs the layers in order. A batch-norm layer directly followed by a ReLU runs as one fused
    /// op (`Tensor.batchNorm(relu: true)`), and with a 2×2 max pooling (stride 2, no padding) after
    /// those as another (`Tensor.batchNormReLUMaxPool2x2`), a ReLU and such a pooling without
    /// batch-norm too (`Tensor.reluMaxPool2x2`): the same results with fewer passes over memory. Under the profiler a fused group is charged to its first layer's scope, named after
    /// the group (`1 BatchNorm+ReLU+MaxPool`).
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        let prefix = Profiler.isEnabled
            ? (Profiler.currentScope.isEmpty ? "layers." : Profiler.currentScope.split(separator: " ")[0] + ".body.") : ""
        var output = input
        var index = 0
        while index < layers.count {
            let fused = fusedGroup(at: index)
            let scope = Profiler.isEnabled ? "\(prefix)\(index) \(fused.name)" : ""
            output = Profiler.scope(scope) { fused.forward(output, &context) }
            index += fused.length
        }
        return output
    }

    /// The layers starting at `index` that run as one op, their name and how to run them.
    private func fusedGroup(at index: Int) -> (length: Int, name: String, forward: (Tensor, inout ForwardContext) -> Tensor) {
        let layer = layers[index]
        if let batchNorm = layer as? BatchNorm, index + 1 < layers.count, layers[index + 1] is ReLU {
            if index + 2 < layers.count, let pool = layers[index + 2] as? MaxPool,
               pool.size == 2, pool.stride == 2, pool.padding == 0 {
                return (3, "BatchNorm+ReLU+MaxPool", { batchNorm.forwardReLUMaxPool2x2($0, context: &$1) })
            }
            return (2, "BatchNorm+ReLU", { batchNorm.forward($0, context: &$1, relu: true) })
        }
        if layer is ReLU, index + 1 < layers.count, let pool = layers[index + 1] as? MaxPool,
           pool.size == 2, pool.stride == 2, pool.padding == 0 {
            return (2, "ReLU+MaxPool", { input, _ in input.reluMaxPool2x2() })
        }
        return (1, "\(type(of: layer))", { layer.forward($0, context: &$1) })
    }

    public var parameters: [NamedParameter] {
        layers.enumerated().flatMap { $0.element.parameters.prefixed("layers.\($0.offset)") }
    }

    public var buffers: [NamedParameter] {
        layers.enumerated().flatMap { $0.element.buffers.prefixed("layers.\($0.offset)") }
    }
}
