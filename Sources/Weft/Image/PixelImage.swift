/// An 8-bit image in memory: grayscale (1 channel) or RGB (3 channels), rows top to bottom,
/// channels interleaved (`[H, W, C]`, as PNG, JPEG and PGM decode to).
public struct PixelImage: Equatable, Sendable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// 1 (gray) or 3 (RGB).
    public let channels: Int
    /// `[H, W, C]` samples, 0 to 255.
    public var pixels: [UInt8]

    /// An image holding `pixels` (`height * width * channels` of them).
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "PixelImage: size \(width)×\(height) must be positive")
        precondition(channels == 1 || channels == 3, "PixelImage: channels must be 1 or 3, got \(channels)")
        precondition(
            pixels.count == width * height * channels,
            "PixelImage: \(pixels.count) samples do not fill \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image of one colour (`value` repeated in every channel).
    public init(width: Int, height: Int, channels: Int, filledWith value: UInt8) {
        self.init(
            width: width, height: height, channels: channels,
            pixels: [UInt8](repeating: value, count: width * height * channels))
    }

    /// The image as `[C, H, W]` planes (the layout of `ImageDataset`).
    public var planes: [UInt8] {
        guard channels > 1 else { return pixels }
        var result = [UInt8](repeating: 0, count: pixels.count)
        let plane = width * height
        for pixel in 0..<plane {
            for channel in 0..<channels {
                result[channel * plane + pixel] = pixels[pixel * channels + channel]
            }
        }
        return result
    }

    /// The image converted to one channel: ITU-R BT.601 luma in Pillow's fixed point, exactly
    /// what `Image.convert("L")` computes from RGB,
    /// `(r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16` (weights 0.299, 0.587, 0.114 in
    /// units of 1/65536, rounded).
    public var grayscale: PixelImage {
        guard channels == 3 else { return self }
        var gray = [UInt8](repeating: 0, count: width * height)
        for pixel in 0..<gray.count {
            let red = Int(pixels[3 * pixel]), green = Int(pixels[3 * pixel + 1]), blue = Int(pixels[3 * pixel + 2])
            gray[pixel] = UInt8((red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16)
        }
        return PixelImage(width: width, height: height, channels: 1, pixels: gray)
    }

    /// Reads a PNG, JPEG or PGM image, recognised by its first bytes (`ImageFile.read`).
    ///
    /// - Throws: `WeftError` naming the file when it is missing, damaged, or in none of the
    ///   formats.
    public static func read(path: String) throws -> PixelImage {
        try ImageFile.read(path: path)
    }
}
