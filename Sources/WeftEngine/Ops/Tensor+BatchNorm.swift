extension Tensor {
    /// Batch normalisation per channel of `[N, C, H, W]` (2-D) or per feature of `[N, C]` (1-D),
    /// as `torch.nn.functional.batch_norm`, optionally followed by a ReLU in the same sweep.
    ///
    /// Training mode normalises with the batch's mean and biased variance and, when running
    /// statistics are given, updates them in place: `running = (1 - momentum) * running +
    /// momentum * batchStatistic`, the variance unbiased (`* M/(M-1)`, `M = N*H*W`). Evaluation
    /// mode normalises with the running statistics.
    ///
    /// Channels are split across threads; each thread computes a channel's statistics and
    /// normalises it while its `N` rows are still in the core's cache. With `relu`, the output is
    /// `max(0, y)` and the backward masks `dout` where the output is 0, so the pair costs one
    /// pass over memory each way instead of two.
    /// - Parameters:
    ///   - weight, bias: `[C]` (γ and β).
    ///   - runningMean, runningVariance: `[C]` buffers (required in evaluation mode).
    ///   - relu: apply `max(0, ·)` to the result (a following `torch.nn.ReLU`).
    ///   - synchronization: in training mode, sums the statistics across the replicas of a
    ///     data-parallel job (`torch.nn.SyncBatchNorm`); see `Tensor+BatchNormSync.swift`.
    /// - Returns: the input's shape.
    public func batchNorm(
        weight: Tensor, bias: Tensor, runningMean: Tensor?, runningVariance: Tensor?,
        training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5, relu: Bool = false,
        synchronization: BatchNormSynchronization? = nil
    ) -> Tensor {
        if training, let synchronization {
            let normalized = synchronizedBatchNorm(
                weight: weight, bias: bias, runningMean: runningMean,
                runningVariance: runningVariance, momentum: momentum,
                epsilon: epsilon, synchronization: synchronization)
            return relu ? normalized.relu() : normalized
        }
        precondition(shape.rank == 4 || shape.rank == 2, "batchNorm: input \(shape) must be [N, C, H, W] or [N, C]")
        let channels = shape[1]
        let batch = shape[0], plane = shape.rank == 4 ? shape[2] * shape[3] : 1
        BatchNormArguments(
            weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, training: training
        )
        .check("batchNorm", channels: channels, valuesPerChannel: batch * plane, input: shape)
        let mean = TensorStorage(uninitializedCount: channels)
        let invStd = TensorStorage(uninitializedCount: channels)
        let output = batchNormForward(
            weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
            training: training, momentum: momentum, epsilon: epsilon, relu: relu,
            mean: mean.pointer, invStd: invStd.pointer, batch: batch, plane: plane)
        let outputStorage = output.storage
        return output.recorded("batchNorm", inputs: [self, weight, bias]) { [self] dout in
            batchNormBackward(
                dout: dout, weight: weight, bias: bias, mean: mean.pointer, invStd: invStd.pointer,
                output: relu ? outputStorage.pointer : nil, batch: batch, plane: plane, training: training)
        }
    }

    /// Per channel: the statistics (`batchNormStatistics`), then `y = γ (x - mean) invStd + β`
    /// (and `max(0, y)`) over the channel's rows while they are in cache.
    private func batchNormForward(
        weight: Tensor, bias: Tensor, runningMean: Tensor?, runningVariance: Tensor?,
        training: Bool, momentum: Float, epsilon: Float, relu: Bool,
        mean: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>,
        batch: Int, plane: Int
    ) -> Tensor {
        let channels = shape[1]
        let output = Tensor(uninitializedShape: shape)
        let x = data, y = output.data, gamma = weight.data, beta = bias.data
        let runningMeanData = runningMean?.data, runningVarianceData = runningVariance?.data
        Parallel.forEach(channels) { c in
            Tensor.batchNormStatistics(
                x, channel: c, channels: channels, batch: batch, plane: plane, training: training,
                momentum: momentum, epsilon: epsilon, runningMean: runningMeanData,
                runningVariance: runningVarianceData, mean: mean, invStd: invStd)
            let scale = gamma[c] * invStd[c], shift = beta[c] - mean[c] * scale
            for n in 0..<batch {
                let from = x + (n * channels + c) * plane, to = y + (n * channels + c) * plane
                if relu {
                    for index in 0..<plane { to[index] = max(from[index] * scale + shift, 0) }
                } else {
                    for index in 0..<plane { to[index] = from[index] * scale + shift }
                }
            }
        }
        return output
    }

    /// One channel's statistics into `mean[c]` and `invStd[c]`. Training: the batch mean and
    /// `1/sqrt(biased variance + eps)`, and the running statistics updated; evaluation: from the
    /// running statistics. Training reads each row of `plane` values once from memory
    /// (`RowMoments`) and combines the rows in a fixed order (`setBatchStatistics`).
    /// `visit(n, row)` is called for each row of the channel while it is in cache (training only).
    @inline(__always)
    static func batchNormStatistics(
        _ x: UnsafePointer<Float>, channel c: Int, channels: Int, batch: Int, plane: Int,
        training: Bool, momentum: Float, epsilon: Float,
        runningMean: UnsafeMutablePointer<Float>?, runningVariance: UnsafeMutablePointer<Float>?,
        mean: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>,
        visit: (_ n: Int, _ row: UnsafePointer<Float>) -> Void = { _, _ in }
    ) {
        guard training else {
            mean[c] = runningMean![c]
            invStd[c] = 1 / (runningVariance![c] + epsilon).squareRoot()
            return
        }
        withUnsafeTemporaryAllocation(of: RowMoments.self, capacity: batch) { rows in
            for n in 0..<batch {
                let row = x + (n * channels + c) * plane
                rows[n] = RowMoments(row, count: plane)
                visit(n, row)
            }
            setBatchStatistics(
                channel: c, rows: UnsafePointer(rows.baseAddress!), stride: 1, count: batch, rowLength: plane,
                momentum: momentum, epsilon: epsilon, runningMean: runningMean,
                runningVariance: runningVariance, mean: mean, invStd: invStd)
        }
    }

    /// A row's sum, its centre (the float32 mean) and its squares about that centre, each in
    /// float32 SIMD lanes: one read of the row from memory, the second sweep from the core's cache.
    struct RowMoments {
        var sum: Double, center: Double, squares: Double

        @inline(__always)
        init(_ row: UnsafePointer<Float>, count: Int) {
            let rowSum = VectorReduction.sum(row, count: count), center = rowSum / Float(count)
            sum = Double(rowSum)
            self.center = Double(center)
            squares = Double(VectorReduction.sumOfSquares(row, count: count, center: center))
        }
    }

    /// Training statistics of channel `c` from its rows `rows[0], rows[stride], …` (`count` rows of
    /// `rowLength` values): mean, `invStd = 1/sqrt(biased variance + eps)`, and the running
    /// statistics (unbiased variance) updated. The rows are combined in Double, in order, with
    /// the exact correction for each row's centre: `Σ(x − μ)² = Σ(x − c)² + 2(c − μ)·Σ(x − c) + n(c − μ)²`
    /// (Chan, Golub and LeVeque).
    static func setBatchStatistics(
        channel c: Int, rows: UnsafePointer<RowMoments>, stride: Int, count: Int, rowLength: Int,
        momentum: Float, epsilon: Float,
        runningMean: UnsafeMutablePointer<Float>?, runningVariance: UnsafeMutablePointer<Float>?,
        mean: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>
    ) {
        let reduced = Double(count * rowLength), length = Double(rowLength)
        var sum: Double = 0
        for row in 0..<count { sum += rows[row * stride].sum }
        let mu = sum / reduced
        var squares: Double = 0
        for row in 0..<count {
            let moments = rows[row * stride], offset = moments.center - mu
            squares += moments.squares + 2 * offset * (moments.sum - length * moments.center) + length * offset * offset
        }
        let mean32 = Float(mu)
        mean[c] = mean32
        invStd[c] = Float(1 / (squares / reduced + Double(epsilon)).squareRoot())
        if let runningMean {
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean32
        }
        if let runningVariance {
            let unbiased = Float(squares / (reduced - 1))
            runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * unbiased
        }
    }

    /// The coefficients of one channel's input gradient `dx = scale·dout − slope·(x − center) − shift`.
    /// Training differentiates through the batch statistics, `dx = scale (dout − mean(dout) − x̂ mean(dout·x̂))`
    /// with `scale = γ invStd`, `x̂ = (x − mean) invStd` and `center = mean`; evaluation has `slope = shift = 0`.
    /// `x` is centred before the product, as PyTorch's backward does: `slope·x − slope·mean` loses
    /// the digits of `x − mean` where the mean is large against the spread.
    @inline(__always)
    static func batchNormInputGradient(
        gamma: Float, mean mu: Float, invStd inv: Float, sumDy: Double, sumDyXhat: Double,
        reduced: Float, training: Bool
    ) -> (scale: Float, slope: Float, center: Float, shift: Float) {
        let scale = gamma * inv
        let slope = training ? scale * (Float(sumDyXhat) / reduced) * inv : 0
        let shift = training ? scale * (Float(sumDy) / reduced) : 0
        return (scale, slope, mu, shift)
    }

    /// Accumulates `dx`, `dγ = Σ dout·x̂`, `dβ = Σ dout`, with `dout` first masked to 0 where the
    /// fused ReLU's `output` is 0. Training mode differentiates through the batch statistics:
    /// `dx = γ invStd / M · (M dout - Σ dout - x̂ Σ dout·x̂)`.
    private func batchNormBackward(
        dout: Tensor, weight: Tensor, bias: Tensor, mean: UnsafePointer<Float>,
        invStd: UnsafePointer<Float>, output: UnsafePointer<Float>?,
        batch: Int, plane: Int, training: Bool
    ) {
        let channels = shape[1], reduced = Float(batch * plane)
        let x = data, dy = dout.data, gamma = weight.data
        let dx = requiresGradient ? gradientForWriting() : nil
        let dgamma = weight.requiresGradient ? weight.gradientForAccumulation() : nil
        let dbeta = bias.requiresGradient ? bias.gradientForAccumulation() : nil
        Parallel.forEach(channels) { c in
            var sumDy: Double = 0, sumDyXhat: Double = 0
            let mu = mean[c], inv = invStd[c]
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                let row =
                    output.map {
                        VectorReduction.sumAndCenteredDot(
                            dy + offset, x + offset, where: $0 + offset, count: plane, center: mu)
                    } ?? VectorReduction.sumAndCenteredDot(dy + offset, x + offset, count: plane, center: mu)
                sumDy += Double(row.sum)
                sumDyXhat += Double(row.dot) * Double(inv)
            }
            dgamma?[c] += Float(sumDyXhat)
            dbeta?[c] += Float(sumDy)
            guard let (target, overwrite) = dx else { return }
            let (scale, slope, center, shift) = Tensor.batchNormInputGradient(
                gamma: gamma[c], mean: mu, invStd: inv, sumDy: sumDy,
                sumDyXhat: sumDyXhat, reduced: reduced, training: training)
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                let from = dy + offset, input = x + offset, to = target + offset
                if let output {
                    let kept = output + offset
                    if overwrite {
                        for index in 0..<plane {
                            to[index] =
                                (kept[index] > 0 ? scale * from[index] : 0) - slope * (input[index] - center) - shift
                        }
                    } else {
                        for index in 0..<plane {
                            to[index] +=
                                (kept[index] > 0 ? scale * from[index] : 0) - slope * (input[index] - center) - shift
                        }
                    }
                } else if overwrite {
                    for index in 0..<plane { to[index] = scale * from[index] - slope * (input[index] - center) - shift }
                } else {
                    for index in 0..<plane {
                        to[index] += scale * from[index] - slope * (input[index] - center) - shift
                    }
                }
            }
        }
    }
}
