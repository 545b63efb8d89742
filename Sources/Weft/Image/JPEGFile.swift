import CJPEG

/// Reads and writes baseline and progressive JPEG images with libjpeg-turbo's TurboJPEG API.
///
/// Decoding matches Pillow's `Image.open(...)` of the same file: libjpeg's default accurate
/// integer IDCT (`JDCT_ISLOW`) and its "fancy" (triangle-filter) chroma upsampling, which are
/// TurboJPEG's defaults too. Gray JPEGs decode to 1 channel, colour ones (YCbCr or RGB) to 3;
/// CMYK and YCCK files are refused.
public enum JPEGFile {
    /// The three bytes every JPEG file starts with (a start-of-image marker, then any marker).
    public static let signature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// Whether `bytes` starts with the JPEG signature.
    public static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: signature)
    }

    /// Reads the JPEG at `path` as 8-bit gray (gray files) or RGB (colour files).
    ///
    /// - Throws: `WeftError` naming the file when it is missing, not a JPEG, damaged, or CMYK.
    public static func read(path: String) throws -> PixelImage {
        let bytes = try GzipFile.readRaw(path: path)
        return try decode(bytes, name: path)
    }

    /// Decodes JPEG `bytes` to a `[H, W, C]` image, C = 1 (gray) or 3 (RGB); `name` is the file
    /// named in error messages.
    ///
    /// The header is checked before any pixel is allocated: at most 32768 pixels a side, and no
    /// more pixels than `maximumPixelsPerByte` times the file's size. Irregularities libjpeg
    /// warns about but decodes past without losing pixels (extraneous bytes before a marker,
    /// say) are accepted, as Pillow accepts them; data that ends early or does not decode
    /// ("Premature end of JPEG file", "premature end of data segment", "bad Huffman code") is
    /// refused, where libjpeg would fill the rest with gray.
    ///
    /// - Throws: `WeftError` naming `name` when the bytes are not a JPEG, are damaged or
    ///   truncated, claim an implausible size, or hold CMYK.
    public static func decode(_ bytes: [UInt8], name: String) throws -> PixelImage {
        guard hasSignature(bytes) else {
            throw WeftError("\(name): not a JPEG file (it lacks the JPEG signature FF D8 FF); pass a JPEG image")
        }
        guard let handle = tjInitDecompress() else {
            throw WeftError(
                "\(name): cannot start libjpeg-turbo's decoder (\(message(of: nil))); check the installation")
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let headerRead = bytes.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(
                handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspace)
        }
        guard headerRead == 0 else {
            throw WeftError("\(name): cannot read the JPEG header (\(message(of: handle))); the file is damaged")
        }
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw WeftError(
                "\(name): the JPEG claims \(width)×\(height) pixels, outside what Weft reads (1 to 32768 a side); pass a smaller image"
            )
        }
        let columns = Int(width), rows = Int(height)
        guard columns * rows <= maximumPixelsPerByte * bytes.count else {
            throw WeftError(
                "\(name): the JPEG claims \(columns)×\(rows) pixels, more than its \(bytes.count) bytes can hold; the file is damaged or truncated"
            )
        }
        guard columns * rows <= ImageFile.maximumPixels else {
            throw WeftError(
                "\(name): the JPEG claims \(width)×\(height) pixels, more than the \(ImageFile.maximumPixels) Weft decodes (Pillow's limit); pass a smaller image"
            )
        }
        let channels: Int
        let format: TJPF
        switch Int(colorspace) {
        case Int(TJCS_GRAY.rawValue):
            channels = 1
            format = TJPF_GRAY
        case Int(TJCS_YCbCr.rawValue), Int(TJCS_RGB.rawValue):
            channels = 3
            format = TJPF_RGB
        default:
            throw WeftError(
                "\(name): the JPEG holds CMYK colour, which Weft does not read; convert it to RGB first (for example with Pillow's Image.convert(\"RGB\"))"
            )
        }
        var pixels = [UInt8](repeating: 0, count: columns * rows * channels)
        // First strictly (any warning stops the decoder), so that lost data is caught by the
        // first warning; then, only when that warning loses nothing, leniently.
        let limits = TJFLAG_LIMITSCANS
        var status = decompress(
            handle, bytes, into: &pixels, width, height, format, flags: limits | TJFLAG_STOPONWARNING)
        if status != 0 && tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) && !losesData(message(of: handle)) {
            status = decompress(handle, bytes, into: &pixels, width, height, format, flags: limits)
            if status != 0 && tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
                && !losesData(message(of: handle))
            {
                status = 0
            }
        }
        guard status == 0 else {
            throw WeftError("\(name): cannot decode the JPEG (\(message(of: handle))); the file is damaged")
        }
        return PixelImage(width: columns, height: rows, channels: channels, pixels: pixels)
    }

    /// The JPEG file's bytes for `image` at `quality` (1 to 100): gray images as gray JPEGs,
    /// RGB ones as YCbCr with `subsampling` (4:2:0, Pillow's default, unless told otherwise),
    /// baseline or `progressive`.
    ///
    /// - Throws: `WeftError` when libjpeg-turbo fails (it does not for a valid `PixelImage`).
    public static func encode(
        _ image: PixelImage, quality: Int = 90, subsampling: Subsampling = .s420, progressive: Bool = false
    ) throws -> [UInt8] {
        precondition((1...100).contains(quality), "JPEGFile.encode: quality must be 1 to 100, got \(quality)")
        guard let handle = tjInitCompress() else {
            throw WeftError("JPEG encoding failed: cannot start libjpeg-turbo's encoder (\(message(of: nil)))")
        }
        defer { tjDestroy(handle) }
        let format = image.channels == 3 ? TJPF_RGB : TJPF_GRAY
        let sampling = image.channels == 3 ? subsampling.turboJPEG : TJSAMP_GRAY
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(
                handle, pixels.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(format.rawValue),
                &output, &size, Int32(sampling.rawValue), Int32(quality), progressive ? TJFLAG_PROGRESSIVE : 0)
        }
        defer { tjFree(output) }
        guard status == 0, let output else {
            throw WeftError(
                "JPEG encoding of a \(image.width)×\(image.height) image failed (\(message(of: handle)))")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// Chroma subsampling of an RGB image's JPEG.
    public enum Subsampling: Sendable {
        /// Full-resolution chroma.
        case s444
        /// Chroma halved horizontally.
        case s422
        /// Chroma halved both ways (Pillow's default).
        case s420

        var turboJPEG: TJSAMP {
            switch self {
            case .s444: TJSAMP_444
            case .s422: TJSAMP_422
            case .s420: TJSAMP_420
            }
        }
    }

    /// The most pixels a JPEG file can hold per byte of file. Huffman coding spends at least one
    /// bit on each 8×8 block of each component (a progressive file's first DC scan), so a gray
    /// image holds at most 512 pixels a byte; twice that leaves room. (Arithmetic-coded files of
    /// one flat colour can beat this and are refused as implausible.)
    static let maximumPixelsPerByte = 1024

    /// Whether libjpeg's warning `message` means pixels are missing or wrong (the data ends early
    /// or cannot be decoded), which Weft refuses though libjpeg would fill in gray.
    static func losesData(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return lowered.contains("premature end") || lowered.contains("bad huffman code")
            || lowered.contains("instead of rst")
    }

    /// Decompresses `bytes` into `pixels`, returning TurboJPEG's status (0: success).
    private static func decompress(
        _ handle: tjhandle, _ bytes: [UInt8], into pixels: inout [UInt8], _ width: Int32, _ height: Int32,
        _ format: TJPF, flags: Int32
    ) -> Int32 {
        bytes.withUnsafeBufferPointer { buffer in
            pixels.withUnsafeMutableBufferPointer { output in
                tjDecompress2(
                    handle, buffer.baseAddress, UInt(buffer.count), output.baseAddress, width, 0, height,
                    Int32(format.rawValue), flags)
            }
        }
    }

    /// TurboJPEG's last error or warning for `handle` (or for the failed initialisation: nil).
    private static func message(of handle: tjhandle?) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "no message" }
        return String(cString: text)
    }
}
