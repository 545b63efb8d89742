import CZlib

/// A NumPy `.npz` file: a ZIP archive of `.npy` members, stored (`numpy.savez`) or deflated
/// (`numpy.savez_compressed`), read by a minimal reader of ZIP's central directory.
///
/// Why not a ZIP library: ZIPFoundation 0.9.20 is in the package mirror, but it would be a second
/// dependency of the library (and of the fuzz package) for a few hundred lines of reading, its
/// failures are its own error types rather than one sentence naming the file and the array, and
/// the limits `.npz` input needs (below) would have to be checked around it anyway. `.npz` needs
/// little of ZIP: no writing, no directories, two methods. This reader checks every claim before
/// acting on it:
///
/// - the end record (`PK\5\6`) is searched for in the last 65,557 bytes only; a ZIP64 end record
///   (more than 65,535 members, or an archive over 4 GiB) is refused;
/// - each central-directory record (`PK\1\2`) must lie inside the directory, each member's local
///   header (`PK\3\4`) and data inside the file; sizes marked `0xFFFFFFFF` are read from the
///   ZIP64 extra field (`numpy.savez` writes one in every local header), and the central record's
///   sizes and CRC-32 are the ones trusted;
/// - encrypted members and methods other than 0 (stored) and 8 (deflate) are refused;
/// - the uncompressed sizes together must stay within `maximumTotalBytes` (4 GiB by default), a
///   stored member's sizes must agree, and a deflated member may not claim more than 1,032 times
///   its compressed size (deflate's largest ratio);
/// - a member is inflated (zlib, raw deflate) into a buffer of exactly its claimed size, only
///   when it is asked for; more or fewer bytes, or a CRC-32 that differs, is an error.
///
/// So any input is refused or read in time linear in its size plus the sizes asked for, and in
/// memory bounded by the file and the limit.
public struct NPZFile: Sendable {
    /// One member as the central directory describes it.
    struct Member: Sendable {
        let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let dataOffset: Int
    }

    /// The file's path, for messages.
    public let path: String
    private let contents: [UInt8]
    private let members: [Member]

    /// The most bytes of an `.npz` file read (4 GiB).
    public static let maximumFileBytes = 1 << 32
    /// The most bytes all members may decompress to together, by default (4 GiB).
    public static let defaultMaximumTotalBytes = 1 << 32

    /// The names of the arrays, in archive order (member names without `.npy`).
    public var arrayNames: [String] { members.map { Self.arrayName($0.name) } }

    /// Opens the `.npz` file at `path` and reads its central directory.
    ///
    /// - Throws: `WeftError` naming the file when it is missing, larger than 4 GiB, or not a
    ///   readable ZIP archive.
    public init(path: String, maximumTotalBytes: Int = defaultMaximumTotalBytes) throws {
        guard BoundedFile.exists(path) else {
            throw WeftError("\(path): no such file; check the path (an .npz file written by numpy.savez)")
        }
        try self.init(
            contents: try BoundedFile.read(path: path, maximumBytes: Self.maximumFileBytes, kind: "an .npz file"),
            name: path, maximumTotalBytes: maximumTotalBytes)
    }

    /// Reads the central directory of the archive `contents`; `name` is what messages call it.
    public init(contents: [UInt8], name: String, maximumTotalBytes: Int = defaultMaximumTotalBytes) throws {
        self.path = name
        self.contents = contents
        self.members = try Self.directory(contents, name: name, maximumTotalBytes: maximumTotalBytes)
    }

    /// Whether the archive holds the array `name`.
    public func contains(_ name: String) -> Bool { arrayNames.contains(name) }

    /// The array `name` (the member `name.npy`), decompressed and parsed; `expecting` as for
    /// `NumpyArray.init(contents:name:expecting:)`.
    ///
    /// - Throws: `WeftError` naming the file and the array when it is missing, damaged (CRC-32,
    ///   sizes, deflate stream) or not a readable `.npy` array.
    public func array(_ name: String, expecting: NumpyArray.Expectation = .integers) throws -> NumpyArray {
        guard let member = members.first(where: { Self.arrayName($0.name) == name }) else {
            throw WeftError(
                "\(path): no array \"\(name)\" (it holds \(arrayNames.isEmpty ? "no arrays" : arrayNames.joined(separator: ", "))); save it with numpy.savez(file, \(name)=...)"
            )
        }
        let label = "\(path): array \"\(name)\""
        let bytes = try data(of: member, label: label)
        guard CRC32.checksum(bytes) == member.crc else {
            throw WeftError(
                "\(label): the CRC-32 of the data does not match the archive's; the file is damaged, save it again")
        }
        return try NumpyArray(contents: bytes, name: label, expecting: expecting)
    }

    /// "x_train" for "x_train.npy".
    private static func arrayName(_ member: String) -> String {
        member.hasSuffix(".npy") ? String(member.dropLast(4)) : member
    }

    private func data(of member: Member, label: String) throws -> [UInt8] {
        let range = member.dataOffset..<(member.dataOffset + member.compressedSize)
        if member.method == 0 { return Array(contents[range]) }
        // One byte more than the claim: a stream that fills it is longer than it says.
        var output = [UInt8](repeating: 0, count: member.uncompressedSize + 1)
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw WeftError("\(label): zlib could not start decompressing; the system's zlib may be broken")
        }
        defer { inflateEnd(&stream) }
        var consumed = 0, written = 0
        var status: Int32 = Z_OK
        contents.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { destination in
                // At most 1 GiB of input and output per call: zlib counts in 32 bits.
                while status == Z_OK, written < destination.count {
                    stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + range.lowerBound + consumed)
                    stream.avail_in = uInt(min(range.count - consumed, 1 << 30))
                    stream.next_out = destination.baseAddress! + written
                    stream.avail_out = uInt(min(destination.count - written, 1 << 30))
                    let before = (input: stream.avail_in, output: stream.avail_out)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    consumed += Int(before.input - stream.avail_in)
                    written += Int(before.output - stream.avail_out)
                }
            }
        }
        guard status == Z_STREAM_END, written == member.uncompressedSize else {
            let what: String
            if status == Z_DATA_ERROR || status == Z_NEED_DICT {
                what = "the deflate stream is corrupt"
            } else if written > member.uncompressedSize {
                what = "the data decompresses to more than the \(member.uncompressedSize) bytes the archive claims"
            } else if status == Z_STREAM_END {
                what =
                    "the data decompresses to \(written) bytes, not the \(member.uncompressedSize) the archive claims"
            } else {
                what = "the deflate stream is truncated (after \(written) of \(member.uncompressedSize) bytes)"
            }
            throw WeftError("\(label): \(what); the file is damaged, save it again")
        }
        output.removeLast()
        return output
    }

    /// The members of the central directory, every offset and size checked.
    private static func directory(_ bytes: [UInt8], name: String, maximumTotalBytes: Int) throws -> [Member] {
        func fail(_ what: String) -> WeftError {
            WeftError("\(name): \(what); the file is damaged or not an .npz file (write it with numpy.savez)")
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> Int? {
            let high = u32(at + 4)
            return high < (1 << 31) ? u32(at) | high << 32 : nil
        }
        // The end record: 22 bytes plus a comment of at most 65,535.
        var end = -1
        if bytes.count >= 22 {
            for candidate in stride(from: bytes.count - 22, through: max(0, bytes.count - 22 - 65_535), by: -1)
            where bytes[candidate] == 0x50 && bytes[candidate + 1] == 0x4B && bytes[candidate + 2] == 5
                && bytes[candidate + 3] == 6
            {
                end = candidate
                break
            }
        }
        guard end >= 0 else {
            throw fail(
                "not a ZIP archive (no end-of-central-directory record\(bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D]) ? "; this looks like a single .npy array, not an .npz" : ""))"
            )
        }
        let count = u16(end + 10), directorySize = u32(end + 12), directoryOffset = u32(end + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw WeftError(
                "\(name): the archive is a ZIP64 archive (more than 65535 members or over 4 GiB), which is not supported; save fewer, smaller arrays per file"
            )
        }
        guard u16(end + 4) == 0, u16(end + 6) == 0, u16(end + 8) == count else {
            throw fail("the archive spans several disks")
        }
        guard directoryOffset <= end, directorySize <= end - directoryOffset else {
            throw fail(
                "the central directory (offset \(directoryOffset), \(directorySize) bytes) lies outside the file")
        }
        var members: [Member] = []
        var names = Set<String>()
        var position = directoryOffset, total = 0
        let directoryEnd = directoryOffset + directorySize
        for index in 0..<count {
            guard directoryEnd - position >= 46, u32(position) == 0x0201_4B50 else {
                throw fail("central-directory record \(index) is missing or truncated")
            }
            let flags = u16(position + 8), method = u16(position + 10)
            let crc = UInt32(u32(position + 16))
            var compressed = u32(position + 20), uncompressed = u32(position + 24)
            let nameLength = u16(position + 28), extraLength = u16(position + 30), commentLength = u16(position + 32)
            var localOffset = u32(position + 42)
            let recordLength = 46 + nameLength + extraLength + commentLength
            guard recordLength <= directoryEnd - position else {
                throw fail("central-directory record \(index) runs past the directory")
            }
            let memberName = String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
            // ZIP64 extra field (id 1): the 0xFFFFFFFF fields, in the order uncompressed, compressed, offset.
            if uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF {
                var extra = position + 46 + nameLength
                let extraEnd = extra + extraLength
                var found = false
                while extraEnd - extra >= 4 {
                    let id = u16(extra), size = u16(extra + 2)
                    guard size <= extraEnd - extra - 4 else { break }
                    if id == 1 {
                        var field = extra + 4
                        let fieldEnd = field + size
                        for keyPath in [0, 1, 2] {
                            let current = [uncompressed, compressed, localOffset][keyPath]
                            guard current == 0xFFFF_FFFF else { continue }
                            guard fieldEnd - field >= 8, let value = u64(field) else {
                                throw fail("member \"\(memberName)\" has a damaged ZIP64 extra field")
                            }
                            if keyPath == 0 {
                                uncompressed = value
                            } else if keyPath == 1 {
                                compressed = value
                            } else {
                                localOffset = value
                            }
                            field += 8
                        }
                        found = true
                        break
                    }
                    extra += 4 + size
                }
                guard found else {
                    throw fail("member \"\(memberName)\" has sizes of 0xFFFFFFFF but no ZIP64 extra field")
                }
            }
            guard flags & 1 == 0 else {
                throw WeftError("\(name): member \"\(memberName)\" is encrypted; save the arrays without a password")
            }
            guard method == 0 || method == 8 else {
                throw WeftError(
                    "\(name): member \"\(memberName)\" uses ZIP compression method \(method); only stored (numpy.savez) and deflated (numpy.savez_compressed) members can be read"
                )
            }
            guard names.insert(arrayName(memberName)).inserted else {
                throw fail("the member \"\(memberName)\" appears twice")
            }
            guard method == 8 || compressed == uncompressed else {
                throw fail(
                    "stored member \"\(memberName)\" claims \(compressed) bytes stored but \(uncompressed) uncompressed"
                )
            }
            guard method == 0 || max(0, uncompressed - 64) / 1032 <= compressed else {
                throw fail(
                    "member \"\(memberName)\" claims \(uncompressed) bytes from \(compressed) compressed, more than deflate can produce"
                )
            }
            guard uncompressed <= maximumTotalBytes - total else {
                throw WeftError(
                    "\(name): the members claim more than \(BoundedFile.describe(bytes: maximumTotalBytes)) uncompressed together, the limit; split the arrays over several files"
                )
            }
            total += uncompressed
            // The local header: its name and extra field may differ from the central record's.
            guard localOffset <= bytes.count - 30, u32(localOffset) == 0x0403_4B50 else {
                throw fail("member \"\(memberName)\" has no local header at offset \(localOffset)")
            }
            let dataOffset = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
            guard dataOffset <= bytes.count, compressed <= bytes.count - dataOffset else {
                throw fail(
                    "member \"\(memberName)\" (\(compressed) bytes at offset \(dataOffset)) runs past the end of the file"
                )
            }
            members.append(
                Member(
                    name: memberName, method: UInt16(method), crc: crc, compressedSize: compressed,
                    uncompressedSize: uncompressed, dataOffset: dataOffset))
            position += recordLength
        }
        return members
    }
}
