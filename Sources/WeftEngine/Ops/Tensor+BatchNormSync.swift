/// How a batch-norm layer's statistics are summed across the replicas of a data-parallel job
/// (`torch.nn.SyncBatchNorm`). The engine knows no transport: the caller passes closures that
/// replace a buffer of doubles by its elementwise sum over all replicas (an allreduce). Every
/// replica must make the same calls in the same order.
public struct BatchNormSynchronization {
    /// Sums the forward's per-channel statistics in place: first `[C + 1]` (Σx per channel and
    /// the value count M), then `[C]` (Σ(x − mean)² per channel).
    public var sumStatistics: (UnsafeMutablePointer<Double>, Int) -> Void
    /// Sums the backward's `[2C]` terms in place (Σdy per channel, then Σdy·x̂ per channel). A
    /// caller whose replicas' losses carry different weights scales by its own weight before the
    /// sum and divides by it after, so that each replica's `dy` counts as in the global loss.
    public var sumGradientTerms: (UnsafeMutablePointer<Double>, Int) -> Void

    public init(
        sumStatistics: @escaping (UnsafeMutablePointer<Double>, Int) -> Void,
        sumGradientTerms: @escaping (UnsafeMutablePointer<Double>, Int) -> Void
    ) {
        self.sumStatistics = sumStatistics
        self.sumGradientTerms = sumGradientTerms
    }
}

extension Tensor {
    /// Training-mode batch normalisation over the union of every replica's batch: the mean and
    /// biased variance (and the running statistics' update, unbiased with the global count M)
    /// come from all replicas' values, and the backward's `Σ dout` and `Σ dout·x̂` are summed
    /// across replicas before `dx` is formed. `dγ` and `dβ` stay this replica's own sums: the
    /// gradient allreduce that follows adds them up, as in PyTorch's `SyncBatchNorm`.
    /// Called by `batchNorm(..., synchronization:)`; the input is `[N, C, H, W]` or `[N, C]`.
    func synchronizedBatchNorm(
        weight: Tensor, bias: Tensor, runningMean: Tensor?, runningVariance: Tensor?,
        momentum: Float, epsilon: Float, synchronization: BatchNormSynchronization
    ) -> Tensor {
        precondition(shape.rank == 4 || shape.rank == 2, "batchNorm: input \(shape) must be [N, C, H, W] or [N, C]")
        let channels = shape[1], batch = shape[0], plane = shape.rank == 4 ? shape[2] * shape[3] : 1
        precondition(
            weight.shape == [channels] && bias.shape == [channels], "batchNorm: weight and bias must be [\(channels)]")
        let x = data
        // [C + 1]: Σx per channel, then this replica's value count.
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: channels + 1)
        defer { sums.deallocate() }
        Parallel.forEach(channels) { c in
            var sum: Double = 0
            for n in 0..<batch {
                let row = x + (n * channels + c) * plane
                var rowSum: Float = 0
                for index in 0..<plane { rowSum += row[index] }
                sum += Double(rowSum)
            }
            sums[c] = sum
        }
        sums[channels] = Double(batch * plane)
        synchronization.sumStatistics(sums, channels + 1)
        let reduced = sums[channels]
        precondition(reduced > 1, "batchNorm: training needs more than one value per channel over all replicas")
        let mean = TensorStorage(uninitializedCount: channels)  // [C]
        let invStd = TensorStorage(uninitializedCount: channels)  // [C]
        let meanPointer = mean.pointer, invStdPointer = invStd.pointer
        for c in 0..<channels { meanPointer[c] = Float(sums[c] / reduced) }
        // [C]: Σ(x − mean)² per channel.
        Parallel.forEach(channels) { c in
            let mu = meanPointer[c]
            var squares: Double = 0
            for n in 0..<batch {
                let row = x + (n * channels + c) * plane
                var rowSquares: Float = 0
                for index in 0..<plane { let d = row[index] - mu; rowSquares += d * d }
                squares += Double(rowSquares)
            }
            sums[c] = squares
        }
        synchronization.sumStatistics(sums, channels)
        for c in 0..<channels {
            invStdPointer[c] = Float(1 / (sums[c] / reduced + Double(epsilon)).squareRoot())
            if let runningMean {
                runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * meanPointer[c]
            }
            if let runningVariance {
                runningVariance.data[c] =
                    (1 - momentum) * runningVariance.data[c] + momentum * Float(sums[c] / (reduced - 1))
            }
        }
        let output = Tensor(uninitializedShape: shape)  // [N, C, H, W] or [N, C]
        let y = output.data, gamma = weight.data, beta = bias.data
        Parallel.forEach(batch * channels) { row in
            let c = row % channels
            let scale = gamma[c] * invStdPointer[c], shift = beta[c] - meanPointer[c] * scale
            let from = x + row * plane, to = y + row * plane
            for index in 0..<plane { to[index] = from[index] * scale + shift }
        }
        return output.recorded("batchNorm", inputs: [self, weight, bias]) { [self] dout in
            synchronizedBatchNormBackward(
                dout: dout, weight: weight, bias: bias, mean: mean.pointer, invStd: invStd.pointer,
                batch: batch, plane: plane, reduced: reduced, synchronization: synchronization)
        }
    }

    /// Accumulates this replica's `dγ = Σ dout·x̂` and `dβ = Σ dout`, and `dx = γ invStd ·
    /// (dout − Σ dout / M − x̂ Σ dout·x̂ / M)` with both sums taken over every replica.
    private func synchronizedBatchNormBackward(
        dout: Tensor, weight: Tensor, bias: Tensor, mean: UnsafePointer<Float>,
        invStd: UnsafePointer<Float>, batch: Int, plane: Int, reduced: Double,
        synchronization: BatchNormSynchronization
    ) {
        let channels = shape[1]
        let x = data, dy = dout.data, gamma = weight.data
        // [2C]: Σdy per channel, then Σdy·x̂ per channel.
        let terms = UnsafeMutablePointer<Double>.allocate(capacity: 2 * channels)
        defer { terms.deallocate() }
        Parallel.forEach(channels) { c in
            var sumDy: Double = 0, sumDyXhat: Double = 0
            let mu = mean[c]
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                var rowDy: Float = 0, rowDyXhat: Float = 0
                for index in offset..<(offset + plane) {
                    rowDy += dy[index]
                    rowDyXhat += dy[index] * (x[index] - mu)
                }
                sumDy += Double(rowDy)
                sumDyXhat += Double(rowDyXhat) * Double(invStd[c])
            }
            terms[c] = sumDy
            terms[channels + c] = sumDyXhat
        }
        if weight.requiresGradient {
            let dgamma = weight.gradientForAccumulation()
            for c in 0..<channels { dgamma[c] += Float(terms[channels + c]) }
        }
        if bias.requiresGradient {
            let dbeta = bias.gradientForAccumulation()
            for c in 0..<channels { dbeta[c] += Float(terms[c]) }
        }
        guard requiresGradient else { return }
        synchronization.sumGradientTerms(terms, 2 * channels)
        let dx = gradientForAccumulation()
        Parallel.forEach(channels) { c in
            let inv = invStd[c], mu = mean[c], scale = gamma[c] * inv
            let meanDy = Float(terms[c] / reduced), meanDyXhat = Float(terms[channels + c] / reduced)
            let slope = scale * meanDyXhat * inv, shift = scale * meanDy  // x centred first, as batchNormInputGradient
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                for index in offset..<(offset + plane) {
                    dx[index] += scale * dy[index] - slope * (x[index] - mu) - shift
                }
            }
        }
    }
}
