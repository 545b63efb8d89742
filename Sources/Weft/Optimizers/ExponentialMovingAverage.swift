import Foundation

/// An exponential moving average of a model's weights (Polyak averaging as the speed runs and
/// timm's `ModelEmaV2` keep it), updated after optimiser steps, for evaluating with.
///
/// `averages` and `sources` are pairs of tensors of the same name and shape: a second copy of
/// the model's parameters and buffers, and the live ones. After the optimiser's step `t` (1, 2,
/// ...), when `t` is a multiple of `everySteps`, element-wise in float32:
///
///     a ← s                          (t ≤ warmupSteps: the average follows the weights)
///     a ← lerp(a, s, w),  w = 1 − decay^everySteps   (later; torch.lerp: a + w·(s − a), one
///                                                    fused multiply-add, for w < 0.5)
///
/// so `decay` is the decay per optimiser step, as airbench's `decay_per_step` (the weight of
/// an update every k steps is computed in Double and rounded to float32 once). The buffers
/// (batch-norm running statistics) are averaged the same way, as
/// `torch.optim.swa_utils.AveragedModel(use_buffers=True)` does, rather than recomputed; a
/// count (a batch-norm's `batchesTracked`, an integer in PyTorch) is copied, as timm's
/// `ModelEmaV3` copies the tensors that are not floating point.
///
/// `AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))` updated after every step
/// copies the weights at its first update and then lerps with weight `1 − decay`: that is
/// `warmupSteps` 1, `everySteps` 1. The average starts as the weights it was made from.
public struct ExponentialMovingAverage {
    /// The decay per optimiser step, in [0, 1).
    public let decay: Double
    /// Steps through which the average copies the weights instead of averaging them.
    public let warmupSteps: Int
    /// Steps between updates (≥ 1).
    public let everySteps: Int
    /// The averaged tensors, paired by position with `sources`.
    public let averages: [NamedParameter]
    /// The live tensors they average.
    public let sources: [NamedParameter]

    /// Pairs `averages` with `sources` by position (the same names and shapes) and sets every
    /// average to its source.
    /// - Throws: `WeftError` when `decay` is outside [0, 1), `warmupSteps` is negative or
    ///   `everySteps` below 1.
    public init(
        decay: Double, warmupSteps: Int = 0, everySteps: Int = 1, averages: [NamedParameter],
        sources: [NamedParameter]
    ) throws {
        guard decay >= 0, decay < 1 else {
            throw WeftError("exponential moving average: decay must be in [0, 1), got \(decay).")
        }
        guard warmupSteps >= 0 else {
            throw WeftError("exponential moving average: warmupSteps must be ≥ 0, got \(warmupSteps).")
        }
        guard everySteps >= 1 else {
            throw WeftError("exponential moving average: everySteps must be ≥ 1, got \(everySteps).")
        }
        precondition(
            averages.count == sources.count,
            "ExponentialMovingAverage: \(averages.count) averages for \(sources.count) tensors")
        for (average, source) in zip(averages, sources) {
            precondition(
                average.name == source.name && average.tensor.shape == source.tensor.shape,
                "ExponentialMovingAverage: \(average.name) \(average.tensor.shape) paired with \(source.name) \(source.tensor.shape)"
            )
        }
        self.decay = decay
        self.warmupSteps = warmupSteps
        self.everySteps = everySteps
        self.averages = averages
        self.sources = sources
        copySources()
    }

    /// The weight of an update, `1 − decay^everySteps`, rounded to float32.
    public var updateWeight: Float { Float(1 - pow(decay, Double(everySteps))) }

    /// Updates the average after the optimiser's step `step` (1-based), if it is due.
    public func update(afterStep step: Int) {
        guard step % everySteps == 0 else { return }
        if step <= warmupSteps {
            copySources()
            return
        }
        // torch.lerp(a, s, w): a + w·(s − a) for |w| < 0.5, else s + (w − 1)·(s − a).
        let weight = updateWeight, weightIsSmall = weight < 0.5
        for (average, source) in zip(averages, sources) {
            let a = average.tensor.data, s = source.tensor.data
            if ExponentialMovingAverage.isCount(average.name) {
                a.update(from: s, count: source.tensor.count)
                continue
            }
            Parallel.forChunks(average.tensor.count, grain: 1 << 15) { range in
                for index in range {
                    let difference = s[index] - a[index]
                    a[index] =
                        weightIsSmall
                        ? a[index].addingProduct(weight, difference) : s[index].addingProduct(weight - 1, difference)
                }
            }
        }
    }

    /// Whether the tensor `name` is a count, copied rather than averaged.
    static func isCount(_ name: String) -> Bool {
        name == "batchesTracked" || name.hasSuffix(".batchesTracked")
    }

    /// Sets every average to its source.
    public func copySources() {
        for (average, source) in zip(averages, sources) {
            average.tensor.data.update(from: source.tensor.data, count: source.tensor.count)
        }
    }
}
