/// A module that runs several consecutive layers of a `Sequential` as one op (`FusionPlan`). It
/// owns the original layers; their parameters keep their names there.
public protocol FusedModule: Module {
    /// Whether this input and context allow the fused op; when not, `Sequential` runs the plan
    /// step's `fallback` instead.
    func fuses(_ input: Tensor, context: ForwardContext) -> Bool
}

extension FusedModule {
    public func fuses(_ input: Tensor, context: ForwardContext) -> Bool { true }
}

/// Batch-norm → ReLU as one op (`Tensor.batchNorm(relu: true)`).
public final class BatchNormReLU: FusedModule {
    public let batchNorm: BatchNorm
    public init(_ batchNorm: BatchNorm) { self.batchNorm = batchNorm }
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        batchNorm.forward(input, context: &context, relu: true)
    }
}

/// Batch-norm → ReLU → 2×2 max pooling as one op (`Tensor.batchNormReLUMaxPool2x2`); under
/// synchronised batch-norm in training, batch-norm with the ReLU and then the pooling.
public final class BatchNormReLUMaxPool: FusedModule {
    public let batchNorm: BatchNorm
    public init(_ batchNorm: BatchNorm) { self.batchNorm = batchNorm }
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        if context.training && context.batchNormSynchronization != nil {
            return batchNorm.forward(input, context: &context, relu: true).maxPool2d(kernelSize: 2)
        }
        let arguments = batchNorm.stageArguments(context: context)
        return input.batchNormReLUMaxPool2x2(
            weight: arguments.weight, bias: arguments.bias, runningMean: arguments.runningMean,
            runningVariance: arguments.runningVariance, training: arguments.training,
            momentum: arguments.momentum, epsilon: arguments.epsilon)
    }
}

/// ReLU → 2×2 max pooling as one op (`Tensor.reluMaxPool2x2`).
public final class ReLUMaxPool: FusedModule {
    public init() {}
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor { input.reluMaxPool2x2() }
}

/// A convolution → (batch-norm →) ReLU → 2×2 max pooling as one op, image by image
/// (`Tensor.conv2dStage`): the convolution's full-size output never goes to memory. Only when the
/// input needs no gradient, and not under synchronised batch-norm in training.
public final class ConvolutionStage: FusedModule {
    public let conv: Conv2d
    public let batchNorm: BatchNorm?

    public init(conv: Conv2d, batchNorm: BatchNorm?) {
        self.conv = conv
        self.batchNorm = batchNorm
    }

    public func fuses(_ input: Tensor, context: ForwardContext) -> Bool {
        guard !input.requiresGradient, input.shape.rank == 4, input.shape[1] == conv.weight.shape[1],
            batchNorm == nil || !context.training || context.batchNormSynchronization == nil,
            let g = ConvolutionGeometry(
                input: input.shape, kernelHeight: conv.weight.shape[2], kernelWidth: conv.weight.shape[3],
                stride: conv.stride, padding: conv.padding)
        else { return false }
        return g.outputHeight >= 2 && g.outputWidth >= 2
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        input.conv2dStage(
            weight: conv.weight, bias: conv.bias, stride: conv.stride, padding: conv.padding,
            batchNorm: batchNorm?.stageArguments(context: context))
    }
}
