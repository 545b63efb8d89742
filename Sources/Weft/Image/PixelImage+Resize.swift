extension PixelImage {
    /// The image resampled to `width` × `height` by area averaging: each output pixel is the
    /// mean of the source area it covers, partly covered source pixels weighted by the covered
    /// fraction (PIL's `Image.resize(size, Image.BOX)`, OpenCV's `INTER_AREA` when shrinking).
    /// Shrinking averages every source pixel (no aliasing); enlarging repeats pixels (blocks).
    /// Computed in Double, rounded to the nearest byte; the same size is returned unchanged.
    public func resized(width newWidth: Int, height newHeight: Int) -> PixelImage {
        precondition(
            newWidth > 0 && newHeight > 0, "PixelImage.resized: size \(newWidth)×\(newHeight) must be positive")
        if newWidth == width && newHeight == height { return self }
        let columns = PixelImage.areaWeights(from: width, to: newWidth)
        let rows = PixelImage.areaWeights(from: height, to: newHeight)
        // Horizontal pass: [height, newWidth, channels].
        var horizontal = [Double](repeating: 0, count: height * newWidth * channels)
        for row in 0..<height {
            for (column, weights) in columns.enumerated() {
                for channel in 0..<channels {
                    var sum = 0.0
                    for (source, weight) in weights {
                        sum += weight * Double(pixels[(row * width + source) * channels + channel])
                    }
                    horizontal[(row * newWidth + column) * channels + channel] = sum
                }
            }
        }
        // Vertical pass: [newHeight, newWidth, channels].
        var result = [UInt8](repeating: 0, count: newHeight * newWidth * channels)
        for (row, weights) in rows.enumerated() {
            for column in 0..<newWidth {
                for channel in 0..<channels {
                    var sum = 0.0
                    for (source, weight) in weights {
                        sum += weight * horizontal[(source * newWidth + column) * channels + channel]
                    }
                    result[(row * newWidth + column) * channels + channel] = UInt8(min(255, max(0, sum.rounded())))
                }
            }
        }
        return PixelImage(width: newWidth, height: newHeight, channels: channels, pixels: result)
    }

    /// For each of `outputCount` cells, the source indices it overlaps and their weights
    /// (covered length over the cell's length, summing to 1).
    public static func areaWeights(from inputCount: Int, to outputCount: Int) -> [[(Int, Double)]] {
        let scale = Double(inputCount) / Double(outputCount)
        return (0..<outputCount).map { cell in
            let begin = Double(cell) * scale, end = Double(cell + 1) * scale
            var weights: [(Int, Double)] = []
            var source = Int(begin.rounded(.down))
            while source < inputCount, Double(source) < end {
                let overlap = min(end, Double(source + 1)) - max(begin, Double(source))
                if overlap > 1e-12 { weights.append((source, overlap / scale)) }
                source += 1
            }
            return weights
        }
    }

    /// The image with every sample `s` replaced by `255 - s`.
    public var inverted: PixelImage {
        PixelImage(width: width, height: height, channels: channels, pixels: pixels.map { 255 - $0 })
    }

    /// The mean sample (0...255) of the outermost ring of pixels, over all channels.
    public var borderMean: Double {
        var sum = 0, count = 0
        for row in 0..<height {
            for column in 0..<width where row == 0 || row == height - 1 || column == 0 || column == width - 1 {
                for channel in 0..<channels {
                    sum += Int(pixels[(row * width + column) * channels + channel])
                    count += 1
                }
            }
        }
        return Double(sum) / Double(max(count, 1))
    }
}
