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
    /// batch-norm too (`Tensor.reluMaxPool2x2`), and a first convolution with all of those after
    /// it as one more (`convolutionStage`): the same results with fewer passes over memory. Under
    /// the profiler a fused group is charged to its first layer's scope, named after the group
    /// (`1 BatchNorm+ReLU+MaxPool`).
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        let prefix = Profiler.isEnabled
            ? (Profiler.currentScope.isEmpty ? "layers." : Profiler.currentScope.split(separator: " ")[0] + ".body.") : ""
        var output = input
        var index = 0
        while index < layers.count {
            let fused = convolutionStage(at: index, input: output, context: context) ?? fusedGroup(at: index)
            let scope = Profiler.isEnabled ? "\(prefix)\(index) \(fused.name)" : ""
            output = Profiler.scope(scope) { fused.forward(output, &context) }
            index += fused.length
        }
        return output
    }

    /// A network's first stage, conv → (batch-norm →) ReLU → 2×2 max pooling (stride 2, no
    /// padding) over an input that needs no gradient, as one op (`Tensor.conv2dStage`): the
    /// convolution's full-size output never goes to memory. Not for convolutions Winograd takes
    /// (`Winograd.applies`), nor for batch-norm synchronised across ranks. In evaluation, when
    /// nothing is recorded and no tensor needs a gradient, any such group fuses, at any depth.
    private func convolutionStage(at index: Int, input: Tensor,
                                  context: ForwardContext) -> (length: Int, name: String, forward: (Tensor, inout ForwardContext) -> Tensor)? {
        guard let conv = layers[index] as? Conv2d, !input.requiresGradient, input.shape.rank == 4 else { return nil }
        let batchNorm = index + 1 < layers.count ? layers[index + 1] as? BatchNorm : nil
        let relu = index + (batchNorm == nil ? 1 : 2)
        guard relu + 1 < layers.count, layers[relu] is ReLU, let pool = layers[relu + 1] as? MaxPool,
              pool.size == 2, pool.stride == 2, pool.padding == 0,
              batchNorm == nil || !context.training || context.batchNormSynchronization == nil,
              input.shape[1] == conv.weight.shape[1],
              let g = ConvolutionGeometry(input: input.shape, kernelHeight: conv.weight.shape[2], kernelWidth: conv.weight.shape[3],
                                          stride: conv.stride, padding: conv.padding),
              g.outputHeight >= 2, g.outputWidth >= 2, !Winograd.applies(to: g, filters: conv.weight.shape[0]) else { return nil }
        return (relu + 2 - index, batchNorm == nil ? "Conv2d+ReLU+MaxPool" : "Conv2d+BatchNorm+ReLU+MaxPool", { input, context in
            let stageBatchNorm = batchNorm.map { layer in
                if context.training { layer.batchesTracked.data[0] += 1 }
                return StageBatchNorm(weight: layer.weight, bias: layer.bias, runningMean: layer.runningMean,
                                      runningVariance: layer.runningVariance, training: context.training,
                                      momentum: layer.momentum, epsilon: layer.epsilon)
            }
            return input.conv2dStage(weight: conv.weight, bias: conv.bias, stride: conv.stride, padding: conv.padding,
                                     batchNorm: stageBatchNorm)
        })
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
