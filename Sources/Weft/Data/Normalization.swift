/// Per-channel normalisation of byte pixels: `(x/255 - mean) / standardDeviation`, computed in
/// float32 in that order, as `torchvision.transforms.ToTensor()` followed by
/// `Normalize(mean, std)` computes it (bit for bit).
public struct Normalization: Sendable, Equatable, Codable {
    /// The mean per channel in pixel/255 units, `[C]` (or one value for every channel).
    public var mean: [Float]
    /// The standard deviation per channel in pixel/255 units, `[C]` (or one value), all positive.
    public var standardDeviation: [Float]

    /// The same mean and deviation for every channel.
    public init(mean: Float, standardDeviation: Float) {
        self.init(mean: [mean], standardDeviation: [standardDeviation])
    }

    /// A mean and deviation per channel (or one value each for every channel).
    public init(mean: [Float], standardDeviation: [Float]) {
        precondition(
            !mean.isEmpty && mean.count == standardDeviation.count,
            "Normalization: \(mean.count) means for \(standardDeviation.count) deviations")
        precondition(
            standardDeviation.allSatisfy { $0 > 0 },
            "Normalization: deviations must be positive, got \(standardDeviation)")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The per-channel statistics of a set of images (see `PixelStatistics`).
    public init(statistics: PixelStatistics) {
        self.init(
            mean: statistics.channelMeans.map(Float.init),
            standardDeviation: statistics.channelStandardDeviations.map { Float(max($0, 1e-6)) })
    }

    /// No change but the scaling to `[0, 1]`: mean 0, deviation 1.
    public static let unit = Normalization(mean: 0, standardDeviation: 1)

    /// The normalised value of every byte for `channel`, `[256]`.
    public func table(channel: Int) -> [Float] {
        let slot = mean.count == 1 ? 0 : channel
        let channelMean = mean[slot], deviation = standardDeviation[slot]
        return (0..<256).map { byte in (Float(byte) / 255 - channelMean) / deviation }
    }

    /// Whether it fits images of `channels` channels (one value, or one per channel).
    public func fits(channels: Int) -> Bool {
        mean.count == 1 || mean.count == channels
    }
}
