extension Tensor {
    /// `batchNorm(..., relu: true)` followed by `maxPool2d(kernelSize: 2)` as one op, the block
    /// that ends most stages of a CNN. The normalised activations are never stored. In training,
    /// while the statistics read a channel's rows, each 2×2 window's largest `x` (smallest when
    /// γ < 0: `max(0, γ x̂ + β)` is monotonic in `x`) is kept with its position; the pooled values
    /// are then mapped. In evaluation each window of `max(0, γ x̂ + β)` is pooled directly. The
    /// backward routes each pooled gradient to its window's winner (where the ReLU passed it) and
    /// differentiates through the batch statistics, in one sweep over `x` and `dx`.
    ///
    /// Same values as the three ops in sequence (sums in a different order; where a window's mapped
    /// values tie, the winner kept in training may be another of the tied inputs than the first:
    /// the same output, and where the tie is above 0 — γ = 0, or two inputs rounding to the same
    /// value — a gradient routed to another tied element, an equally valid subgradient), a quarter of their
    /// memory traffic and none of their two full-size intermediate tensors (it saves the pooled
    /// output, the argmax and the input value at the argmax, each a quarter of the input's size).
    /// - Parameters: as `batchNorm`; this tensor is `[N, C, H, W]` with `H, W ≥ 2`.
    /// - Returns: `[N, C, H/2, W/2]` (odd last rows and columns are dropped, as `ceil_mode=False`).
    public func batchNormReLUMaxPool2x2(
        weight: Tensor, bias: Tensor, runningMean: Tensor?, runningVariance: Tensor?,
        training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5
    ) -> Tensor {
        precondition(shape.rank == 4, "batchNormReLUMaxPool2x2: input \(shape) must be [N, C, H, W]")
        let channels = shape[1], batch = shape[0]
        guard let g = ConvolutionGeometry(input: shape, kernelHeight: 2, kernelWidth: 2, stride: 2, padding: 0) else {
            preconditionFailure("batchNormReLUMaxPool2x2: input \(shape) is smaller than the 2×2 window")
        }
        BatchNormArguments(
            weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, training: training
        )
        .check("batchNormReLUMaxPool2x2", channels: channels, valuesPerChannel: batch * g.inputPlane, input: shape)
        let mean = TensorStorage(uninitializedCount: channels)
        let invStd = TensorStorage(uninitializedCount: channels)
        let output = Tensor(uninitializedShape: [batch, channels, g.outputHeight, g.outputWidth])
        let saves = Autograd.needsGradient(self, weight, bias)
        let argmax: TensorStorage? = saves ? TensorStorage(uninitializedCount: output.count) : nil  // Int32 indices
        let winnerInputs: TensorStorage? = saves ? TensorStorage(uninitializedCount: output.count) : nil  // x at argmax
        let x = data, out = output.data, gamma = weight.data, beta = bias.data
        let runningMeanData = runningMean?.data, runningVarianceData = runningVariance?.data
        let winners = argmax.map { UnsafeMutableRawPointer($0.pointer).assumingMemoryBound(to: Int32.self) }
        // Training pools x itself while the statistics read it: γ x̂ + β and the ReLU are monotonic
        // (increasing for γ ≥ 0, decreasing for γ < 0), so each window's winner is its largest
        // (or smallest) x; only the pooled values are mapped afterwards.
        let pooledInputs = winnerInputs ?? (training ? TensorStorage(uninitializedCount: output.count) : nil)
        Parallel.forEach(channels) { c in
            let raw = pooledInputs?.pointer
            Tensor.batchNormStatistics(
                x, channel: c, channels: channels, batch: batch, plane: g.inputPlane, training: training,
                momentum: momentum, epsilon: epsilon, runningMean: runningMeanData,
                runningVariance: runningVarianceData, mean: mean.pointer, invStd: invStd.pointer
            ) { n, row in
                let pooled = (n * channels + c) * g.outputPlane
                Pool.maxPlane2x2(
                    row, g, output: out + pooled, argmax: winners.map { $0 + pooled },
                    transform: gamma[c] < 0 ? Pool.AffineReLU.negation : nil, winnerInputs: raw! + pooled)
            }
            let scale = gamma[c] * invStd.pointer[c]
            let transform = Pool.AffineReLU(scale: scale, shift: beta[c] - mean.pointer[c] * scale)
            for n in 0..<batch {
                let planeIndex = n * channels + c, pooled = planeIndex * g.outputPlane
                if training {
                    for o in pooled..<(pooled + g.outputPlane) { out[o] = transform(raw![o]) }
                } else {
                    Pool.maxPlane2x2(
                        x + planeIndex * g.inputPlane, g, output: out + pooled,
                        argmax: winners.map { $0 + pooled }, transform: transform, winnerInputs: raw.map { $0 + pooled }
                    )
                }
            }
        }
        let outputStorage = output.storage
        return output.recorded("batchNormReLUMaxPool2x2", inputs: [self, weight, bias]) { [self] dout in
            guard let argmax, let winnerInputs else { return }
            batchNormReLUMaxPoolBackward(
                dout: dout, weight: weight, bias: bias, mean: mean.pointer, invStd: invStd.pointer,
                output: outputStorage.pointer, winnerInputs: winnerInputs.pointer,
                argmax: UnsafeMutableRawPointer(argmax.pointer).assumingMemoryBound(to: Int32.self),
                geometry: g, training: training)
        }
    }

    /// Accumulates `dx`, `dγ`, `dβ`. With `dz` the pooled gradient routed to each window's winner
    /// where the pooled output is positive (0 elsewhere): `dβ = Σ dz`, `dγ = Σ dz·x̂`, and
    /// `dx = γ invStd (dz - mean(dz) - x̂ mean(dz·x̂))` in training (`γ invStd dz` in evaluation).
    private func batchNormReLUMaxPoolBackward(
        dout: Tensor, weight: Tensor, bias: Tensor, mean: UnsafePointer<Float>,
        invStd: UnsafePointer<Float>, output: UnsafePointer<Float>,
        winnerInputs: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, geometry g: ConvolutionGeometry,
        training: Bool
    ) {
        let channels = shape[1], batch = shape[0], reduced = Float(batch * g.inputPlane)
        let x = data, dy = dout.data, gamma = weight.data
        let dx = requiresGradient ? gradientForWriting() : nil
        let dgamma = weight.requiresGradient ? weight.gradientForAccumulation() : nil
        let dbeta = bias.requiresGradient ? bias.gradientForAccumulation() : nil
        Parallel.forEach(channels) { c in
            let mu = mean[c], inv = invStd[c]
            let (sumDy, sumDyXhat) = Tensor.pooledGradientSums(
                dy, winnerInputs: winnerInputs, output: output, channel: c,
                channels: channels, batch: batch, plane: g.outputPlane,
                mean: mu, invStd: inv)
            dgamma?[c] += Float(sumDyXhat)
            dbeta?[c] += Float(sumDy)
            guard let (target, overwrite) = dx else { return }
            let (scale, slope, center, shift) = Tensor.batchNormInputGradient(
                gamma: gamma[c], mean: mu, invStd: inv, sumDy: sumDy,
                sumDyXhat: sumDyXhat, reduced: reduced, training: training)
            for n in 0..<batch {
                let planeIndex = n * channels + c, pooled = planeIndex * g.outputPlane
                let input = x + planeIndex * g.inputPlane, to = target + planeIndex * g.inputPlane
                Pool.maxGradientPlane2x2(
                    dy + pooled, argmax: argmax + pooled, gate: output + pooled, scale: scale,
                    affine: (UnsafePointer(input), slope, center, shift), g, into: to, overwrite: overwrite)
            }
        }
    }

    /// One channel's `(Σ dz, Σ dz·x̂)` of a fused batch-norm + ReLU + pooling, where `dz` is the
    /// pooled gradient `dy` `[N, C, h, w]` at each window's winner (`winnerInputs`, its input value)
    /// and zero where the pooled `output` is not positive.
    static func pooledGradientSums(
        _ dy: UnsafePointer<Float>, winnerInputs: UnsafePointer<Float>, output: UnsafePointer<Float>,
        channel c: Int, channels: Int, batch: Int, plane: Int, mean: Float,
        invStd: Float
    ) -> (sumDy: Double, sumDyXhat: Double) {
        var sumDy: Double = 0, sumDyXhat: Double = 0
        for n in 0..<batch {
            let pooled = (n * channels + c) * plane
            let row = VectorReduction.sumAndCenteredDot(
                dy + pooled, winnerInputs + pooled, where: output + pooled,
                count: plane, center: mean)
            sumDy += Double(row.sum)
            sumDyXhat += Double(row.dot) * Double(invStd)
        }
        return (sumDy, sumDyXhat)
    }
}
