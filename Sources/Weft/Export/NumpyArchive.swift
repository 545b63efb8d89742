/// NumPy's `.npy` arrays and `.npz` archives, as `numpy.save` and `numpy.savez` write them.
///
/// An `.npy` file (format version 1.0) is: the magic `\x93NUMPY`, the version bytes `1 0`, the
/// header's length as a little-endian 16-bit integer, then the header, a Python dict literal
/// such as `{'descr': '<f4', 'fortran_order': False, 'shape': (32, 1, 3, 3), }` padded with
/// spaces and ended by a newline so that the data starts at a multiple of 64 bytes, then the
/// elements in C (row-major) order, little-endian. An `.npz` file is a ZIP archive of such files
/// named `<key>.npy` (stored, not compressed); `numpy.load` gives them back under `<key>`.
public enum NumpyArchive {
    /// The alignment NumPy pads headers to.
    static let alignment = 64

    /// An `.npy` file of float32 (`<f4`) values of `shape`.
    public static func npy(shape: [Int], values: [Float]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "NumpyArchive: \(values.count) values for shape \(shape)")
        var bytes = header(descriptor: "<f4", shape: shape)
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// An `.npy` file of int64 (`<i8`) values of `shape`.
    public static func npy(shape: [Int], integers: [Int64]) -> [UInt8] {
        precondition(shape.reduce(1, *) == integers.count, "NumpyArchive: \(integers.count) values for shape \(shape)")
        var bytes = header(descriptor: "<i8", shape: shape)
        for integer in integers {
            withUnsafeBytes(of: integer.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The `.npz` archive of `arrays` (each an `.npy` file), stored under `<name>.npy`.
    ///
    /// - Throws: `WeftError` when the archive would exceed what ZIP holds without ZIP64.
    public static func npz(_ arrays: [(name: String, npy: [UInt8])]) throws -> [UInt8] {
        try ZipArchive.stored(arrays.map { (name: $0.name + ".npy", bytes: $0.npy) })
    }

    /// Magic, version 1.0, length and the padded header dict.
    static func header(descriptor: String, shape: [Int]) -> [UInt8] {
        let dimensions = shape.map(String.init).joined(separator: ", ")
        let tuple = shape.count == 1 ? "(\(dimensions),)" : "(\(dimensions))"
        var dictionary = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(tuple), }"
        let prefix = 10  // magic (6) + version (2) + length (2)
        let padding = alignment - (prefix + dictionary.utf8.count + 1) % alignment
        dictionary += String(repeating: " ", count: padding % alignment) + "\n"
        precondition(dictionary.utf8.count <= Int(UInt16.max), "NumpyArchive: header too long for format 1.0")
        let length = UInt16(dictionary.utf8.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dictionary.utf8)
    }
}
