import CZlib
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Reads whole files into memory, gunzipping gzip-compressed ones transparently.
///
/// A file is treated as gzip when it starts with the gzip signature `1f 8b`; a file whose name
/// ends in `.gz` must have it. Concatenated gzip members (as `cat a.gz b.gz` makes) are read as
/// one stream, as `gunzip` does. Every failure is a `WeftError` that names the file.
public enum GzipFile {
    /// The most bytes a file may decompress to by default (8 GiB): a guard against corrupt or
    /// hostile streams, far above any IDX dataset Weft reads.
    public static let defaultMaximumBytes = 1 << 33

    /// The contents of the file at `path`, decompressed when it is gzip.
    ///
    /// - Parameters:
    ///   - path: the file to read; `.gz` files must be gzip streams, other files may be either.
    ///   - maximumBytes: the most bytes the (decompressed) contents may have.
    /// - Throws: `WeftError` when the file is missing or unreadable, or the gzip stream is
    ///   truncated, corrupt, or decompresses to more than `maximumBytes`.
    public static func read(path: String, maximumBytes: Int = defaultMaximumBytes) throws -> [UInt8] {
        try contents(of: try readRaw(path: path), name: path, maximumBytes: maximumBytes)
    }

    /// `raw` (the bytes of the file `name` as stored), decompressed when it is gzip; see `read`.
    public static func contents(
        of raw: [UInt8], name path: String,
        maximumBytes: Int = defaultMaximumBytes
    ) throws -> [UInt8] {
        if isGzip(raw) {
            return try inflate(raw, name: path, maximumBytes: maximumBytes)
        }
        if path.hasSuffix(".gz") {
            throw WeftError(
                "\(path): the name ends in .gz but the file is not gzip-compressed (it does not start with the bytes 1f 8b); download it again or remove the .gz suffix if it was already unpacked"
            )
        }
        if raw.count > maximumBytes {
            throw WeftError(
                "\(path): the file has \(raw.count) bytes, more than the limit of \(maximumBytes); check that this is the intended file"
            )
        }
        return raw
    }

    /// Whether `bytes` starts with the gzip signature `1f 8b`.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The bytes of the file at `path` as stored (no decompression), at most `maximumBytes` of
    /// them when a limit is given (a device or a pipe that never ends is cut off there).
    ///
    /// - Throws: `WeftError` naming the file and the system's reason when it cannot be read, or
    ///   when it holds more than `maximumBytes`.
    public static func readRaw(path: String, maximumBytes: Int? = nil) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw WeftError("\(path): cannot open the file (\(systemReason())); check the path and its permissions")
        }
        defer { close(descriptor) }
        var information = stat()
        guard fstat(descriptor, &information) == 0 else {
            throw WeftError("\(path): cannot read the file's size (\(systemReason())); check the path")
        }
        if (information.st_mode & S_IFMT) == S_IFDIR {
            throw WeftError("\(path): is a directory, not a file; pass the path of a file")
        }
        func refuseSize() -> WeftError {
            WeftError(
                "\(path): the file holds more than \(maximumBytes ?? 0) bytes, more than Weft reads for it; check that it is the right file"
            )
        }
        if let maximumBytes, Int(information.st_size) > maximumBytes { throw refuseSize() }
        var bytes = [UInt8]()
        bytes.reserveCapacity(max(Int(information.st_size), 0))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw WeftError("\(path): reading failed (\(systemReason())); check the file and the disk")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if let maximumBytes, bytes.count > maximumBytes { throw refuseSize() }
        }
        return bytes
    }

    /// Decompresses a gzip stream (one or more members) held in memory.
    ///
    /// Uses zlib's `inflate` with `windowBits = 16 + MAX_WBITS` (gzip framing, CRC-32 checked).
    ///
    /// - Parameters:
    ///   - compressed: the gzip bytes.
    ///   - name: the file name used in error messages.
    ///   - maximumBytes: the most bytes the output may have.
    /// - Throws: `WeftError` when the stream is truncated, corrupt, followed by other data, or
    ///   decompresses to more than `maximumBytes`.
    public static func inflate(_ compressed: [UInt8], name: String, maximumBytes: Int = defaultMaximumBytes) throws
        -> [UInt8]
    {
        try inflate(compressed, name: name, maximumBytes: maximumBytes, stoppingAtLimit: false)
    }

    /// The first `count` decompressed bytes of a gzip stream (all of them when it has fewer),
    /// without decompressing the rest: enough to read a header and bound the whole.
    ///
    /// - Throws: `WeftError` when the stream is corrupt or truncated before `count` bytes.
    public static func leadingBytes(_ compressed: [UInt8], count: Int, name: String) throws -> [UInt8] {
        try inflate(compressed, name: name, maximumBytes: max(count, 1), stoppingAtLimit: true)
    }

    private static func inflate(
        _ compressed: [UInt8], name: String, maximumBytes: Int,
        stoppingAtLimit: Bool
    ) throws -> [UInt8] {
        var stream = z_stream()
        let initialised = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initialised == Z_OK else {
            throw WeftError(
                "\(name): zlib could not start decompressing (error \(initialised)); the system's zlib may be broken")
        }
        defer { inflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: initialCapacity(compressed: compressed, maximumBytes: maximumBytes))
        var written = 0
        var consumed = 0
        while true {
            if written == output.count {
                if stoppingAtLimit, output.count >= maximumBytes { return output }
                guard output.count < maximumBytes else {
                    throw WeftError(
                        "\(name): the gzip stream decompresses to more than \(maximumBytes) bytes, the limit; the file is corrupt or not a dataset file"
                    )
                }
                let grown = min(maximumBytes, max(output.count * 2, 1 << 16))
                output.append(contentsOf: repeatElement(0, count: grown - output.count))
            }
            let status: Int32 = compressed.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { destination in
                    stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + consumed })
                    stream.avail_in = uInt(min(input.count - consumed, Int(UInt32.max)))
                    stream.next_out = destination.baseAddress.map { $0 + written }
                    stream.avail_out = uInt(min(destination.count - written, Int(UInt32.max)))
                    let before = (input: stream.avail_in, output: stream.avail_out)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    consumed += Int(before.input - stream.avail_in)
                    written += Int(before.output - stream.avail_out)
                    return status
                }
            }
            switch status {
            case Z_STREAM_END:
                let rest = compressed[consumed...]
                if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) {
                    output.removeSubrange(written...)
                    return output
                }
                guard rest.count >= 2, rest[consumed] == 0x1F, rest[consumed + 1] == 0x8B else {
                    throw WeftError(
                        "\(name): \(rest.count) bytes of other data follow the gzip stream; the file is damaged, download it again"
                    )
                }
                inflateReset(&stream)  // another gzip member follows
            case Z_OK:
                continue
            case Z_BUF_ERROR where consumed == compressed.count:
                throw WeftError(
                    "\(name): the gzip stream is truncated (it ends after \(compressed.count) compressed bytes, \(written) decompressed); download the file again"
                )
            case Z_BUF_ERROR:
                continue  // the output was full; grow it
            case Z_DATA_ERROR, Z_NEED_DICT:
                let reason = stream.msg.map { String(cString: $0) } ?? "invalid data"
                throw WeftError(
                    "\(name): the gzip stream is corrupt (\(reason), after \(consumed) compressed bytes); download the file again"
                )
            case Z_MEM_ERROR:
                throw WeftError(
                    "\(name): out of memory while decompressing; free memory or unpack the file with gunzip")
            default:
                throw WeftError("\(name): zlib failed while decompressing (error \(status)); download the file again")
            }
        }
    }

    /// A first output size: the gzip trailer's ISIZE (the uncompressed size modulo 2³²) when it
    /// is plausible, else a few times the compressed size; always within `maximumBytes`.
    private static func initialCapacity(compressed: [UInt8], maximumBytes: Int) -> Int {
        var guess = compressed.count * 4
        if compressed.count >= 18 {
            let tail = compressed.suffix(4).map(Int.init)
            let trailerSize = tail[0] | tail[1] << 8 | tail[2] << 16 | tail[3] << 24
            if trailerSize > 0, trailerSize <= compressed.count * 1100 { guess = trailerSize }
        }
        return max(1, min(guess + 1, maximumBytes))  // + 1: room to reach the trailer without growing
    }

    private static func systemReason() -> String {
        String(cString: strerror(errno))
    }
}
