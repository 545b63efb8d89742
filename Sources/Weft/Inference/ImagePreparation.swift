/// Turns an arbitrary image into what a model was trained on: its channel count, its size, and
/// its convention of light objects on a dark background.
///
/// 1. Colour: converted to the model's channel count (`PixelImage.converted(toChannels:)`:
///    PIL's `convert("L")` luma, or gray repeated in R, G and B).
/// 2. Polarity: Fashion-MNIST and MNIST show a light object on a black background, while a photo
///    or scan usually shows a dark object on a light one. With `.automatic` the image is inverted
///    (`255 - s`) when its border (the outermost ring of pixels) averages above 127.5, i.e. when
///    the background is light; `.always` and `.never` decide without looking. (`weft predict`
///    takes `.automatic` as `.never` for models trained on image files, CIFAR or NumPy arrays,
///    whose images are photos as they come.)
/// 3. Size: fitted to the model's input height × width as training data is
///    (`ImageListDecoder`): cropped to its aspect ratio first for `.centerCrop`, then each axis
///    area-averaged when it shrinks and interpolated bilinearly when it grows
///    (`PixelImage.scaled`).
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
    /// How an image of another size is fitted (the config's `data.resize`).
    public var resize: DataConfig.ResizeMode

    /// Preparation for a model whose input is `[channels, height, width]` (`channels` 1 or 3).
    public init(input: [Int], inversion: Inversion = .automatic, resize: DataConfig.ResizeMode = .stretch) {
        precondition(input.count == 3, "ImagePreparation: input \(input) must be [C, H, W]")
        channels = input[0]
        height = input[1]
        width = input[2]
        self.inversion = inversion
        self.resize = resize
    }

    /// `image` converted, inverted when `inversion` says so, and resized to the model's input.
    ///
    /// - Throws: `WeftError` naming `source` when the model's channel count is neither 1 nor 3.
    public func prepare(_ image: PixelImage, source: String) throws -> Prepared {
        guard channels == 1 || channels == 3 else {
            throw WeftError(
                "\(source): the model takes \(channels)-channel images, but pictures can only be given to models of 1 (gray) or 3 (RGB) channels; use --idx with images of \(channels) channels"
            )
        }
        var converted = image.converted(toChannels: channels)
        let invert: Bool
        switch inversion {
        case .automatic: invert = converted.borderMean > 127.5
        case .always: invert = true
        case .never: invert = false
        }
        if invert { converted = converted.inverted }
        let resized = ImageListDecoder(shape: [channels, height, width], resize: resize).fit(converted)
        return Prepared(
            planes: resized.planes, originalWidth: image.width, originalHeight: image.height,
            inverted: invert, resized: image.width != width || image.height != height)
    }
}
