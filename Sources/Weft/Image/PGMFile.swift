/// Reads Netpbm grayscale images: binary (`P5`) and ASCII (`P2`) PGM, any maximum value up to
/// 65535 (samples are rescaled to 0...255; binary samples above 255 take two big-endian bytes).
///
///     P5 <whitespace> width <ws> height <ws> maxval <one whitespace byte> samples
///
/// `#` starts a comment that runs to the end of the line, anywhere in the header.
public enum PGMFile {
    /// Whether `bytes` starts with `P2` or `P5` followed by whitespace.
    public static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == UInt8(ascii: "P")
            && (bytes[1] == UInt8(ascii: "2") || bytes[1] == UInt8(ascii: "5"))
            && isWhitespace(bytes[2])
    }

    /// Reads the PGM at `path` as a one-channel image.
    ///
    /// - Throws: `WeftError` naming the file when it is missing, not a PGM, or damaged.
    public static func read(path: String) throws -> PixelImage {
        try decode(try GzipFile.readRaw(path: path), name: path)
    }

    /// Decodes PGM `bytes`; `name` is the file named in error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws -> PixelImage {
        guard hasSignature(bytes) else {
            throw WeftError("\(name): not a PGM file (it does not start with P2 or P5); pass a PGM or PNG image")
        }
        let isBinary = bytes[1] == UInt8(ascii: "5")
        var position = 2
        let width = try header(bytes, &position, name: name, field: "width")
        let height = try header(bytes, &position, name: name, field: "height")
        let maximum = try header(bytes, &position, name: name, field: "maximum value")
        guard (1...1 << 15).contains(width), (1...1 << 15).contains(height) else {
            throw WeftError(
                "\(name): the PGM claims \(width)×\(height) pixels, outside what Weft reads (1 to 32768 a side); pass a smaller image"
            )
        }
        guard (1...65535).contains(maximum) else {
            throw WeftError("\(name): the PGM maximum value is \(maximum), it must be 1 to 65535; the file is damaged")
        }
        let count = width * height
        var samples = [Int]()
        if isBinary {
            position += 1  // the single whitespace byte after the maximum value
            let sampleBytes = maximum > 255 ? 2 : 1
            let available = bytes.count - position
            guard available >= count * sampleBytes else {
                throw WeftError(
                    "\(name): the PGM is truncated: \(width)×\(height) pixels need \(count * sampleBytes) bytes of samples, the file has \(max(available, 0)); save the image again"
                )
            }
            samples.reserveCapacity(count)
            for index in 0..<count {
                let offset = position + index * sampleBytes
                samples.append(sampleBytes == 2 ? Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) : Int(bytes[offset]))
            }
        } else {
            // Every ASCII sample but the last takes a digit and a separator: a header that
            // claims more samples than the file can hold is refused before anything is reserved.
            let available = max(bytes.count - position, 0)
            guard count <= (available + 1) / 2 else {
                throw WeftError(
                    "\(name): the ASCII PGM is truncated: \(width)×\(height) pixels need at least \(2 * count - 1) bytes of samples, the file has \(available); save the image again"
                )
            }
            samples.reserveCapacity(count)
            for index in 0..<count {
                guard let value = number(bytes, &position) else {
                    throw WeftError(
                        "\(name): the ASCII PGM has \(index) of its \(count) samples, then \(position < bytes.count ? "a non-digit" : "ends"); save the image again"
                    )
                }
                samples.append(value)
            }
        }
        if let index = samples.firstIndex(where: { $0 > maximum }) {
            throw WeftError(
                "\(name): PGM sample \(index) is \(samples[index]), above the maximum value \(maximum); the file is damaged"
            )
        }
        let pixels = samples.map { UInt8((($0 * 255) + maximum / 2) / maximum) }
        return PixelImage(width: width, height: height, channels: 1, pixels: pixels)
    }

    /// The next header number, skipping whitespace and comments.
    private static func header(_ bytes: [UInt8], _ position: inout Int, name: String, field: String) throws -> Int {
        guard let value = number(bytes, &position) else {
            throw WeftError(
                "\(name): the PGM header lacks its \(field) (found \(position < bytes.count ? "a non-digit" : "the end of the file")); the file is damaged"
            )
        }
        return value
    }

    /// Skips whitespace and `#` comments, then reads a decimal number of at most 9 digits (nil
    /// when there is none or it is longer).
    private static func number(_ bytes: [UInt8], _ position: inout Int) -> Int? {
        while position < bytes.count {
            if isWhitespace(bytes[position]) {
                position += 1
            } else if bytes[position] == UInt8(ascii: "#") {
                while position < bytes.count, bytes[position] != UInt8(ascii: "\n"),
                    bytes[position] != UInt8(ascii: "\r")
                {
                    position += 1
                }
            } else {
                break
            }
        }
        var value = 0, digits = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]), digits < 9 {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
            digits += 1
        }
        let tooLong =
            digits == 9 && position < bytes.count
            && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position])
        return digits > 0 && !tooLong ? value : nil
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }
}
