extension Tensor {
    /// 2-D convolution (cross-correlation) of this `[N, C, H, W]` batch, as `torch.nn.functional.conv2d`.
    /// - Parameters:
    ///   - weight: `[F, C, kh, kw]`.
    ///   - bias: `[F]`, or nil.
    ///   - stride: the window's step, both directions.
    ///   - padding: zeros added on every side.
    /// - Returns: `[N, F, outH, outW]` with `outH = (H + 2*padding - kh) / stride + 1`.
    ///
    /// im2col over the whole batch into one `[C*kh*kw, N*outH*outW]` matrix and one sgemm.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(shape.rank == 4 && weight.shape.rank == 4 && shape[1] == weight.shape[1],
                     "conv2d: input \(shape) and weight \(weight.shape) must be [N, C, H, W] and [F, C, kh, kw] with the same C")
        precondition(bias == nil || bias!.shape == [weight.shape[0]],
                     "conv2d: bias \(bias?.shape ?? []) must be [\(weight.shape[0])] for weight \(weight.shape)")
        guard let geometry = ConvolutionGeometry(input: shape, kernelHeight: weight.shape[2],
                                                 kernelWidth: weight.shape[3], stride: stride, padding: padding) else {
            preconditionFailure("conv2d: kernel \(weight.shape) with stride \(stride) and padding \(padding) does not fit input \(shape)")
        }
        let (output, columns) = conv2dForward(weight: weight, bias: bias, geometry: geometry)
        return output.recorded("conv2d", inputs: [self, weight, bias]) { [self] dout in
            Tensor.conv2dBackward(dout: dout, input: self, weight: weight, bias: bias,
                                  columns: columns, geometry: geometry)
        }
    }

    /// The forward pass; returns the output and, when a backward will run, the im2col matrix it saves.
    private func conv2dForward(weight: Tensor, bias: Tensor?,
                               geometry g: ConvolutionGeometry) -> (Tensor, TensorStorage?) {
        let filters = weight.shape[0]
        let positions = g.batch * g.outputPlane
        let columns = TensorStorage(uninitializedCount: g.patchSize * positions)  // [K, N*P]
        Im2Col.im2col(data, g, into: columns.pointer)
        let product = TensorStorage(uninitializedCount: filters * positions)  // [F, N*P]
        Gemm.multiply(m: filters, n: positions, k: g.patchSize,
                      a: weight.data, lda: g.patchSize, b: columns.pointer, ldb: positions,
                      c: product.pointer, ldc: positions)
        let output = Tensor(uninitializedShape: [g.batch, filters, g.outputHeight, g.outputWidth])
        let out = output.data, source = product.pointer, biasData = bias?.data
        let plane = g.outputPlane
        Parallel.forEach(g.batch) { n in
            for f in 0..<filters {
                let from = source + f * positions + n * plane
                let to = out + (n * filters + f) * plane
                let b = biasData?[f] ?? 0
                for index in 0..<plane { to[index] = from[index] + b }
            }
        }
        let saves = Autograd.needsGradient(self, weight, bias)
        return (output, saves ? columns : nil)
    }

    /// Accumulates the gradients of conv2d: `dw += dout·colsᵀ`, `db += Σ dout`,
    /// `dx += col2im(wᵀ·dout)`, with `dout` `[N, F, outH, outW]` reshaped to `[F, N*outH*outW]`.
    private static func conv2dBackward(dout: Tensor, input: Tensor, weight: Tensor, bias: Tensor?,
                                       columns: TensorStorage?, geometry g: ConvolutionGeometry) {
        let filters = weight.shape[0]
        let positions = g.batch * g.outputPlane
        let plane = g.outputPlane
        let doutMatrix = TensorStorage(uninitializedCount: filters * positions)  // [F, N*P]
        let from = dout.data, to = doutMatrix.pointer
        Parallel.forEach(g.batch) { n in
            for f in 0..<filters {
                (to + f * positions + n * plane).update(from: from + (n * filters + f) * plane, count: plane)
            }
        }
        if let bias, bias.requiresGradient {
            let db = bias.gradientForAccumulation()
            Parallel.forEach(filters) { f in
                var sum: Float = 0
                let row = to + f * positions
                for index in 0..<positions { sum += row[index] }
                db[f] += sum
            }
        }
        if weight.requiresGradient, let columns {
            Gemm.multiply(transposeB: true, m: filters, n: g.patchSize, k: positions,
                          a: to, lda: positions, b: columns.pointer, ldb: positions,
                          beta: 1, c: weight.gradientForAccumulation(), ldc: g.patchSize)
        }
        if input.requiresGradient {
            let dcolumns = TensorStorage(uninitializedCount: g.patchSize * positions)  // [K, N*P]
            Gemm.multiply(transposeA: true, m: g.patchSize, n: positions, k: filters,
                          a: weight.data, lda: g.patchSize, b: to, ldb: positions,
                          c: dcolumns.pointer, ldc: positions)
            Im2Col.col2im(dcolumns.pointer, g, addingInto: input.gradientForAccumulation())
        }
    }
}
