/// An IDX file of unsigned bytes: the format of MNIST, Fashion-MNIST and their look-alikes.
///
/// Layout (all integers big-endian):
///
///     offset 0   2 bytes   0x00 0x00
///     offset 2   1 byte    data type: 0x08 unsigned byte (the only one Weft reads),
///                          0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
///     offset 3   1 byte    rank r (1 to 4 here)
///     offset 4   4·r bytes the dimensions, outermost first, each a UInt32
///     then               the elements, row-major: exactly the product of the dimensions
///
/// Every check runs before anything is allocated from the header's numbers: a header that
/// claims absurd sizes, a payload shorter or longer than declared, or another data type is a
/// `WeftError` naming the file, the expected and the actual byte counts.
public struct IDXFile: Sendable, Equatable {
    /// The dimensions, outermost first (e.g. `[60000, 28, 28]` for Fashion-MNIST's training images).
    public let dimensions: [Int]
    /// The elements, row-major; `dimensions.reduce(1, *)` bytes.
    public let bytes: [UInt8]

    /// The highest rank accepted.
    public static let maximumRank = 4
    /// The most payload bytes a header may declare (8 GiB).
    public static let maximumPayloadBytes = 1 << 33

    /// Reads and checks the IDX file at `path`, gunzipping it when it is gzip-compressed.
    ///
    /// - Throws: `WeftError` naming the file when it is missing, not gzip though named `.gz`,
    ///   not IDX, of another data type, or its payload does not match its header.
    ///
    /// A gzipped file is decompressed only as far as its header declares (plus one byte, to
    /// notice trailing data): a small file that inflates to gigabytes is refused after reading
    /// what its header promised, not after filling memory.
    public init(path: String) throws {
        let raw = try GzipFile.readRaw(path: path)
        var limit = IDXFile.maximumPayloadBytes + 4 + 4 * IDXFile.maximumRank + 1
        if GzipFile.isGzip(raw) {
            let header = try GzipFile.leadingBytes(raw, count: 4 + 4 * IDXFile.maximumRank, name: path)
            if let declared = IDXFile.declaredByteCount(header) { limit = min(limit, declared + 1) }
        }
        try self.init(contents: try GzipFile.contents(of: raw, name: path, maximumBytes: limit), name: path)
    }

    /// Header plus payload bytes a well-formed header declares (nil when the header is not one
    /// Weft reads: `init(contents:)` then gives the precise error).
    static func declaredByteCount(_ header: [UInt8]) -> Int? {
        guard header.count >= 4, header[0] == 0, header[1] == 0, header[2] == 0x08,
            (1...maximumRank).contains(Int(header[3])), header.count >= 4 + 4 * Int(header[3])
        else { return nil }
        var declared = 1
        for axis in 0..<Int(header[3]) {
            let offset = 4 + 4 * axis
            let size =
                Int(header[offset]) << 24 | Int(header[offset + 1]) << 16
                | Int(header[offset + 2]) << 8 | Int(header[offset + 3])
            let product = declared.multipliedReportingOverflow(by: size)
            declared = product.overflow ? Int.max : product.partialValue
        }
        return declared <= maximumPayloadBytes ? declared + 4 + 4 * Int(header[3]) : nil
    }

    /// Parses IDX `contents` already in memory; `name` is the file named in error messages.
    public init(contents: [UInt8], name: String) throws {
        guard contents.count >= 4 else {
            throw WeftError(
                "\(name): the file has \(contents.count) bytes, too few for an IDX header (at least 4); it is truncated or not an IDX file"
            )
        }
        guard contents[0] == 0, contents[1] == 0 else {
            let found = contents.prefix(4).map { hex($0) }.joined(separator: " ")
            throw WeftError(
                "\(name): not an IDX file (it starts with \(found), an IDX file with 00 00); pass an IDX image or label file such as train-images-idx3-ubyte.gz"
            )
        }
        guard contents[2] == 0x08 else {
            throw WeftError(
                "\(name): the IDX data type is \(IDXFile.typeName(contents[2])) (0x\(hex(contents[2]))); Weft reads only unsigned-byte IDX files (type 0x08)"
            )
        }
        let rank = Int(contents[3])
        guard (1...IDXFile.maximumRank).contains(rank) else {
            throw WeftError(
                "\(name): the IDX header declares rank \(rank); Weft reads ranks 1 to \(IDXFile.maximumRank) (labels [N], images [N, H, W] or [N, H, W, C])"
            )
        }
        let headerCount = 4 + 4 * rank
        guard contents.count >= headerCount else {
            throw WeftError(
                "\(name): the file ends inside the IDX header (\(contents.count) of \(headerCount) header bytes); it is truncated, download it again"
            )
        }
        var dimensions = [Int]()
        var declared = 1
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            let size =
                Int(contents[offset]) << 24 | Int(contents[offset + 1]) << 16
                | Int(contents[offset + 2]) << 8 | Int(contents[offset + 3])
            dimensions.append(size)
            let product = declared.multipliedReportingOverflow(by: size)
            declared = product.overflow ? Int.max : product.partialValue
        }
        let shape = dimensions.map(String.init).joined(separator: "×")
        guard declared <= IDXFile.maximumPayloadBytes else {
            throw WeftError(
                "\(name): the IDX header claims dimensions \(shape), more than \(IDXFile.maximumPayloadBytes) bytes; the header is corrupt, download the file again"
            )
        }
        let actual = contents.count - headerCount
        guard actual == declared else {
            let problem = actual < declared ? "is truncated" : "has \(actual - declared) trailing bytes"
            throw WeftError(
                "\(name): the IDX payload \(problem): dimensions \(shape) need \(declared) bytes after the \(headerCount)-byte header, the file has \(actual); download the file again"
            )
        }
        self.dimensions = dimensions
        self.bytes = Array(contents[headerCount...])
    }

    /// A file from parts; `bytes.count` must equal the product of `dimensions`.
    public init(dimensions: [Int], bytes: [UInt8]) {
        precondition(dimensions.reduce(1, *) == bytes.count, "IDXFile: \(bytes.count) bytes do not fill \(dimensions)")
        self.dimensions = dimensions
        self.bytes = bytes
    }

    /// The file's bytes in IDX layout (unsigned bytes), for writing test fixtures and exports.
    public func encoded() -> [UInt8] {
        var result: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for size in dimensions {
            result += [
                UInt8(truncatingIfNeeded: size >> 24), UInt8(truncatingIfNeeded: size >> 16),
                UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size)
            ]
        }
        return result + bytes
    }

    private static func typeName(_ code: UInt8) -> String {
        switch code {
        case 0x09: return "signed byte"
        case 0x0B: return "16-bit integer"
        case 0x0C: return "32-bit integer"
        case 0x0D: return "32-bit float"
        case 0x0E: return "64-bit float"
        default: return "unknown"
        }
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16)
    return digits.count == 1 ? "0" + digits : digits
}
