/// Turns an arbitrary image into what a model was trained on: its channel count, its size, and
/// its convention of light objects on a dark background.
///
/// 1. Colour: for a one-channel model an RGB image becomes gray (ITU-R BT.601 luma, as PIL's
///    `convert("L")`); for a three-channel model a gray image is repeated in R, G and B.
/// 2. Polarity: Fashion-MNIST and MNIST show a light object on a black background, while a photo
///    or scan usually shows a dark object on a light one. With `.automatic` the image is inverted
///    (`255 - s`) when its border (the outermost ring of pixels) averages above 127.5, i.e. when
///    the background is light; `.always` and `.never` decide without looking.
/// 3. Size: resampled to the model's input height × width by area averaging
///    (`PixelImage.resized`); the aspect ratio is not kept, so crop or pad a photo to the
///    model's proportions (a square for Fashion-MNIST) first for best results.
public struct ImagePreparation: Sendable {
    /// When to invert an image's samples.
    public enum Inversion: String, CaseIterable, Sendable {
        /// Invert images whose border is light (mean above 127.5).
        case automatic = "auto"
        case always
        case never
    }

    /// What preparing one image did.
    public struct Prepared: Sendable {
        /// The model's input, `[C, H, W]` bytes.
        public let planes: [UInt8]
        /// The source image's size.
        public let originalWidth: Int, originalHeight: Int
        /// Whether its samples were inverted.
        public let inverted: Bool
        /// Whether it was resampled.
        public let resized: Bool
    }

    /// The model's input `[C, H, W]`.
    public let channels: Int, height: Int, width: Int
    public var inversion: Inversion

    /// Preparation for a model whose input is `[channels, height, width]` (`channels` 1 or 3).
    public init(input: [Int], inversion: Inversion = .automatic) {
        precondition(input.count == 3, "ImagePreparation: input \(input) must be [C, H, W]")
        channels = input[0]
        height = input[1]
        width = input[2]
        self.inversion = inversion
    }

    /// `image` converted, inverted when `inversion` says so, and resized to the model's input.
    ///
    /// - Throws: `WeftError` naming `source` when the model's channel count is neither 1 nor 3.
    public func prepare(_ image: PixelImage, source: String) throws -> Prepared {
        var converted: PixelImage
        switch channels {
        case 1:
            converted = image.grayscale
        case 3:
            converted =
                image.channels == 3
                ? image
                : PixelImage(
                    width: image.width, height: image.height, channels: 3, pixels: image.pixels.flatMap { [$0, $0, $0] }
                )
        default:
            throw WeftError(
                "\(source): the model takes \(channels)-channel images, but pictures can only be given to models of 1 (gray) or 3 (RGB) channels; use --idx with images of \(channels) channels"
            )
        }
        let invert: Bool
        switch inversion {
        case .automatic: invert = converted.borderMean > 127.5
        case .always: invert = true
        case .never: invert = false
        }
        if invert { converted = converted.inverted }
        let resized = converted.resized(width: width, height: height)
        return Prepared(
            planes: resized.planes, originalWidth: image.width, originalHeight: image.height,
            inverted: invert, resized: image.width != width || image.height != height)
    }
}
