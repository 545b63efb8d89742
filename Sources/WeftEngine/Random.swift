import Foundation

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64) whose whole state
/// is four words that can be saved and restored, so a resumed run draws the same numbers.
public struct RandomGenerator: Sendable, Equatable {
    /// The generator's complete state.
    public private(set) var state: [UInt64]

    /// A generator seeded from one number; equal seeds give equal sequences.
    public init(seed: UInt64) {
        var mixer = seed
        state = (0..<4).map { _ in RandomGenerator.splitMix64(&mixer) }
    }

    /// A generator continuing from a saved `state` (four words, not all zero).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        self.state = state
    }

    private static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    private static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = RandomGenerator.rotate(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = RandomGenerator.rotate(state[3], 45)
        return result
    }

    /// A float uniform in `[0, 1)` with 24 random bits.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A double uniform in `[0, 1)` with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A float uniform in `[low, high)`.
    public mutating func nextFloat(in low: Float, _ high: Float) -> Float {
        low + (high - low) * nextFloat()
    }

    /// A standard normal sample (Box–Muller, one sample per call so the state stays simple).
    public mutating func nextNormal() -> Float {
        let u1 = 1.0 - nextDouble()  // (0, 1]
        let u2 = nextDouble()
        return Float((-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2))
    }

    /// An integer uniform in `0..<bound` (Lemire's method, unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "RandomGenerator.nextInt(below:): bound must be positive, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Shuffles `values` in place (Fisher–Yates).
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(index, nextInt(below: index + 1))
        }
    }
}
