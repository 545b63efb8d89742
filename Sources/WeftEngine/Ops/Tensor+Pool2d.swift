extension Tensor {
    /// Max pooling of this `[N, C, H, W]` batch, as `torch.nn.functional.max_pool2d`
    /// (`ceil_mode=False`, padding never selected). `stride` defaults to `kernelSize`.
    /// - Returns: `[N, C, outH, outW]`; the backward sends each gradient to its window's argmax.
    public func maxPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let g = poolGeometry("maxPool2d", kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding)
        let output = Tensor(uninitializedShape: [g.batch, g.channels, g.outputHeight, g.outputWidth])
        let argmax: TensorStorage? =
            Autograd.needsGradient(self) ? TensorStorage(uninitializedCount: output.count) : nil
        argmax.map { storage in
            storage.pointer.withMemoryRebound(to: Int32.self, capacity: storage.count) {
                Pool.maxForward(data, g, output: output.data, argmax: $0)
            }
        } ?? Pool.maxForward(data, g, output: output.data, argmax: nil)
        return output.recorded("maxPool2d", inputs: [self]) { [self] dout in
            guard let argmax else { return }
            argmax.pointer.withMemoryRebound(to: Int32.self, capacity: argmax.count) {
                Pool.maxBackward(dout.data, argmax: $0, g, addingInto: gradientForAccumulation())
            }
        }
    }

    /// Average pooling of this `[N, C, H, W]` batch, as `torch.nn.functional.avg_pool2d`
    /// (`ceil_mode=False`, `count_include_pad=True`). `stride` defaults to `kernelSize`.
    /// - Returns: `[N, C, outH, outW]`.
    public func avgPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let g = poolGeometry("avgPool2d", kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding)
        let output = Tensor(uninitializedShape: [g.batch, g.channels, g.outputHeight, g.outputWidth])
        Pool.averageForward(data, g, output: output.data)
        return output.recorded("avgPool2d", inputs: [self]) { [self] dout in
            Pool.averageBackward(dout.data, g, addingInto: gradientForAccumulation())
        }
    }

    /// Global average pooling: the mean of each channel plane, as
    /// `torch.nn.functional.adaptive_avg_pool2d(x, 1)`.
    /// - Returns: `[N, C, 1, 1]` for an input `[N, C, H, W]`.
    public func globalAvgPool2d() -> Tensor {
        precondition(shape.rank == 4, "globalAvgPool2d: input \(shape) must be [N, C, H, W]")
        let planes = shape[0] * shape[1], plane = shape[2] * shape[3]
        let output = Tensor(uninitializedShape: [shape[0], shape[1], 1, 1])
        let input = data, out = output.data, scale = 1 / Float(plane)
        Parallel.forEach(planes, grain: 16) { index in
            var sum: Float = 0
            for offset in 0..<plane { sum += input[index * plane + offset] }
            out[index] = sum * scale
        }
        return output.recorded("globalAvgPool2d", inputs: [self]) { [self] dout in
            let dx = gradientForAccumulation(), source = dout.data
            Parallel.forEach(planes, grain: 16) { index in
                let share = source[index] * scale
                for offset in 0..<plane { dx[index * plane + offset] += share }
            }
        }
    }

    private func poolGeometry(_ op: String, kernelSize: Int, stride: Int, padding: Int) -> ConvolutionGeometry {
        precondition(shape.rank == 4, "\(op): input \(shape) must be [N, C, H, W]")
        precondition(
            padding * 2 <= kernelSize, "\(op): padding \(padding) must be at most half the kernel \(kernelSize)")
        guard
            let g = ConvolutionGeometry(
                input: shape, kernelHeight: kernelSize, kernelWidth: kernelSize,
                stride: stride, padding: padding)
        else {
            preconditionFailure(
                "\(op): kernel \(kernelSize), stride \(stride), padding \(padding) do not fit input \(shape)")
        }
        return g
    }
}
