extension Tensor {
    /// Batch normalisation per channel of `[N, C, H, W]` (2-D) or per feature of `[N, C]` (1-D),
    /// as `torch.nn.functional.batch_norm`.
    ///
    /// Training mode normalises with the batch's mean and biased variance and, when running
    /// statistics are given, updates them in place: `running = (1 - momentum) * running +
    /// momentum * batchStatistic`, the variance unbiased (`* M/(M-1)`, `M = N*H*W`). Evaluation
    /// mode normalises with the running statistics.
    /// - Parameters:
    ///   - weight, bias: `[C]` (γ and β).
    ///   - runningMean, runningVariance: `[C]` buffers (required in evaluation mode).
    ///   - synchronization: in training mode, sums the statistics across the replicas of a
    ///     data-parallel job (`torch.nn.SyncBatchNorm`); see `Tensor+BatchNormSync.swift`.
    /// - Returns: the input's shape.
    public func batchNorm(weight: Tensor, bias: Tensor, runningMean: Tensor?, runningVariance: Tensor?,
                          training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5,
                          synchronization: BatchNormSynchronization? = nil) -> Tensor {
        if training, let synchronization {
            return synchronizedBatchNorm(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                                         momentum: momentum, epsilon: epsilon, synchronization: synchronization)
        }
        precondition(shape.rank == 4 || shape.rank == 2, "batchNorm: input \(shape) must be [N, C, H, W] or [N, C]")
        let channels = shape[1]
        for (label, tensor) in [("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVariance", runningVariance)] {
            if let tensor {
                precondition(tensor.shape == [channels], "batchNorm: \(label) \(tensor.shape) must be [\(channels)] for input \(shape)")
            }
        }
        let batch = shape[0], plane = shape.rank == 4 ? shape[2] * shape[3] : 1
        let reduced = batch * plane
        let mean = TensorStorage(uninitializedCount: channels)
        let invStd = TensorStorage(uninitializedCount: channels)
        if training {
            precondition(reduced > 1, "batchNorm: training needs more than one value per channel, got input \(shape)")
            batchNormStatistics(channels: channels, batch: batch, plane: plane, epsilon: epsilon,
                                mean: mean.pointer, invStd: invStd.pointer,
                                runningMean: runningMean, runningVariance: runningVariance, momentum: momentum)
        } else {
            guard let runningMean, let runningVariance else {
                preconditionFailure("batchNorm: evaluation mode needs running statistics")
            }
            for c in 0..<channels {
                mean.pointer[c] = runningMean.data[c]
                invStd.pointer[c] = 1 / (runningVariance.data[c] + epsilon).squareRoot()
            }
        }
        let output = batchNormForward(weight: weight, bias: bias, mean: mean.pointer, invStd: invStd.pointer,
                                      batch: batch, plane: plane)
        return output.recorded("batchNorm", inputs: [self, weight, bias]) { [self] dout in
            batchNormBackward(dout: dout, weight: weight, bias: bias, mean: mean.pointer, invStd: invStd.pointer,
                              batch: batch, plane: plane, training: training)
        }
    }

    /// Per channel: the batch mean and `1/sqrt(biased variance + eps)`, each row of `plane`
    /// values summed in float32 and the rows in Double, in a fixed order; updates the running
    /// statistics. Channels are split across threads.
    private func batchNormStatistics(channels: Int, batch: Int, plane: Int, epsilon: Float,
                                     mean: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>,
                                     runningMean: Tensor?, runningVariance: Tensor?, momentum: Float) {
        let x = data, reduced = Double(batch * plane)
        let runningMeanData = runningMean?.data, runningVarianceData = runningVariance?.data
        Parallel.forEach(channels) { c in
            var sum: Double = 0
            for n in 0..<batch {
                let row = x + (n * channels + c) * plane
                var rowSum: Float = 0
                for index in 0..<plane { rowSum += row[index] }
                sum += Double(rowSum)
            }
            let mu = sum / reduced
            let muFloat = Float(mu)
            var squares: Double = 0
            for n in 0..<batch {
                let row = x + (n * channels + c) * plane
                var rowSquares: Float = 0
                for index in 0..<plane { let d = row[index] - muFloat; rowSquares += d * d }
                squares += Double(rowSquares)
            }
            let variance = squares / reduced
            mean[c] = muFloat
            invStd[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
            if let runningMeanData {
                runningMeanData[c] = (1 - momentum) * runningMeanData[c] + momentum * muFloat
            }
            if let runningVarianceData {
                let unbiased = Float(squares / (reduced - 1))
                runningVarianceData[c] = (1 - momentum) * runningVarianceData[c] + momentum * unbiased
            }
        }
    }

    /// `y = γ (x - mean) invStd + β`, channel by channel.
    private func batchNormForward(weight: Tensor, bias: Tensor, mean: UnsafePointer<Float>,
                                  invStd: UnsafePointer<Float>, batch: Int, plane: Int) -> Tensor {
        let channels = shape[1]
        let output = Tensor(uninitializedShape: shape)
        let x = data, y = output.data, gamma = weight.data, beta = bias.data
        Parallel.forEach(batch * channels, grain: plane > 1 ? 1 : 64) { row in
            let c = row % channels
            let scale = gamma[c] * invStd[c], shift = beta[c] - mean[c] * scale
            let from = x + row * plane, to = y + row * plane
            for index in 0..<plane { to[index] = from[index] * scale + shift }
        }
        return output
    }

    /// Accumulates `dx`, `dγ = Σ dout·x̂`, `dβ = Σ dout`. Training mode differentiates through
    /// the batch statistics: `dx = γ invStd / M · (M dout - Σ dout - x̂ Σ dout·x̂)`.
    private func batchNormBackward(dout: Tensor, weight: Tensor, bias: Tensor, mean: UnsafePointer<Float>,
                                   invStd: UnsafePointer<Float>, batch: Int, plane: Int, training: Bool) {
        let channels = shape[1], reduced = Float(batch * plane)
        let x = data, dy = dout.data, gamma = weight.data
        let dx = requiresGradient ? gradientForAccumulation() : nil
        let dgamma = weight.requiresGradient ? weight.gradientForAccumulation() : nil
        let dbeta = bias.requiresGradient ? bias.gradientForAccumulation() : nil
        Parallel.forEach(channels) { c in
            var sumDy: Double = 0, sumDyXhat: Double = 0
            let mu = mean[c], inv = invStd[c]
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                var rowDy: Float = 0, rowDyXhat: Float = 0
                for index in offset..<(offset + plane) {
                    rowDy += dy[index]
                    rowDyXhat += dy[index] * (x[index] - mu)
                }
                sumDy += Double(rowDy)
                sumDyXhat += Double(rowDyXhat) * Double(inv)
            }
            dgamma?[c] += Float(sumDyXhat)
            dbeta?[c] += Float(sumDy)
            guard let dx else { return }
            let scale = gamma[c] * inv
            let meanDy = Float(sumDy) / reduced, meanDyXhat = Float(sumDyXhat) / reduced
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                if training {
                    // dx = scale * (dy - meanDy - xHat * meanDyXhat), with xHat = (x - mu) * inv
                    let slope = scale * meanDyXhat * inv, shift = scale * meanDy - slope * mu
                    for index in offset..<(offset + plane) { dx[index] += scale * dy[index] - slope * x[index] - shift }
                } else {
                    for index in offset..<(offset + plane) { dx[index] += scale * dy[index] }
                }
            }
        }
    }
}
