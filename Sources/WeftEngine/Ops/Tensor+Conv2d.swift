extension Tensor {
    /// 2-D convolution (cross-correlation) of this `[N, C, H, W]` batch, as `torch.nn.functional.conv2d`.
    /// - Parameters:
    ///   - weight: `[F, C, kh, kw]`.
    ///   - bias: `[F]`, or nil.
    ///   - stride: the window's step, both directions.
    ///   - padding: zeros added on every side.
    ///   - algorithm: how to compute it, forward and backward (a model passes the one its layer
    ///     chose when it was built); nil takes `ConvolutionAlgorithm.best` for the geometry.
    ///   - products: for `.winograd`, how its products multiply in the forward and the input
    ///     gradient: float32, or bfloat16 operands with float32 sums (`BFloat16Products`; the
    ///     filter gradient stays float32). `.im2col` always runs in float32.
    /// - Returns: `[N, F, outH, outW]` with `outH = (H + 2*padding - kh) / stride + 1`.
    ///
    /// `.winograd` runs Winograd's F(2×2, 3×3) (`Winograd`: 3×3 windows with stride 1 over at least
    /// 8 input and output channels; 16 multiplies per 2×2 output block and channel pair instead of
    /// 36). `.im2col` goes image by image: im2col into a `[C*kh*kw, outH*outW]` matrix that stays
    /// in the core's cache, then one sgemm
    /// `[F, C*kh*kw] × [C*kh*kw, outH*outW]` that writes the image's `[F, outH*outW]` output planes
    /// in place. Either way the images are split across the engine's threads, each running its own
    /// single-threaded sgemm calls, so every phase keeps both cores busy and nothing of the size of
    /// the whole batch's column matrix is ever allocated or saved.
    public func conv2d(
        weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
        algorithm: ConvolutionAlgorithm? = nil, products: Winograd.Products = .float32
    ) -> Tensor {
        precondition(
            shape.rank == 4 && weight.shape.rank == 4 && shape[1] == weight.shape[1],
            "conv2d: input \(shape) and weight \(weight.shape) must be [N, C, H, W] and [F, C, kh, kw] with the same C")
        precondition(
            bias == nil || bias!.shape == [weight.shape[0]],
            "conv2d: bias \(bias?.shape ?? []) must be [\(weight.shape[0])] for weight \(weight.shape)")
        guard
            let geometry = ConvolutionGeometry(
                input: shape, kernelHeight: weight.shape[2],
                kernelWidth: weight.shape[3], stride: stride, padding: padding)
        else {
            preconditionFailure(
                "conv2d: kernel \(weight.shape) with stride \(stride) and padding \(padding) does not fit input \(shape)"
            )
        }
        let algorithm = algorithm ?? ConvolutionAlgorithm.best(for: geometry, filters: weight.shape[0])
        precondition(
            algorithm.fits(geometry, filters: weight.shape[0]),
            "conv2d: \(algorithm) cannot compute kernel \(weight.shape) with stride \(stride) and padding \(padding)")
        let products = algorithm == .winograd ? products : .float32
        let output = conv2dForward(
            weight: weight, bias: bias, geometry: geometry, algorithm: algorithm, products: products)
        return output.recorded("conv2d", inputs: [self, weight, bias]) { [self] dout in
            Tensor.conv2dBackward(
                dout: dout, input: self, weight: weight, bias: bias, geometry: geometry, algorithm: algorithm,
                products: products)
        }
    }

    /// The forward pass: per image, `out[n] = weight · im2col(x[n]) + bias`, or Winograd's
    /// F(2×2, 3×3) when `algorithm` is `.winograd`.
    private func conv2dForward(
        weight: Tensor, bias: Tensor?, geometry g: ConvolutionGeometry,
        algorithm: ConvolutionAlgorithm, products: Winograd.Products
    ) -> Tensor {
        let filters = weight.shape[0], plane = g.outputPlane, patch = g.patchSize
        let output = Tensor(uninitializedShape: [g.batch, filters, g.outputHeight, g.outputWidth])
        let x = data, w = weight.data, out = output.data, biasData = bias?.data
        if algorithm == .winograd {
            let u = TensorStorage(uninitializedCount: Winograd.positions * filters * g.channels)
            Winograd.transformFilters(
                w, filters: filters, channels: g.channels, flippedAndTransposed: false, into: u.pointer)
            Winograd.convolve(
                x, batch: g.batch, inputChannels: g.channels, outputChannels: filters,
                Winograd.Tiling(height: g.height, width: g.width, padding: g.padding),
                filters: u.pointer, bias: biasData, products: products, accumulate: false, into: out)
            return output
        }
        let imageSize = g.channels * g.inputPlane
        Parallel.forChunksWithOwnGemms(g.batch) { _, images in
            let columns = g.isPointwise ? nil : TensorStorage(uninitializedCount: patch * plane)  // [K, P]
            for n in images {
                let image = x + n * imageSize, target = out + n * filters * plane  // [F, P]
                let matrix = Tensor.columnMatrix(image: image, columns: columns, g, backward: false)
                if let biasData {
                    for f in 0..<filters { (target + f * plane).update(repeating: biasData[f], count: plane) }
                }
                Gemm.multiply(
                    m: filters, n: plane, k: patch, a: w, lda: patch, b: matrix, ldb: plane,
                    beta: biasData == nil ? 0 : 1, c: target, ldc: plane)
            }
        }
        return output
    }

    /// Accumulates the gradients of conv2d, image by image with `dout[n]` `[F, P]`:
    /// `dw += dout[n] · im2col(x[n])ᵀ`, `db += Σ dout[n]`, `dx[n] += col2im(wᵀ · dout[n])`.
    /// Each thread sums `dw` and `db` over its images into its own buffer; the buffers are then
    /// added in chunk order, so results depend on the thread count but never on timing.
    private static func conv2dBackward(
        dout: Tensor, input: Tensor, weight: Tensor, bias: Tensor?,
        geometry g: ConvolutionGeometry, algorithm: ConvolutionAlgorithm, products: Winograd.Products
    ) {
        if algorithm == .winograd {
            return winogradConv2dBackward(
                dout: dout, input: input, weight: weight, bias: bias, geometry: g, products: products)
        }
        let filters = weight.shape[0], plane = g.outputPlane, patch = g.patchSize
        let imageSize = g.channels * g.inputPlane
        let dx = input.requiresGradient ? input.gradientForAccumulation() : nil
        let needsWeight = weight.requiresGradient, needsBias = bias?.requiresGradient ?? false
        let x = input.data, w = weight.data, dy = dout.data
        let partialSize = filters * patch + filters  // per chunk: dw [F, K] then db [F]
        let partials = TensorStorage(
            count: partialSize * min(max(Parallel.threadCount, 1), max(g.batch, 1)), repeating: 0)
        let chunks = Parallel.forChunksWithOwnGemms(g.batch) { chunk, images in
            let dwPartial = partials.pointer + chunk * partialSize, dbPartial = dwPartial + filters * patch
            let columns =
                !g.isPointwise && (needsWeight || dx != nil)
                ? TensorStorage(uninitializedCount: patch * plane) : nil  // [K, P]
            for n in images {
                let image = x + n * imageSize, gradient = dy + n * filters * plane  // [F, P]
                if needsBias {
                    for f in 0..<filters { dbPartial[f] += VectorReduction.sum(gradient + f * plane, count: plane) }
                }
                if needsWeight {
                    let matrix = Tensor.columnMatrix(image: image, columns: columns, g, backward: true)
                    Gemm.multiply(
                        transposeB: true, m: filters, n: patch, k: plane, a: gradient, lda: plane,
                        b: matrix, ldb: plane, beta: 1, c: dwPartial, ldc: patch)
                }
                if let dx {
                    let target = dx + n * imageSize
                    if let columns {
                        Gemm.multiply(
                            transposeA: true, m: patch, n: plane, k: filters, a: w, lda: patch,
                            b: gradient, ldb: plane, c: columns.pointer, ldc: plane)
                        Profiler.concurrent(Profiler.im2colScope, backward: true) {
                            Im2Col.col2im(columns.pointer, g, addingInto: target)
                        }
                    } else {
                        Gemm.multiply(
                            transposeA: true, m: patch, n: plane, k: filters, a: w, lda: patch,
                            b: gradient, ldb: plane, beta: 1, c: target, ldc: plane)
                    }
                }
            }
        }
        if needsWeight {
            addPartials(
                partials.pointer, stride: partialSize, chunks: chunks, count: filters * patch,
                into: weight.gradientForAccumulation())
        }
        if let bias, needsBias {
            addPartials(
                partials.pointer + filters * patch, stride: partialSize, chunks: chunks, count: filters,
                into: bias.gradientForAccumulation())
        }
    }

    /// The gradients of a convolution whose forward ran through Winograd: `dx` is the stride-1
    /// convolution of `dout` with the filters rotated and transposed (padding `2 - p`), `dw` comes
    /// from the same tile transforms (`Winograd.accumulateFilterGradient`), `db` from plane sums.
    private static func winogradConv2dBackward(
        dout: Tensor, input: Tensor, weight: Tensor, bias: Tensor?,
        geometry g: ConvolutionGeometry, products: Winograd.Products
    ) {
        let filters = weight.shape[0], plane = g.outputPlane, dy = dout.data
        if input.requiresGradient {
            let u = TensorStorage(uninitializedCount: Winograd.positions * filters * g.channels)
            Winograd.transformFilters(
                weight.data, filters: filters, channels: g.channels, flippedAndTransposed: true,
                into: u.pointer)
            Winograd.convolve(
                dy, batch: g.batch, inputChannels: filters, outputChannels: g.channels,
                Winograd.Tiling(height: g.outputHeight, width: g.outputWidth, padding: 2 - g.padding),
                filters: u.pointer, bias: nil, products: products, accumulate: true,
                into: input.gradientForAccumulation())
        }
        if weight.requiresGradient {
            Winograd.accumulateFilterGradient(
                images: input.data, outputGradient: dy, batch: g.batch,
                inputChannels: g.channels, outputChannels: filters,
                Winograd.Tiling(height: g.height, width: g.width, padding: g.padding),
                into: weight.gradientForAccumulation())
        }
        if let bias, bias.requiresGradient {
            let db = bias.gradientForAccumulation()
            Parallel.forEach(filters) { f in
                var sum: Float = 0
                for n in 0..<g.batch { sum += VectorReduction.sum(dy + (n * filters + f) * plane, count: plane) }
                db[f] += sum
            }
        }
    }

    /// One image's column matrix `[K, P]`: im2col into `columns`, or the image `[C, H*W]` itself
    /// for a pointwise convolution (no `columns`).
    @inline(__always)
    private static func columnMatrix(
        image: UnsafePointer<Float>, columns: TensorStorage?, _ g: ConvolutionGeometry,
        backward: Bool
    ) -> UnsafePointer<Float> {
        guard let columns else { return image }
        Profiler.concurrent(Profiler.im2colScope, backward: backward) {
            Im2Col.im2col(image: image, g, into: columns.pointer)
        }
        return UnsafePointer(columns.pointer)
    }

    /// `target[i] += Σ_chunk partials[chunk*stride + i]`, chunks in order.
    static func addPartials(
        _ partials: UnsafePointer<Float>, stride: Int, chunks: Int, count: Int,
        into target: UnsafeMutablePointer<Float>
    ) {
        for index in 0..<count {
            var sum: Float = 0
            for chunk in 0..<chunks { sum += partials[chunk * stride + index] }
            target[index] += sum
        }
    }
}
