/// A ZIP archive of stored (uncompressed) files, as `numpy.savez` writes `.npz` files and
/// Python's `zipfile` reads them (PKWARE APPNOTE 6.3, no ZIP64).
///
/// Layout: for each file a local header (signature `PK\3\4`, version 2.0, no flags, method 0
/// "stored", a fixed timestamp of 1980-01-01 00:00 so archives are reproducible, the CRC-32 and
/// both sizes, the name) followed by its bytes; then one central-directory record per file
/// (signature `PK\1\2`, the same fields and the local header's offset); then the end record
/// (`PK\5\6`: entry count, directory size and offset). All integers little-endian.
public enum ZipArchive {
    /// The most bytes an archive without ZIP64 may hold.
    public static let maximumBytes = Int(UInt32.max)

    /// The archive holding `files` in order.
    ///
    /// - Throws: `WeftError` when the archive would exceed 4 GiB or 65,535 files, which the
    ///   ZIP format without its ZIP64 extension cannot describe.
    public static func stored(_ files: [(name: String, bytes: [UInt8])]) throws -> [UInt8] {
        guard files.count <= Int(UInt16.max) else {
            throw WeftError("a ZIP archive holds at most 65535 files, got \(files.count); export fewer tensors")
        }
        let total = files.reduce(0) { $0 + 76 + 2 * $1.name.utf8.count + $1.bytes.count } + 22
        guard total <= maximumBytes else {
            throw WeftError(
                "the archive would have \(total) bytes, more than the 4 GiB a ZIP file without ZIP64 holds; export in another format (safetensors)"
            )
        }
        var archive: [UInt8] = []
        archive.reserveCapacity(total)
        var directory: [UInt8] = []
        let date: UInt16 = (0 << 9) | (1 << 5) | 1  // 1980-01-01 in MS-DOS format
        for file in files {
            let name = Array(file.name.utf8)
            let crc = CRC32.checksum(file.bytes)
            let size = UInt32(file.bytes.count)
            let offset = UInt32(archive.count)
            // Local file header.
            append(&archive, UInt32(0x0403_4B50))
            append(&archive, UInt16(20))  // version needed: 2.0
            append(&archive, UInt16(0))  // flags
            append(&archive, UInt16(0))  // method: stored
            append(&archive, UInt16(0))  // time
            append(&archive, date)
            append(&archive, crc)
            append(&archive, size)  // compressed size
            append(&archive, size)  // uncompressed size
            append(&archive, UInt16(name.count))
            append(&archive, UInt16(0))  // extra field length
            archive += name
            archive += file.bytes
            // Central directory record.
            append(&directory, UInt32(0x0201_4B50))
            append(&directory, UInt16(20))  // made by: 2.0, MS-DOS attributes
            append(&directory, UInt16(20))  // version needed
            append(&directory, UInt16(0))
            append(&directory, UInt16(0))
            append(&directory, UInt16(0))
            append(&directory, date)
            append(&directory, crc)
            append(&directory, size)
            append(&directory, size)
            append(&directory, UInt16(name.count))
            append(&directory, UInt16(0))  // extra field length
            append(&directory, UInt16(0))  // comment length
            append(&directory, UInt16(0))  // disk number
            append(&directory, UInt16(0))  // internal attributes
            append(&directory, UInt32(0))  // external attributes
            append(&directory, offset)
            directory += name
        }
        let directoryOffset = UInt32(archive.count)
        archive += directory
        // End of central directory record.
        append(&archive, UInt32(0x0605_4B50))
        append(&archive, UInt16(0))  // this disk
        append(&archive, UInt16(0))  // disk with the directory
        append(&archive, UInt16(files.count))
        append(&archive, UInt16(files.count))
        append(&archive, UInt32(directory.count))
        append(&archive, directoryOffset)
        append(&archive, UInt16(0))  // comment length
        return archive
    }

    private static func append<Integer: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: Integer) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
