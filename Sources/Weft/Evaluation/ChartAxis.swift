import Foundation

/// A linear chart axis: a range widened to "nice" round ticks (1, 2, 2.5 or 5 × 10ⁿ) and the
/// labels of those ticks.
public struct ChartAxis: Equatable, Sendable {
    /// The range the axis shows; the first and last ticks lie on it.
    public let minimum: Double
    public let maximum: Double
    /// Tick values from `minimum` to `maximum`, evenly spaced.
    public let ticks: [Double]
    /// The spacing of `ticks`.
    public let step: Double

    /// An axis covering `low...high` with about `tickCount` ticks. An empty range is widened
    /// around its value; `integers` keeps the step at 1 or more (epochs).
    public init(low: Double, high: Double, tickCount: Int = 5, integers: Bool = false) {
        var low = low.isFinite ? low : 0, high = high.isFinite ? high : 1
        if low > high { swap(&low, &high) }
        if high - low < 1e-12 * max(abs(low), abs(high), 1) {
            let pad = integers ? 1 : max(abs(low) * 0.1, 1e-3)
            low -= pad
            high += pad
        }
        let rough = (high - low) / Double(max(tickCount - 1, 1))
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let fraction = rough / magnitude
        var step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10) * magnitude
        if integers { step = max(1, step.rounded(.up)) }
        let first = (low / step + 1e-9).rounded(.down) * step
        let last = (high / step - 1e-9).rounded(.up) * step
        let count = Int(((last - first) / step).rounded())
        minimum = first
        maximum = last
        self.step = step
        ticks = (0...count).map { first + Double($0) * step }
    }

    /// Where `value` falls between `start` (at `minimum`) and `end` (at `maximum`).
    public func position(_ value: Double, from start: Double, to end: Double) -> Double {
        start + (value - minimum) / (maximum - minimum) * (end - start)
    }

    /// A tick label with as many decimals as the step needs (`0.0005`, `2.5`, `40`), or
    /// scientific notation for very small or large steps.
    public func label(_ value: Double) -> String {
        if abs(value) < step * 1e-6 { return "0" }
        if step < 1e-4 || abs(value) >= 1e7 { return String(format: "%.1e", value) }
        var decimals = 0
        while decimals < 8,
            abs((step * pow(10, Double(decimals))).rounded() - step * pow(10, Double(decimals))) > 1e-6
                * pow(10, Double(decimals)) * step
        {
            decimals += 1
        }
        return String(format: "%.\(decimals)f", value)
    }
}
