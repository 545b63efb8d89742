/// Recognises an image file by its first bytes (never by its name) and decodes it: PNG
/// (`PNGFile`), JPEG (`JPEGFile`) or PGM (`PGMFile`), each to 8-bit gray or RGB.
public enum ImageFile {
    /// The file extensions (lower case) of the formats Weft reads, for listing folders.
    public static let fileExtensions = ["png", "jpg", "jpeg", "pgm"]

    /// The version of the decoded pixels: raised whenever a file's decoded pixels change (2:
    /// JPEG added; PNG transparency over black as `round(c * a / 255)`, 16-bit as
    /// `round(v / 257)`, gAMA ignored). A cache of decoded images belongs in its key.
    public static let decoderVersion = 2

    /// Reads the image at `path`, whatever its name says: a `.jpg` holding a PNG reads as a PNG.
    ///
    /// - Throws: `WeftError` naming the file when it is missing, empty, damaged, or in none of
    ///   the formats.
    public static func read(path: String) throws -> PixelImage {
        try decode(try GzipFile.readRaw(path: path, maximumBytes: maximumFileBytes), name: path)
    }

    /// The largest image file read (256 MiB).
    public static let maximumFileBytes = 256 << 20

    /// The most pixels an image may have: Pillow's decompression-bomb limit
    /// (`2 * Image.MAX_IMAGE_PIXELS`), so that a small file cannot claim gigabytes of pixels.
    public static let maximumPixels = 2 * 89_478_485

    /// Decodes `bytes` as the format their signature names; `name` is the file named in errors.
    ///
    /// - Throws: `WeftError` naming `name` when the bytes are empty, damaged, or in none of the
    ///   formats.
    public static func decode(_ bytes: [UInt8], name: String) throws -> PixelImage {
        if PNGFile.hasSignature(bytes) { return try PNGFile.decode(bytes, name: name) }
        if JPEGFile.hasSignature(bytes) { return try JPEGFile.decode(bytes, name: name) }
        if PGMFile.hasSignature(bytes) { return try PGMFile.decode(bytes, name: name) }
        if bytes.isEmpty {
            throw WeftError("\(name): the file is empty (0 bytes), not an image; pass a PNG, JPEG or PGM image")
        }
        throw WeftError(
            "\(name): not a PNG, JPEG or PGM image (unrecognised first bytes); convert it to PNG, JPEG or PGM")
    }
}
