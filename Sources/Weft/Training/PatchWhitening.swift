import WeftEngine

/// The patch-whitening initialisation of a model's first convolution (`"initialization":
/// "whitening"`), as airbench's `init_whitening_conv` (Keller Jordan, arXiv 2404.00498):
/// the `k×k` patches of the normalised training images, at every position where the kernel fits
/// (stride 1, no padding), give the second-moment matrix `Σ = (1/n) Σ p pᵀ` (`[d, d]`, `d =
/// C·k·k`, not centred, as airbench); its eigenvectors `v_i`, scaled by `1/√(λ_i + ε)`, become
/// filters `0..<d` (largest eigenvalue first) and their negatives filters `d..<2d`. The layer's
/// output is then the input's patches in a decorrelated basis, in both signs (so a ReLU after it
/// keeps all of it). The bias keeps its drawn values.
///
/// At most the first `maximumImages` training images (in the split's order) are read, fewer when
/// the sum would pass `multiplyAddBudget`, without augmentation, in float64; eigenvectors have their largest-magnitude component positive
/// (`SymmetricEigen`), so the filters are the same on every machine and rank.
public struct PatchWhitening: Sendable {
    /// airbench's 5,000 images: the covariance of 3.4 million 3×3 patches of Fashion-MNIST.
    public static let maximumImages = 5000
    /// The multiply-adds the sum may take (about half a second): large patches or images read
    /// fewer than `maximumImages` images, whole rows of patches, never fewer than `4d` patches.
    public static let multiplyAddBudget = 400_000_000
    /// `[d, d]` row-major, `d = C·k·k` in the weight's `[C, k, k]` order.
    public let secondMoments: [Double]
    /// Of `secondMoments`.
    public let eigen: SymmetricEigen
    /// The number of patches averaged.
    public let patchCount: Int
    /// `d`.
    public let patchSize: Int

    /// - Parameters:
    ///   - dataset: the training images, `[C, H, W]` bytes each.
    ///   - indices: the training split; its first `maximumImages` are read.
    ///   - normalization: the model input's normalisation.
    ///   - kernel: `k`, at most the images' height and width.
    ///   - source: the config's file, named in errors.
    public init(
        dataset: ImageDataset, indices: [Int], normalization: Normalization, kernel: Int, source: String
    ) throws {
        let (channels, height, width) = (dataset.channels, dataset.height, dataset.width)
        guard kernel <= height, kernel <= width else {
            throw WeftError(
                "\(source): model.layers[0].kernel: patch whitening needs a kernel no larger than the \(height)×\(width) images, got \(kernel)"
            )
        }
        let used = Array(indices.prefix(PatchWhitening.maximumImages))
        guard !used.isEmpty else {
            throw WeftError(
                "\(source): model.layers[0]: patch whitening needs training images, the training split is empty")
        }
        let d = channels * kernel * kernel
        let tables = (0..<channels).map { normalization.table(channel: $0).map(Double.init) }
        let (rows, columns) = (height - kernel + 1, width - kernel + 1)
        var sums = [Double](repeating: 0, count: d * d)
        var image = [Double](repeating: 0, count: channels * height * width)
        var patch = [Double](repeating: 0, count: d)
        let patchLimit = max(4 * d, PatchWhitening.multiplyAddBudget / (d * (d + 1) / 2))
        var count = 0
        images: for index in used {
            let bytes = dataset.imageBytes(at: index), plane = height * width
            for channel in 0..<channels {
                let start = bytes.startIndex + channel * plane
                for pixel in 0..<plane { image[channel * plane + pixel] = tables[channel][Int(bytes[start + pixel])] }
            }
            for y in 0..<rows {
                if count >= patchLimit { break images }
                count += columns
                for x in 0..<columns {
                    var slot = 0
                    for channel in 0..<channels {
                        for i in 0..<kernel {
                            let start = (channel * height + y + i) * width + x
                            for j in 0..<kernel {
                                patch[slot] = image[start + j]
                                slot += 1
                            }
                        }
                    }
                    for a in 0..<d {
                        let value = patch[a]
                        for b in a..<d { sums[a * d + b] += value * patch[b] }
                    }
                }
            }
        }
        for a in 0..<d {
            for b in a..<d {
                sums[a * d + b] /= Double(count)
                sums[b * d + a] = sums[a * d + b]
            }
        }
        guard let eigen = SymmetricEigen(matrix: sums, n: d) else {
            throw WeftError(
                "\(source): model.layers[0]: the eigendecomposition of the training patches' covariance did not converge; use \"initialization\": \"default\""
            )
        }
        secondMoments = sums
        self.eigen = eigen
        patchCount = count
        patchSize = d
    }

    /// The filters, `[2d, C, k, k]` row-major: `v_i / √(λ_i + ε)` for `i < d`, then their
    /// negatives. Eigenvalues below 0 (rounding of a singular covariance) count as 0.
    public func filters(epsilon: Double) -> [Float] {
        let d = patchSize
        var weights = [Float](repeating: 0, count: 2 * d * d)
        for i in 0..<d {
            let scale = 1 / (max(eigen.values[i], 0) + epsilon).squareRoot()
            for j in 0..<d {
                let value = Float(eigen.vectors[i * d + j] * scale)
                weights[i * d + j] = value
                weights[(d + i) * d + j] = -value
            }
        }
        return weights
    }
}
