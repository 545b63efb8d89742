/// The sizes of a 2-D convolution or pooling window sliding over an NCHW batch.
public struct ConvolutionGeometry: Equatable, Sendable {
    public let batch: Int, channels: Int, height: Int, width: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let stride: Int, padding: Int
    public let outputHeight: Int, outputWidth: Int

    /// The geometry of a window `kernelHeight × kernelWidth` moving by `stride` over an input
    /// `[batch, channels, height, width]` zero-padded by `padding` on every side, or `nil` when
    /// the window does not fit even once.
    public init?(input: Shape, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        guard input.rank == 4, kernelHeight > 0, kernelWidth > 0, stride > 0, padding >= 0 else { return nil }
        batch = input[0]; channels = input[1]; height = input[2]; width = input[3]
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.stride = stride; self.padding = padding
        let spanHeight = height + 2 * padding - kernelHeight
        let spanWidth = width + 2 * padding - kernelWidth
        guard spanHeight >= 0, spanWidth >= 0 else { return nil }
        outputHeight = spanHeight / stride + 1
        outputWidth = spanWidth / stride + 1
    }

    /// Positions of the window per image: `outputHeight * outputWidth`.
    public var outputPlane: Int { outputHeight * outputWidth }
    /// Elements of one input channel plane: `height * width`.
    public var inputPlane: Int { height * width }
    /// Rows of the im2col matrix: `channels * kernelHeight * kernelWidth`.
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// A 1×1 window with stride 1 and no padding: an image `[C, H*W]` is its own column matrix.
    public var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }
}
