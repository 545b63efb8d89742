/// Max pooling, as `torch.nn.MaxPool2d(size, stride, padding)`.
public final class MaxPool: Module {
    public let size: Int, stride: Int, padding: Int

    public init(size: Int, stride: Int? = nil, padding: Int = 0) {
        self.size = size
        self.stride = stride ?? size
        self.padding = padding
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        input.maxPool2d(kernelSize: size, stride: stride, padding: padding)
    }
}

/// Average pooling, as `torch.nn.AvgPool2d(size, stride, padding)` (padding counted).
public final class AvgPool: Module {
    public let size: Int, stride: Int, padding: Int

    public init(size: Int, stride: Int? = nil, padding: Int = 0) {
        self.size = size
        self.stride = stride ?? size
        self.padding = padding
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        input.avgPool2d(kernelSize: size, stride: stride, padding: padding)
    }
}

/// Global average pooling `[N, C, H, W] → [N, C, 1, 1]`, as `torch.nn.AdaptiveAvgPool2d(1)`.
public final class GlobalAvgPool: Module {
    public init() {}

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        input.globalAvgPool2d()
    }
}
