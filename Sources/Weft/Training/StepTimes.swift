import Dispatch

/// Seconds spent in each phase of a training step.
public struct StepTimes: Equatable, Sendable {
    public var forward: Double = 0
    public var backward: Double = 0
    public var optimizer: Double = 0
    /// The gradient allreduce of a data-parallel run.
    public var communication: Double = 0
}

/// A stopwatch that returns the seconds since its last lap.
struct StepClock {
    private var last = DispatchTime.now().uptimeNanoseconds

    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e9
    }
}
