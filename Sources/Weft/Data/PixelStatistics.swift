/// Class counts and pixel statistics (in pixel/255 units) of a set of images: what
/// `weft data` prints and what the normalisation of a run is computed from.
///
/// Sums are exact integers (bytes and their squares), so the result does not depend on the
/// order or the thread count; the mean and the population standard deviation (divisor `n`, as
/// NumPy's `std()`) are then computed in Double. Over Fashion-MNIST's 47 million training
/// pixels the population and the sample deviation (PyTorch's `Tensor.std()`) agree to 1e-8.
public struct PixelStatistics: Sendable, Equatable {
    /// The number of images.
    public let imageCount: Int
    /// Images per class, `[classCount]`.
    public let classCounts: [Int]
    /// The mean of each channel over all its pixels, `[C]`, in `[0, 1]`.
    public let channelMeans: [Double]
    /// The standard deviation of each channel, `[C]`.
    public let channelStandardDeviations: [Double]
    /// The mean over every pixel of every channel.
    public let mean: Double
    /// The standard deviation over every pixel of every channel.
    public let standardDeviation: Double

    /// The statistics of `dataset`'s images at `indices` (all images when nil).
    public init(dataset: ImageDataset, indices: [Int]? = nil) {
        let chosen = indices ?? Array(0..<dataset.count)
        let channels = dataset.channels
        let plane = dataset.height * dataset.width
        let imageBytes = dataset.imageByteCount
        // [threads][C] partial sums of x and x², each thread over a fixed range of images.
        let chunkCount = max(1, min(Parallel.threadCount, chosen.count / 256))
        var sums = [[UInt64]](repeating: [UInt64](repeating: 0, count: 2 * channels), count: chunkCount)
        dataset.images.withUnsafeBufferPointer { pixels in
            chosen.withUnsafeBufferPointer { selected in
                sums.withUnsafeMutableBufferPointer { partials in
                    Parallel.forEach(chunkCount) { chunk in
                        var local = [UInt64](repeating: 0, count: 2 * channels)
                        let range = (chunk * selected.count / chunkCount)..<((chunk + 1) * selected.count / chunkCount)
                        for position in range {
                            let image = selected[position] * imageBytes
                            for channel in 0..<channels {
                                var sum: UInt64 = 0, squares: UInt64 = 0
                                let start = image + channel * plane
                                for offset in start..<(start + plane) {
                                    let value = UInt64(pixels[offset])
                                    sum &+= value
                                    squares &+= value &* value
                                }
                                local[2 * channel] &+= sum
                                local[2 * channel + 1] &+= squares
                            }
                        }
                        partials[chunk] = local
                    }
                }
            }
        }
        var totals = [UInt64](repeating: 0, count: 2 * channels)
        for partial in sums {
            for slot in 0..<totals.count { totals[slot] &+= partial[slot] }
        }

        func moments(sum: Double, squares: Double, samples: Double) -> (mean: Double, deviation: Double) {
            guard samples > 0 else { return (0, 0) }
            let mean = sum / samples
            let variance = max(0, squares / samples - mean * mean)
            return (mean / 255, variance.squareRoot() / 255)
        }
        let samplesPerChannel = Double(chosen.count * plane)
        var means = [Double](), deviations = [Double]()
        for channel in 0..<channels {
            let result = moments(
                sum: Double(totals[2 * channel]), squares: Double(totals[2 * channel + 1]),
                samples: samplesPerChannel)
            means.append(result.mean)
            deviations.append(result.deviation)
        }
        let overall = moments(
            sum: Double(stride(from: 0, to: totals.count, by: 2).reduce(UInt64(0)) { $0 &+ totals[$1] }),
            squares: Double(stride(from: 1, to: totals.count, by: 2).reduce(UInt64(0)) { $0 &+ totals[$1] }),
            samples: samplesPerChannel * Double(channels))
        imageCount = chosen.count
        classCounts = dataset.classCounts(indices: indices)
        channelMeans = means
        channelStandardDeviations = deviations
        mean = overall.mean
        standardDeviation = overall.deviation
    }
}
