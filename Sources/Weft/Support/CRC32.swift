import CZlib

/// zlib's CRC-32 (the gzip, PNG and ZIP polynomial), which checkpoints, archives and the
/// decoded-image cache check their bytes with.
public enum CRC32 {
    /// The CRC-32 of `bytes`.
    public static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc = crc32(0, nil, 0)
        let array = Array(bytes)
        array.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                let length = min(buffer.count - start, Int(UInt32.max >> 1))
                crc = crc32(crc, buffer.baseAddress! + start, uInt(length))
                start += length
            }
        }
        return UInt32(crc)
    }
}
