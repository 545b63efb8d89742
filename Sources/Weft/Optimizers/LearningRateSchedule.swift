import Foundation

/// A learning rate as a pure function of the optimiser step, so resuming needs no schedule state.
///
/// `step` counts optimiser steps already taken (schedules advance once per batch): the rate for
/// the optimiser's next update is `learningRate(atStep: optimizer.stepCount, base:)`. That is
/// the value `scheduler.get_last_lr()` holds at the same point of PyTorch's usual loop
/// (`optimizer.step(); scheduler.step()` once per batch). The rates are computed in Double, as
/// PyTorch computes them in Python floats, then rounded to float32.
public enum LearningRateSchedule: Equatable, Sendable {
    /// The base rate at every step (PyTorch: no scheduler, or `LambdaLR(lambda step: 1)`;
    /// not `ConstantLR`, which scales the first steps by a factor).
    case constant

    /// `base · gamma^⌊step / stepSize⌋`, as `StepLR(step_size: stepSize, gamma:)`.
    case step(stepSize: Int, gamma: Double)

    /// `base · gamma^n`, n the number of milestones ≤ step (each repeated milestone counts), as
    /// `MultiStepLR(milestones:, gamma:)`. The order of the milestones does not matter.
    case multiStep(milestones: [Int], gamma: Double)

    /// A linear warm-up, then cosine annealing to `minimumLearningRate`:
    ///
    ///     base · (step + 1) / (warmupSteps + 1)                             step < warmupSteps
    ///     minimum + (base − minimum) · (1 + cos(π·k / T)) / 2, k = step − warmupSteps,
    ///                                   T = totalSteps − warmupSteps        warmupSteps ≤ step ≤ totalSteps
    ///     minimum                                                           step ≥ totalSteps
    ///
    /// Up to `totalSteps` this equals PyTorch's
    /// `SequentialLR(optimizer, [LinearLR(optimizer, start_factor=1/(warmupSteps+1), end_factor=1,
    /// total_iters=warmupSteps), CosineAnnealingLR(optimizer, T_max=totalSteps-warmupSteps,
    /// eta_min=minimumLearningRate)], milestones=[warmupSteps])`, or the `CosineAnnealingLR` alone
    /// when `warmupSteps` is 0. Warm-up thus starts at `base/(warmupSteps+1)`, not 0, so no step
    /// is wasted, and reaches `base` at step `warmupSteps`. Past `totalSteps` the rate stays at the
    /// minimum, where PyTorch's `CosineAnnealingLR` would climb back up its cosine.
    case cosine(totalSteps: Int, warmupSteps: Int, minimumLearningRate: Double)

    /// One-cycle: cosine warm-up from `maxLearningRate/divFactor` to `maxLearningRate` until step
    /// `percentStart·totalSteps − 1`, then cosine annealing to
    /// `maxLearningRate/(divFactor·finalDivFactor)` at step `totalSteps − 1`, as
    /// `OneCycleLR(max_lr=, total_steps=, pct_start=, div_factor=, final_div_factor=,
    /// anneal_strategy='cos', three_phase=False, cycle_momentum=False)`.
    ///
    /// The `base` rate is ignored (OneCycleLR overwrites the optimiser's rate). Past the last
    /// step the rate stays at its final value, where PyTorch extrapolates one step further and
    /// then raises. Only the learning rate follows the cycle: PyTorch's default
    /// `cycle_momentum=True` would also cycle SGD's momentum or Adam's β₁ between 0.95 and 0.85.
    case oneCycle(
        totalSteps: Int, maxLearningRate: Double, percentStart: Double = 0.3,
        divFactor: Double = 25, finalDivFactor: Double = 1e4)

    /// The learning rate for the optimiser update that follows `step` earlier updates.
    /// - Parameters:
    ///   - step: optimiser steps taken so far, ≥ 0.
    ///   - base: the optimiser's configured rate (ignored by `oneCycle`).
    /// - Precondition: the schedule is valid (`validate()` does not throw).
    public func learningRate(atStep step: Int, base: Float) -> Float {
        precondition(step >= 0, "LearningRateSchedule: step must be ≥ 0, got \(step)")
        let base = Double(base)
        switch self {
        case .constant:
            return Float(base)

        case let .step(stepSize, gamma):
            precondition(stepSize > 0, "LearningRateSchedule.step: step size must be positive, got \(stepSize)")
            return Float(base * pow(gamma, Double(step / stepSize)))

        case let .multiStep(milestones, gamma):
            let passed = milestones.reduce(0) { $0 + ($1 <= step ? 1 : 0) }
            return Float(base * pow(gamma, Double(passed)))

        case let .cosine(totalSteps, warmupSteps, minimum):
            precondition(
                totalSteps > 0 && warmupSteps >= 0,
                "LearningRateSchedule.cosine: needs totalSteps > 0 and warmupSteps ≥ 0")
            if step >= totalSteps { return Float(minimum) }
            if step < warmupSteps { return Float(base * Double(step + 1) / Double(warmupSteps + 1)) }
            let elapsed = Double(step - warmupSteps), period = Double(totalSteps - warmupSteps)
            return Float(minimum + (base - minimum) * (1 + cos(Double.pi * elapsed / period)) / 2)

        case let .oneCycle(totalSteps, maxLearningRate, percentStart, divFactor, finalDivFactor):
            precondition(
                totalSteps > 0, "LearningRateSchedule.oneCycle: total steps must be positive, got \(totalSteps)")
            let initial = maxLearningRate / divFactor, minimum = initial / finalDivFactor
            let last = Double(totalSteps - 1)
            let current = Double(min(step, totalSteps - 1))
            let warmupEnd = percentStart * Double(totalSteps) - 1
            if current <= warmupEnd {
                return Float(Self.cosineAnneal(from: initial, to: maxLearningRate, fraction: current, of: warmupEnd))
            }
            return Float(
                Self.cosineAnneal(
                    from: maxLearningRate, to: minimum, fraction: current - warmupEnd, of: last - warmupEnd))
        }
    }

    /// Checks the parameters: positive step size and total steps, warm-up within the total,
    /// finite non-negative rates and factors, `percentStart` in [0, 1].
    /// - Throws: `WeftError` naming the first bad parameter.
    public func validate() throws {
        func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw WeftError(message()) }
        }
        switch self {
        case .constant:
            break
        case let .step(stepSize, gamma):
            try require(stepSize > 0, "step schedule: stepSize must be a positive integer, got \(stepSize).")
            try require(gamma.isFinite && gamma >= 0, "step schedule: gamma must be a finite number ≥ 0, got \(gamma).")
        case let .multiStep(milestones, gamma):
            try require(
                milestones.allSatisfy { $0 >= 0 },
                "multiStep schedule: milestones must be steps ≥ 0, got \(milestones).")
            try require(
                gamma.isFinite && gamma >= 0, "multiStep schedule: gamma must be a finite number ≥ 0, got \(gamma).")
        case let .cosine(totalSteps, warmupSteps, minimum):
            try require(totalSteps > 0, "cosine schedule: totalSteps must be a positive integer, got \(totalSteps).")
            try require(
                warmupSteps >= 0 && warmupSteps <= totalSteps,
                "cosine schedule: warmupSteps must be between 0 and totalSteps (\(totalSteps)), got \(warmupSteps).")
            try require(
                minimum.isFinite && minimum >= 0,
                "cosine schedule: minimumLearningRate must be a finite number ≥ 0, got \(minimum).")
        case let .oneCycle(totalSteps, maxLearningRate, percentStart, divFactor, finalDivFactor):
            try require(totalSteps > 0, "oneCycle schedule: totalSteps must be a positive integer, got \(totalSteps).")
            try require(
                maxLearningRate.isFinite && maxLearningRate > 0,
                "oneCycle schedule: maxLearningRate must be a finite number > 0, got \(maxLearningRate).")
            try require(
                percentStart >= 0 && percentStart <= 1,
                "oneCycle schedule: percentStart must be in [0, 1], got \(percentStart).")
            try require(
                divFactor.isFinite && divFactor > 0,
                "oneCycle schedule: divFactor must be a finite number > 0, got \(divFactor).")
            try require(
                finalDivFactor.isFinite && finalDivFactor > 0,
                "oneCycle schedule: finalDivFactor must be a finite number > 0, got \(finalDivFactor).")
        }
    }

    /// OneCycleLR's `_annealing_cos`: `end + (start − end)/2 · (cos(π·fraction) + 1)`, with the
    /// fraction `elapsed / length` (taken as 1 for a phase of zero length, where PyTorch divides by 0).
    private static func cosineAnneal(from start: Double, to end: Double, fraction elapsed: Double, of length: Double)
        -> Double
    {
        let fraction = length == 0 ? 1 : elapsed / length
        return end + (start - end) / 2 * (cos(Double.pi * fraction) + 1)
    }
}
