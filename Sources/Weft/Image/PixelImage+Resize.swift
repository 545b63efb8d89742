extension PixelImage {
    /// How one axis is resampled: `box` averages the source area each output pixel covers
    /// (PIL's `Image.BOX`), `triangle` interpolates linearly (PIL's `Image.BILINEAR`).
    public enum ResampleFilter: Sendable {
        case box
        case triangle

        /// Half the filter's width, in source pixels at scale 1.
        var support: Double {
            switch self {
            case .box: return 0.5
            case .triangle: return 1
            }
        }

        func weight(_ x: Double) -> Double {
            switch self {
            case .box: return x > -0.5 && x <= 0.5 ? 1 : 0
            case .triangle: return max(0, 1 - abs(x))
            }
        }
    }

    /// The image resampled to `width` × `height` by area averaging (PIL's
    /// `Image.resize(size, Image.BOX)` bit for bit; OpenCV's `INTER_AREA` when shrinking):
    /// shrinking averages every source pixel (no aliasing), enlarging repeats pixels.
    public func resized(width newWidth: Int, height newHeight: Int) -> PixelImage {
        resampled(width: newWidth, height: newHeight, horizontal: .box, vertical: .box)
    }

    /// The image resampled to `width` × `height` the way datasets are: each axis that shrinks
    /// is area-averaged (`.box`), each axis that grows is interpolated bilinearly (`.triangle`).
    public func scaled(width newWidth: Int, height newHeight: Int) -> PixelImage {
        resampled(
            width: newWidth, height: newHeight,
            horizontal: newWidth < width ? .box : .triangle, vertical: newHeight < height ? .box : .triangle)
    }

    /// The centred part of the image with the aspect ratio `width` : `height`, as large as fits
    /// (`data.resize: "centerCrop"` crops so before it resizes). Odd leftovers go right and down.
    public func centerCropped(toAspect targetWidth: Int, _ targetHeight: Int) -> PixelImage {
        precondition(targetWidth > 0 && targetHeight > 0, "PixelImage.centerCropped: aspect must be positive")
        var cropWidth = width, cropHeight = height
        if width * targetHeight > height * targetWidth {
            cropWidth = max(1, (height * targetWidth + targetHeight / 2) / targetHeight)
        } else {
            cropHeight = max(1, (width * targetHeight + targetWidth / 2) / targetWidth)
        }
        if cropWidth == width && cropHeight == height { return self }
        let left = (width - cropWidth) / 2, top = (height - cropHeight) / 2
        var result = [UInt8]()
        result.reserveCapacity(cropWidth * cropHeight * channels)
        for row in top..<(top + cropHeight) {
            let start = (row * width + left) * channels
            result.append(contentsOf: pixels[start..<(start + cropWidth * channels)])
        }
        return PixelImage(width: cropWidth, height: cropHeight, channels: channels, pixels: result)
    }

    /// The image resampled to `width` × `height` with a filter per axis, computed as Pillow's
    /// `ImagingResample` computes 8-bit images (bit for bit): a horizontal pass into an 8-bit
    /// image, then a vertical pass, each with fixed-point weights of 22 fractional bits.
    /// The same size is returned unchanged.
    public func resampled(
        width newWidth: Int, height newHeight: Int, horizontal: ResampleFilter, vertical: ResampleFilter
    ) -> PixelImage {
        precondition(
            newWidth > 0 && newHeight > 0, "PixelImage.resized: size \(newWidth)×\(newHeight) must be positive")
        var image = self
        if newWidth != width {
            let weights = PixelImage.resampleWeights(from: width, to: newWidth, filter: horizontal)
            var result = [UInt8](repeating: 0, count: height * newWidth * channels)
            for row in 0..<height {
                for (column, cell) in weights.enumerated() {
                    for channel in 0..<channels {
                        var sum = PixelImage.roundingHalf
                        for (offset, weight) in cell.weights.enumerated() {
                            sum += Int(pixels[(row * width + cell.first + offset) * channels + channel]) * weight
                        }
                        result[(row * newWidth + column) * channels + channel] = PixelImage.clipped(sum)
                    }
                }
            }
            image = PixelImage(width: newWidth, height: height, channels: channels, pixels: result)
        }
        if newHeight != height {
            let weights = PixelImage.resampleWeights(from: height, to: newHeight, filter: vertical)
            let rowLength = newWidth * channels
            var result = [UInt8](repeating: 0, count: newHeight * rowLength)
            for (row, cell) in weights.enumerated() {
                for sample in 0..<rowLength {
                    var sum = PixelImage.roundingHalf
                    for (offset, weight) in cell.weights.enumerated() {
                        sum += Int(image.pixels[(cell.first + offset) * rowLength + sample]) * weight
                    }
                    result[row * rowLength + sample] = PixelImage.clipped(sum)
                }
            }
            image = PixelImage(width: newWidth, height: newHeight, channels: channels, pixels: result)
        }
        return image
    }

    /// Fixed-point fraction bits of the weights (Pillow's `PRECISION_BITS`, 32 - 8 - 2).
    static let precisionBits = 22
    static let roundingHalf = 1 << (precisionBits - 1)

    static func clipped(_ sum: Int) -> UInt8 {
        UInt8(clamping: sum >> precisionBits)
    }

    /// For each of `outputCount` cells, the first source index it reads and the fixed-point
    /// weights of the sources from there on (Pillow's `precompute_coeffs` and
    /// `normalize_coeffs_8bpc`).
    static func resampleWeights(
        from inputCount: Int, to outputCount: Int, filter: ResampleFilter
    ) -> [(first: Int, weights: [Int])] {
        let scale = Double(inputCount) / Double(outputCount)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        return (0..<outputCount).map { cell in
            let center = (Double(cell) + 0.5) * scale
            let first = max(0, Int(center - support + 0.5))
            let last = min(inputCount, Int(center + support + 0.5))
            var weights = (first..<last).map { filter.weight((Double($0) - center + 0.5) / filterScale) }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            let fixed = weights.map { weight in
                Int(weight * Double(1 << precisionBits) + (weight < 0 ? -0.5 : 0.5))
            }
            return (first, fixed)
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
