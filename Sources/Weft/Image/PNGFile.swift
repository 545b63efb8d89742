import CPNG

/// Writes and reads 8-bit grayscale and RGB PNG images with libpng's simplified API
/// (`png_image`), which reports errors in the structure instead of through `setjmp`.
public enum PNGFile {
    /// The eight bytes every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Whether `bytes` starts with the PNG signature.
    public static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: signature)
    }

    /// Writes `image` as an 8-bit gray or RGB PNG at `path`, replacing any file there.
    ///
    /// - Throws: `WeftError` naming the file when it cannot be written.
    public static func write(_ image: PixelImage, to path: String) throws {
        var control = description(of: image)
        let written = image.pixels.withUnsafeBytes { pixels in
            png_image_write_to_file(&control, path, 0, pixels.baseAddress, 0, nil)
        }
        guard written != 0 else {
            throw WeftError(
                "\(path): cannot write the PNG (\(message(of: &control))); check that the directory exists and is writable"
            )
        }
    }

    /// The PNG file's bytes for `image` (8-bit gray or RGB).
    ///
    /// - Throws: `WeftError` when libpng fails (it does not for a valid `PixelImage`).
    public static func encode(_ image: PixelImage) throws -> [UInt8] {
        var control = description(of: image)
        var size: png_alloc_size_t = 0
        let measured = image.pixels.withUnsafeBytes { pixels in
            png_image_write_to_memory(&control, nil, &size, 0, pixels.baseAddress, 0, nil)
        }
        guard measured != 0, size > 0 else {
            throw WeftError("PNG encoding of a \(image.width)×\(image.height) image failed (\(message(of: &control)))")
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        control = description(of: image)
        let encoded = bytes.withUnsafeMutableBytes { memory in
            image.pixels.withUnsafeBytes { pixels in
                png_image_write_to_memory(&control, memory.baseAddress, &size, 0, pixels.baseAddress, 0, nil)
            }
        }
        guard encoded != 0 else {
            throw WeftError("PNG encoding of a \(image.width)×\(image.height) image failed (\(message(of: &control)))")
        }
        bytes.removeSubrange(Int(size)...)
        return bytes
    }

    /// Reads the PNG at `path` as 8-bit gray (gray files) or RGB (colour and palette files), of
    /// any bit depth, palette, interlacing or transparency:
    ///
    /// - 1-, 2- and 4-bit gray are scaled to 0...255 (Pillow's `L`);
    /// - 16-bit samples become `round(v / 257)`;
    /// - transparency (an alpha channel, or a tRNS chunk on gray, RGB or palette files) is
    ///   composited over black, `round(c * a / 255)` (what `Image.alpha_composite` onto opaque
    ///   black gives, where Pillow's plain `convert("RGB")` would drop the alpha);
    /// - a gAMA chunk is ignored, as Pillow ignores it (the stored samples are read as they are).
    ///
    /// - Throws: `WeftError` naming the file when it is missing, not a PNG, or damaged.
    public static func read(path: String) throws -> PixelImage {
        let bytes = try GzipFile.readRaw(path: path)
        return try decode(bytes, name: path)
    }

    /// Decodes PNG `bytes`; `name` is the file named in error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws -> PixelImage {
        guard hasSignature(bytes) else {
            throw WeftError("\(name): not a PNG file (it lacks the PNG signature); pass a PNG image")
        }
        // libpng reads from the memory it is given until `png_image_free`: the whole read
        // happens inside one `withUnsafeBytes`, so the bytes stay alive and in place throughout.
        return try withoutGamma(bytes).withUnsafeBytes { memory in
            try decode(memory, name: name)
        }
    }

    /// Decodes the PNG in `memory` (signature checked, gAMA removed).
    private static func decode(_ memory: UnsafeRawBufferPointer, name: String) throws -> PixelImage {
        var control = png_image()
        control.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&control, memory.baseAddress, memory.count) != 0 else {
            throw WeftError("\(name): cannot read the PNG header (\(message(of: &control))); the file is damaged")
        }
        defer { png_image_free(&control) }
        let isColor = control.format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0
        let channels = isColor ? 3 : 1
        // Always read with alpha (opaque files get 255) and composite here: libpng's own
        // compositing works in linear light, far from Pillow's numbers. 16-bit samples are
        // declared sRGB-encoded so that libpng only scales them (round(v / 257)) instead of
        // treating them as linear and applying the sRGB curve.
        control.format = isColor ? rgbaFormat : grayAlphaFormat
        control.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)
        let width = Int(control.width), height = Int(control.height)
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw WeftError(
                "\(name): the PNG claims \(width)×\(height) pixels, outside what Weft reads (1 to 32768 a side); pass a smaller image"
            )
        }
        // Each pixel takes at least one bit before compression and deflate shrinks data at most
        // 1032-fold: a header claiming more pixels than the file's bytes can hold is refused
        // before the pixels are allocated (a 100-byte file cannot make a gigabyte image).
        guard width * height <= PNGFile.maximumPixelsPerByte * memory.count else {
            throw WeftError(
                "\(name): the PNG claims \(width)×\(height) pixels, more than its \(memory.count) bytes can hold; the file is damaged or truncated"
            )
        }
        guard width * height <= ImageFile.maximumPixels else {
            throw WeftError(
                "\(name): the PNG claims \(width)×\(height) pixels, more than the \(ImageFile.maximumPixels) Weft decodes (Pillow's limit); pass a smaller image"
            )
        }
        var withAlpha = [UInt8](repeating: 0, count: width * height * (channels + 1))
        let finished = withAlpha.withUnsafeMutableBytes { buffer in
            png_image_finish_read(&control, nil, buffer.baseAddress, 0, nil)
        }
        guard finished != 0 else {
            throw WeftError("\(name): cannot decode the PNG (\(message(of: &control))); the file is damaged")
        }
        let pixels = compositedOverBlack(withAlpha, channels: channels)
        return PixelImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// `bytes` without their gAMA chunk, if any. Pillow ignores a file's gamma and hands over the
    /// stored samples; libpng would convert them from the file's gamma to sRGB, so the chunk is
    /// dropped to read the same samples as Pillow. (gAMA precedes the image data: the walk stops
    /// at the first IDAT, or at anything that is not a whole chunk, which libpng then reports.)
    static func withoutGamma(_ bytes: [UInt8]) -> [UInt8] {
        var offset = signature.count
        while offset + 12 <= bytes.count {
            let length =
                Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
            let kind = bytes[(offset + 4)..<(offset + 8)]
            let end = offset + 12 + length
            guard length <= bytes.count, end <= bytes.count, !kind.elementsEqual("IDAT".utf8) else { break }
            if kind.elementsEqual("gAMA".utf8) {
                return Array(bytes[..<offset]) + Array(bytes[end...])
            }
            offset = end
        }
        return bytes
    }

    /// The most pixels a PNG file can hold per byte of file: 8 one-bit pixels a byte of image
    /// data, times deflate's largest ratio (1032:1), with some room.
    static let maximumPixelsPerByte = 8 * 1100

    /// `PNG_FORMAT_GRAY`, `PNG_FORMAT_RGB`, `PNG_FORMAT_GA` and `PNG_FORMAT_RGBA` (macros
    /// Swift does not import).
    private static let grayFormat = png_uint_32(0)
    private static let rgbFormat = png_uint_32(PNG_FORMAT_FLAG_COLOR)
    private static let grayAlphaFormat = png_uint_32(PNG_FORMAT_FLAG_ALPHA)
    private static let rgbaFormat = png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)

    /// `[H, W, C + 1]` samples with alpha last, composited over black into `[H, W, C]`:
    /// `round(c * a / 255)`, the same as Pillow's `Image.alpha_composite` onto opaque black.
    static func compositedOverBlack(_ samples: [UInt8], channels: Int) -> [UInt8] {
        let count = samples.count / (channels + 1)
        var result = [UInt8](repeating: 0, count: count * channels)
        samples.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                for pixel in 0..<count {
                    let alpha = Int(input[pixel * (channels + 1) + channels])
                    for channel in 0..<channels {
                        let sample = Int(input[pixel * (channels + 1) + channel])
                        output[pixel * channels + channel] = UInt8((sample * alpha + 127) / 255)
                    }
                }
            }
        }
        return result
    }

    private static func description(of image: PixelImage) -> png_image {
        var control = png_image()
        control.version = png_uint_32(PNG_IMAGE_VERSION)
        control.width = png_uint_32(image.width)
        control.height = png_uint_32(image.height)
        control.format = image.channels == 3 ? rgbFormat : grayFormat
        return control
    }

    private static func message(of control: inout png_image) -> String {
        withUnsafeBytes(of: &control.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
