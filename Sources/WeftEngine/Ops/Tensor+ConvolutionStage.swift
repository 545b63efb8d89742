extension Tensor {
    /// `conv2d` → (`batchNorm` →) ReLU → 2×2 max pooling as one op, image by image: a network's
    /// first stage, whose convolution output is the largest tensor of the step. Each image's
    /// convolution (im2col + sgemm) lands in a buffer that stays in the core's cache, is pooled
    /// there (after the batch-norm statistics of its rows are taken) and only the pooled planes,
    /// the winners and their values are kept: the full-size output is never written to memory,
    /// in the forward or the backward (which recomputes each image's convolution, cheap for a
    /// first layer, and turns its pooled gradient into the filter gradient on the spot).
    ///
    /// Same values as the ops in sequence (sums in another order). Where a window's mapped values
    /// tie (γ = 0, or two inputs rounding to the same value), the winner kept may be another of
    /// the tied inputs than the first one PyTorch picks: the same output, and a gradient routed
    /// to another tied element (an equally valid subgradient). This batch is the network's input:
    /// it gets no gradient. The backward recomputes the convolution from `weight` and `bias` as
    /// they are then (the optimiser changes them only after the backward).
    /// - Parameters: as `conv2d`; `batchNorm` nil for conv → ReLU → pool.
    /// - Returns: `[N, F, outH/2, outW/2]` (odd last rows and columns dropped).
    public func conv2dStage(
        weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
        batchNorm: BatchNormArguments?
    ) -> Tensor {
        precondition(
            !requiresGradient, "conv2dStage: the input \(shape) must not need a gradient (a network's first stage)")
        precondition(
            shape.rank == 4 && weight.shape.rank == 4 && shape[1] == weight.shape[1],
            "conv2dStage: input \(shape) and weight \(weight.shape) must be [N, C, H, W] and [F, C, kh, kw] with the same C"
        )
        let filters = weight.shape[0]
        guard
            let g = ConvolutionGeometry(
                input: shape, kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                stride: stride, padding: padding),
            let pool = ConvolutionGeometry(
                input: [g.batch, filters, g.outputHeight, g.outputWidth], kernelHeight: 2,
                kernelWidth: 2, stride: 2, padding: 0)
        else {
            preconditionFailure(
                "conv2dStage: kernel \(weight.shape), stride \(stride), padding \(padding) and a 2×2 pooling do not fit input \(shape)"
            )
        }
        precondition(
            bias == nil || bias!.shape == [filters], "conv2dStage: bias \(bias?.shape ?? []) must be [\(filters)]")
        batchNorm?.check("conv2dStage", channels: filters, valuesPerChannel: g.batch * g.outputPlane, input: shape)
        let plane = g.outputPlane, pooledPlane = pool.outputPlane, patch = g.patchSize
        let output = Tensor(uninitializedShape: [g.batch, filters, pool.outputHeight, pool.outputWidth])
        let training = batchNorm?.training ?? false
        let saves = Autograd.needsGradient(weight, bias, batchNorm?.weight, batchNorm?.bias)
        let argmax = TensorStorage(uninitializedCount: output.count)  // Int32 winners
        let winnerInputs = TensorStorage(uninitializedCount: output.count)  // the convolution's value there
        let moments = training ? UnsafeMutablePointer<RowMoments>.allocate(capacity: g.batch * filters) : nil  // [N, F]
        defer { moments?.deallocate() }
        let mean = TensorStorage(uninitializedCount: filters), invStd = TensorStorage(uninitializedCount: filters)
        let x = data, w = weight.data, out = output.data, biasData = bias?.data, gamma = batchNorm?.weight.data
        let winners = UnsafeMutableRawPointer(argmax.pointer).assumingMemoryBound(to: Int32.self)
        // Evaluation knows each channel's map before the convolution: pooling takes mapped values.
        let evaluationMaps = batchNorm.flatMap { bn in
            training
                ? nil
                : (0..<filters).map { f in
                    mean.pointer[f] = bn.runningMean!.data[f]
                    invStd.pointer[f] = 1 / (bn.runningVariance!.data[f] + bn.epsilon).squareRoot()
                    let scale = bn.weight.data[f] * invStd.pointer[f]
                    return Pool.AffineReLU(scale: scale, shift: bn.bias.data[f] - mean.pointer[f] * scale)
                }
        }
        Parallel.forChunksWithOwnGemms(g.batch) { _, images in
            let columns = TensorStorage(uninitializedCount: patch * plane)  // [K, P]
            let convolved = TensorStorage(uninitializedCount: filters * plane)  // [F, P]
            for n in images {
                Tensor.convolveImage(
                    x + n * g.channels * g.inputPlane, weight: w, bias: biasData, filters: filters, g,
                    columns: columns.pointer, into: convolved.pointer)
                for f in 0..<filters {
                    let row = UnsafePointer(convolved.pointer + f * plane), pooled = (n * filters + f) * pooledPlane
                    // Training: the raw winner (largest x, or smallest for γ < 0: γ x̂ + β is monotonic),
                    // mapped once the statistics are known; otherwise the mapped (rectified) winner.
                    let transform: Pool.AffineReLU?
                    if let moments {
                        moments[n * filters + f] = RowMoments(row, count: plane)
                        transform = gamma![f] < 0 ? Pool.AffineReLU.negation : nil
                    } else {
                        transform = evaluationMaps?[f] ?? Pool.AffineReLU(scale: 1, shift: 0)
                    }
                    Pool.maxPlane2x2(
                        row, pool, output: out + pooled, argmax: winners + pooled, transform: transform,
                        winnerInputs: winnerInputs.pointer + pooled)
                }
            }
        }
        if let bn = batchNorm, let moments {
            Parallel.forEach(filters) { f in
                Tensor.setBatchStatistics(
                    channel: f, rows: moments + f, stride: filters, count: g.batch, rowLength: plane,
                    momentum: bn.momentum, epsilon: bn.epsilon, runningMean: bn.runningMean?.data,
                    runningVariance: bn.runningVariance?.data, mean: mean.pointer, invStd: invStd.pointer)
                let scale = gamma![f] * invStd.pointer[f]
                let transform = Pool.AffineReLU(scale: scale, shift: bn.bias.data[f] - mean.pointer[f] * scale)
                for n in 0..<g.batch {
                    let pooled = (n * filters + f) * pooledPlane
                    for o in pooled..<(pooled + pooledPlane) { out[o] = transform(winnerInputs.pointer[o]) }
                }
            }
        }
        guard saves else { return output }
        let outputStorage = output.storage
        return output.recorded("conv2dStage", inputs: [weight, bias, batchNorm?.weight, batchNorm?.bias]) {
            [self] dout in
            conv2dStageBackward(
                dout: dout, weight: weight, bias: bias, batchNorm: batchNorm, geometry: g, pool: pool,
                output: outputStorage.pointer,
                argmax: UnsafeMutableRawPointer(argmax.pointer).assumingMemoryBound(to: Int32.self),
                winnerInputs: winnerInputs.pointer,
                mean: mean.pointer, invStd: invStd.pointer)
        }
    }

    /// One image's convolution `[F, P]` = `weight · im2col(image) + bias` into `target`, the
    /// column matrix left in `columns` `[K, P]`.
    @inline(__always)
    private static func convolveImage(
        _ image: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        filters: Int, _ g: ConvolutionGeometry, columns: UnsafeMutablePointer<Float>,
        into target: UnsafeMutablePointer<Float>
    ) {
        let plane = g.outputPlane, patch = g.patchSize
        Im2Col.im2col(image: image, g, into: columns)
        if let bias {
            for f in 0..<filters { (target + f * plane).update(repeating: bias[f], count: plane) }
        }
        Gemm.multiply(
            m: filters, n: plane, k: patch, a: weight, lda: patch, b: columns, ldb: plane,
            beta: bias == nil ? 0 : 1, c: target, ldc: plane)
    }

    /// Accumulates `dw`, `db` (and `dγ`, `dβ`): per image, the convolution is recomputed (with
    /// batch-norm, whose input gradient needs it), the gradient at the convolution's output is
    /// written plane by plane from the pooled gradient (`Pool.maxGradientPlane2x2`), then
    /// `dw += dconv · im2col(x)ᵀ` and `db += Σ dconv`, each thread into its own buffer, added in
    /// chunk order.
    private func conv2dStageBackward(
        dout: Tensor, weight: Tensor, bias: Tensor?, batchNorm: BatchNormArguments?,
        geometry g: ConvolutionGeometry, pool: ConvolutionGeometry, output: UnsafePointer<Float>,
        argmax: UnsafePointer<Int32>, winnerInputs: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>
    ) {
        let filters = weight.shape[0], plane = g.outputPlane, pooledPlane = pool.outputPlane, patch = g.patchSize
        let dy = dout.data, x = data, w = weight.data, biasData = bias?.data
        // Per channel: the pooled gradient's scale, and batch-norm's statistics term (slope, center, shift).
        var coefficients = [(scale: Float, slope: Float, center: Float, shift: Float)](
            repeating: (1, 0, 0, 0), count: filters)
        if let bn = batchNorm {
            let reduced = Float(g.batch * plane),
                dgamma = bn.weight.requiresGradient ? bn.weight.gradientForAccumulation() : nil
            let dbeta = bn.bias.requiresGradient ? bn.bias.gradientForAccumulation() : nil
            for f in 0..<filters {
                let (sumDy, sumDyXhat) = Tensor.pooledGradientSums(
                    dy, winnerInputs: winnerInputs, output: output, channel: f,
                    channels: filters, batch: g.batch, plane: pooledPlane,
                    mean: mean[f], invStd: invStd[f])
                dgamma?[f] += Float(sumDyXhat)
                dbeta?[f] += Float(sumDy)
                let terms = Tensor.batchNormInputGradient(
                    gamma: bn.weight.data[f], mean: mean[f], invStd: invStd[f], sumDy: sumDy,
                    sumDyXhat: sumDyXhat, reduced: reduced, training: bn.training)
                coefficients[f] = terms
            }
        }
        let needsWeight = weight.requiresGradient, needsBias = bias?.requiresGradient ?? false
        guard needsWeight || needsBias else { return }
        let partialSize = filters * patch + filters  // per chunk: dw [F, K] then db [F]
        let partials = TensorStorage(
            count: partialSize * min(max(Parallel.threadCount, 1), max(g.batch, 1)), repeating: 0)
        let chunks = coefficients.withUnsafeBufferPointer { coefficients in
            Parallel.forChunksWithOwnGemms(g.batch) { chunk, images in
                let dwPartial = partials.pointer + chunk * partialSize, dbPartial = dwPartial + filters * patch
                let columns = TensorStorage(uninitializedCount: patch * plane)  // [K, P]
                let convolved = batchNorm == nil ? nil : TensorStorage(uninitializedCount: filters * plane)  // [F, P]
                let gradient = TensorStorage(uninitializedCount: filters * plane)  // [F, P] at the convolution's output
                for n in images {
                    let image = x + n * g.channels * g.inputPlane
                    if let convolved {
                        Tensor.convolveImage(
                            image, weight: w, bias: biasData, filters: filters, g, columns: columns.pointer,
                            into: convolved.pointer)
                    } else {
                        Im2Col.im2col(image: image, g, into: columns.pointer)
                    }
                    for f in 0..<filters {
                        let pooled = (n * filters + f) * pooledPlane, c = coefficients[f]
                        let affine = convolved.map {
                            (UnsafePointer($0.pointer + f * plane), c.slope, c.center, c.shift)
                        }
                        Pool.maxGradientPlane2x2(
                            dy + pooled, argmax: argmax + pooled, gate: output + pooled, scale: c.scale,
                            affine: affine, pool, into: gradient.pointer + f * plane, overwrite: true)
                        if needsBias { dbPartial[f] += VectorReduction.sum(gradient.pointer + f * plane, count: plane) }
                    }
                    if needsWeight {
                        Gemm.multiply(
                            transposeB: true, m: filters, n: patch, k: plane, a: gradient.pointer, lda: plane,
                            b: columns.pointer, ldb: plane, beta: 1, c: dwPartial, ldc: patch)
                    }
                }
            }
        }
        if needsWeight {
            Tensor.addPartials(
                partials.pointer, stride: partialSize, chunks: chunks, count: filters * patch,
                into: weight.gradientForAccumulation())
        }
        if let bias, needsBias {
            Tensor.addPartials(
                partials.pointer + filters * patch, stride: partialSize, chunks: chunks, count: filters,
                into: bias.gradientForAccumulation())
        }
    }
}
