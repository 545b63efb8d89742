/// Sums over float32 rows in SIMD lanes. A plain `sum += x[i]` loop cannot be vectorised (float
/// addition is not associative, so the compiler keeps the serial order and waits on every add);
/// these keep 16 running sums and combine them at the end, in a fixed order, so results are the
/// same on every run.
public enum VectorReduction {
    public typealias Lanes = SIMD16<Float>

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
    }

    /// `Σ x[i]` over `count` elements.
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = Lanes()
        var index = 0
        while index + Lanes.scalarCount <= count {
            lanes += load(x + index)
            index += Lanes.scalarCount
        }
        var total = lanes.sum()
        while index < count { total += x[index]; index += 1 }
        return total
    }

    /// Whether all `count` elements are finite: `x * 0` is NaN exactly when `x` is infinite or
    /// NaN (and never overflows, as a plain sum could), and NaN survives the sum.
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var lanes = Lanes()
        var index = 0
        while index + Lanes.scalarCount <= count {
            lanes += load(x + index) * 0
            index += Lanes.scalarCount
        }
        var total = lanes.sum()
        while index < count { total += x[index] * 0; index += 1 }
        return total.isFinite
    }

    /// `Σ (x[i] - center)²` over `count` elements.
    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int, center: Float) -> Float {
        var lanes = Lanes()
        let shift = Lanes(repeating: center)
        var index = 0
        while index + Lanes.scalarCount <= count {
            let d = load(x + index) - shift
            lanes += d * d
            index += Lanes.scalarCount
        }
        var total = lanes.sum()
        while index < count { let d = x[index] - center; total += d * d; index += 1 }
        return total
    }

    /// `(Σ y[i], Σ y[i]·(x[i] - center))` over `count` elements.
    @inline(__always)
    public static func sumAndCenteredDot(
        _ y: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int,
        center: Float
    ) -> (sum: Float, dot: Float) {
        var sums = Lanes(), dots = Lanes()
        let shift = Lanes(repeating: center)
        var index = 0
        while index + Lanes.scalarCount <= count {
            let dy = load(y + index)
            sums += dy
            dots += dy * (load(x + index) - shift)
            index += Lanes.scalarCount
        }
        var sum = sums.sum(), dot = dots.sum()
        while index < count { sum += y[index]; dot += y[index] * (x[index] - center); index += 1 }
        return (sum, dot)
    }

    /// `sumAndCenteredDot` with `y[i]` taken as 0 wherever `mask[i] <= 0` (a ReLU's output).
    @inline(__always)
    public static func sumAndCenteredDot(
        _ y: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
        where mask: UnsafePointer<Float>, count: Int,
        center: Float
    ) -> (sum: Float, dot: Float) {
        var sums = Lanes(), dots = Lanes()
        let shift = Lanes(repeating: center)
        var index = 0
        while index + Lanes.scalarCount <= count {
            let dy = Lanes.zero.replacing(with: load(y + index), where: load(mask + index) .> 0)
            sums += dy
            dots += dy * (load(x + index) - shift)
            index += Lanes.scalarCount
        }
        var sum = sums.sum(), dot = dots.sum()
        while index < count {
            let dy = mask[index] > 0 ? y[index] : 0
            sum += dy
            dot += dy * (x[index] - center)
            index += 1
        }
        return (sum, dot)
    }
}
