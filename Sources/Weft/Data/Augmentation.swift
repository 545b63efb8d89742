import Foundation

/// Which random augmentations a training run applies to each image, in torchvision's order:
///
///     RandomCrop(size: H×W, padding: randomCropPadding)    on bytes
///     RandomHorizontalFlip(p: 0.5)                          on bytes
///     ToTensor(), Normalize(mean, std)
///     RandomErasing(p: randomErasing, scale: (0.02, 0.33), ratio: (0.3, 3.3), value: 0)
///
/// Random erasing runs after normalisation, as in torchvision, so the erased rectangle holds the
/// normalised 0 — the dataset mean in pixel space — not black.
///
/// Values are taken as given (a padding of 0 or nil is no crop, a probability of 0 or nil no
/// erasing); the config layer checks ranges and reports them against the config file.
public struct AugmentationSettings: Equatable, Sendable {
    /// Pad each side with this many zero pixels, then crop back to the original size at a random
    /// offset; nil for no crop.
    public var randomCropPadding: Int?
    /// Mirror left to right with probability 0.5.
    public var horizontalFlip: Bool
    /// Mirror every image on alternate epochs instead (airbench's alternating flip): image `i`
    /// is mirrored in epoch `e` when `(b(i) + e)` is odd, `b(i)` a seeded random bit of the
    /// image (`BatchLoader.alternatingFlip`). Each image is seen both ways in any two epochs
    /// running, half of them mirrored in each. Takes no random number from the generator.
    public var alternatingFlip: Bool
    /// The probability of erasing a random rectangle; nil for no erasing.
    public var randomErasing: Float?

    public init(
        randomCropPadding: Int? = nil, horizontalFlip: Bool = false, randomErasing: Float? = nil,
        alternatingFlip: Bool = false
    ) {
        self.randomCropPadding = randomCropPadding
        self.horizontalFlip = horizontalFlip
        self.alternatingFlip = alternatingFlip
        self.randomErasing = randomErasing
    }

    /// No augmentation.
    public static let none = AugmentationSettings()

    /// Whether no augmentation is applied.
    public var isNone: Bool {
        (randomCropPadding ?? 0) == 0 && !horizontalFlip && !alternatingFlip && (randomErasing ?? 0) == 0
    }
}

/// The random choices of the augmentations for one image: drawn in sequence from one generator
/// (so they do not depend on threads), then applied to the image anywhere.
public struct ImageAugmentation: Equatable, Sendable {
    /// A rectangle of an image: rows `top..<top+height`, columns `left..<left+width`.
    public struct Rectangle: Equatable, Sendable {
        public var top: Int, left: Int, height: Int, width: Int

        public init(top: Int, left: Int, height: Int, width: Int) {
            self.top = top
            self.left = left
            self.height = height
            self.width = width
        }
    }

    /// The crop's shift: output pixel `(y, x)` is input pixel `(y + rowShift, x + columnShift)`
    /// before the flip (zero outside the image). In `-padding...padding`.
    public var rowShift: Int
    /// See `rowShift`.
    public var columnShift: Int
    /// Whether the cropped image is mirrored left to right.
    public var flipped: Bool
    /// The rectangle set to the normalised 0 after normalisation, if any.
    public var erased: Rectangle?

    public init(rowShift: Int = 0, columnShift: Int = 0, flipped: Bool = false, erased: Rectangle? = nil) {
        self.rowShift = rowShift
        self.columnShift = columnShift
        self.flipped = flipped
        self.erased = erased
    }

    /// No change.
    public static let identity = ImageAugmentation()

    /// Whether the pixels move (crop or flip); erasing aside.
    public var movesPixels: Bool { rowShift != 0 || columnShift != 0 || flipped }

    /// Draws the choices for one `height × width` image from `generator`, in torchvision's order:
    /// crop offsets (row, then column, each uniform in `0...2·padding`), the flip (`u < 0.5`;
    /// not drawn for `alternatingFlip`, which `BatchLoader` sets), then erasing (`u < p`, then up to 10 attempts of torchvision's `RandomErasing.get_params`).
    public static func draw(
        settings: AugmentationSettings, height: Int, width: Int,
        using generator: inout RandomGenerator
    ) -> ImageAugmentation {
        var result = ImageAugmentation.identity
        if let padding = settings.randomCropPadding, padding > 0 {
            result.rowShift = generator.nextInt(below: 2 * padding + 1) - padding
            result.columnShift = generator.nextInt(below: 2 * padding + 1) - padding
        }
        if settings.horizontalFlip {
            result.flipped = generator.nextFloat() < 0.5
        }
        if let probability = settings.randomErasing, probability > 0, generator.nextFloat() < probability {
            result.erased = erasingRectangle(height: height, width: width, using: &generator)
        }
        return result
    }

    /// torchvision's `RandomErasing.get_params` with scale (0.02, 0.33) and ratio (0.3, 3.3):
    /// up to 10 tries of a target area and a log-uniform aspect ratio; nil (no erasing, as
    /// torchvision returns the image unchanged) when none fits.
    static func erasingRectangle(height: Int, width: Int, using generator: inout RandomGenerator) -> Rectangle? {
        let area = Double(height * width)
        let logRatio = (low: log(Float(0.3)), high: log(Float(3.3)))
        for _ in 0..<10 {
            let erasedArea = area * Double(generator.nextFloat(in: 0.02, 0.33))
            let aspectRatio = Double(exp(generator.nextFloat(in: logRatio.low, logRatio.high)))
            let rows = Int((erasedArea * aspectRatio).squareRoot().rounded(.toNearestOrEven))
            let columns = Int((erasedArea / aspectRatio).squareRoot().rounded(.toNearestOrEven))
            guard rows < height, columns < width else { continue }
            let top = generator.nextInt(below: height - rows + 1)
            let left = generator.nextInt(below: width - columns + 1)
            return Rectangle(top: top, left: left, height: rows, width: columns)
        }
        return nil
    }

    /// The crop and flip applied to the bytes of one image, `[C, H, W]` → `[C, H, W]`; pixels
    /// shifted in from outside are 0 (torchvision's zero padding). Erasing is not applied here:
    /// it belongs to the normalised floats (`eraseNormalized`).
    public func movedBytes(_ image: ArraySlice<UInt8>, channels: Int, height: Int, width: Int) -> [UInt8] {
        precondition(
            image.count == channels * height * width,
            "ImageAugmentation: \(image.count) bytes are not \(channels)×\(height)×\(width)")
        var result = [UInt8](repeating: 0, count: image.count)
        image.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { destination in
                for channel in 0..<channels {
                    let plane = channel * height * width
                    for row in 0..<height {
                        for column in 0..<width {
                            if let offset = sourceOffset(row: row, column: column, height: height, width: width) {
                                destination[plane + row * width + column] = source[plane + offset]
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Where output pixel `(row, column)` comes from within its channel plane, or nil for the
    /// zero padding.
    @inline(__always)
    public func sourceOffset(row: Int, column: Int, height: Int, width: Int) -> Int? {
        let sourceRow = row + rowShift
        let sourceColumn = (flipped ? width - 1 - column : column) + columnShift
        guard sourceRow >= 0, sourceRow < height, sourceColumn >= 0, sourceColumn < width else { return nil }
        return sourceRow * width + sourceColumn
    }

    /// Sets the erased rectangle of one normalised image `[C, H, W]` at `image` to 0 in every
    /// channel (torchvision's `RandomErasing(value=0)` after `Normalize`).
    public func eraseNormalized(_ image: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int) {
        guard let erased else { return }
        for channel in 0..<channels {
            for row in erased.top..<(erased.top + erased.height) {
                let start = image + (channel * height + row) * width + erased.left
                start.update(repeating: 0, count: erased.width)
            }
        }
    }
}
