/// One array of a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0, as `numpy.save` writes
/// them): the element type, the shape and the raw little- or big-endian bytes.
///
/// Layout: the magic `\x93NUMPY`, the major and minor version bytes, the header length
/// (2 bytes little-endian in version 1, 4 bytes in versions 2 and 3), then the header: a Python
/// dict literal such as `{'descr': '<i8', 'fortran_order': False, 'shape': (3, 4), }` padded with
/// spaces to a multiple of 64 bytes and ended by a newline (Latin-1 in 1 and 2, UTF-8 in 3), then
/// the elements in C order. The header is read by a strict small parser that accepts exactly the
/// three keys `numpy.lib.format` writes; nothing is evaluated.
///
/// Element types: unsigned and signed integers of 1, 2, 4 and 8 bytes (`|u1`, `<i8`, `>u2`, …).
/// Floats, booleans, strings, structured and object (pickled) arrays are refused, as are
/// Fortran-ordered arrays.
public struct NumpyArray: Equatable, Sendable {
    /// An integer element type.
    public struct ElementType: Equatable, Sendable, CustomStringConvertible {
        /// Whether the integers are signed (`i`) or unsigned (`u`).
        public let isSigned: Bool
        /// Bytes per element: 1, 2, 4 or 8.
        public let size: Int
        /// Whether multi-byte elements are big-endian (`>`).
        public let isBigEndian: Bool

        /// NumPy's name: `uint8`, `int64`, ….
        public var description: String { "\(isSigned ? "int" : "uint")\(size * 8)" }
        public static let uint8 = ElementType(isSigned: false, size: 1, isBigEndian: false)
    }

    /// What messages call the array (`"mnist.npz: array \"x_train\""`, or a file name).
    public let name: String
    public let elementType: ElementType
    /// The dimensions, outermost first; `[]` for a scalar.
    public let shape: [Int]
    /// The elements' bytes in C (row-major) order, `shape.product * elementType.size` of them.
    public let bytes: [UInt8]

    /// The number of elements.
    public var count: Int { bytes.count / elementType.size }

    /// What the reader of an array needs its elements to be.
    public enum Expectation: Sendable {
        /// Integers of any supported type (labels).
        case integers
        /// `uint8` (images); anything else is refused with a hint to convert.
        case uint8
    }

    /// The longest header read (NumPy's own default limit is 10,000 bytes).
    public static let maximumHeaderBytes = 65_536

    /// Parses the bytes of a `.npy` file.
    ///
    /// - Parameters:
    ///   - contents: the whole file.
    ///   - name: what messages call the array, e.g. `mnist.npz: array "x_train"`.
    ///   - expecting: `.uint8` to refuse every other element type with a hint to convert.
    /// - Throws: `WeftError` naming the array for a bad magic or version, a malformed header, an
    ///   unsupported element type, Fortran order, or a shape that overflows or disagrees with the
    ///   data length.
    public init(contents: [UInt8], name: String, expecting: Expectation = .integers) throws {
        self.name = name
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard contents.count >= 10, Array(contents[0..<6]) == magic else {
            throw WeftError(
                "\(name): not a NumPy .npy array (it does not start with \\x93NUMPY); write it with numpy.save or numpy.savez"
            )
        }
        let major = contents[6], minor = contents[7]
        guard (1...3).contains(major), minor == 0 else {
            throw WeftError(
                "\(name): .npy format version \(major).\(minor) is not supported (1.0, 2.0 and 3.0 are); save it again with numpy.save"
            )
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard contents.count >= 8 + lengthBytes else {
            throw WeftError("\(name): the .npy header is truncated; the array is damaged, save it again")
        }
        var headerLength = 0
        for index in 0..<lengthBytes { headerLength |= Int(contents[8 + index]) << (8 * index) }
        let headerStart = 8 + lengthBytes
        guard headerLength <= Self.maximumHeaderBytes else {
            throw WeftError(
                "\(name): the .npy header claims \(headerLength) bytes, more than the \(Self.maximumHeaderBytes) allowed; the array is damaged"
            )
        }
        guard headerLength <= contents.count - headerStart else {
            throw WeftError(
                "\(name): the .npy header claims \(headerLength) bytes but only \(contents.count - headerStart) follow; the array is truncated"
            )
        }
        let header = Array(contents[headerStart..<(headerStart + headerLength)])
        let parsed = try NumpyHeader(header, name: name, isUTF8: major == 3)
        if expecting == .uint8, !["|u1", "<u1", ">u1", "=u1"].contains(parsed.descr) {
            throw WeftError(
                "\(name): images must be uint8 (0 to 255), this array is \(Self.numpyName(parsed.descr)) ('\(parsed.descr)'); convert with x.astype(np.uint8) before saving (multiply 0-1 floats by 255 first)"
            )
        }
        self.elementType = try Self.elementType(parsed.descr, name: name)
        guard !parsed.fortranOrder else {
            throw WeftError(
                "\(name): the array is stored in Fortran order (fortran_order: True); save numpy.ascontiguousarray(x) instead"
            )
        }
        self.shape = parsed.shape
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw WeftError(
                    "\(name): the shape \(Self.describe(shape)) has more elements than can be counted; the header is damaged"
                )
            }
            elements = product
        }
        let dataStart = headerStart + headerLength
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: elementType.size)
        guard !overflow, byteCount == contents.count - dataStart else {
            throw WeftError(
                "\(name): the shape \(Self.describe(shape)) of \(elementType) needs \(overflow ? "more than \(Int.max)" : "\(byteCount)") bytes but the array holds \(contents.count - dataStart); the array is truncated or damaged"
            )
        }
        self.bytes = Array(contents[dataStart...])
    }

    /// An array from its parts (for tests and writers); `bytes` must fill `shape`.
    public init(name: String, elementType: ElementType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) * elementType.size == bytes.count, "NumpyArray: bytes do not fill the shape")
        self.name = name
        self.elementType = elementType
        self.shape = shape
        self.bytes = bytes
    }

    /// The elements as `Int`s.
    ///
    /// - Throws: `WeftError` naming the array when a `uint64` element is larger than `Int.max`.
    public func integers() throws -> [Int] {
        let size = elementType.size, bigEndian = elementType.isBigEndian, signed = elementType.isSigned
        var result = [Int](repeating: 0, count: count)
        for index in 0..<count {
            var raw: UInt64 = 0
            for byte in 0..<size {
                let value = UInt64(bytes[index * size + byte])
                raw |= value << (8 * UInt64(bigEndian ? size - 1 - byte : byte))
            }
            if signed {
                let shift = UInt64(64 - 8 * size)
                result[index] = Int(Int64(bitPattern: raw << shift) >> Int64(shift))
            } else {
                guard raw <= UInt64(Int.max) else {
                    throw WeftError(
                        "\(name): element \(index) is \(raw), too large for a label; store class indices")
                }
                result[index] = Int(raw)
            }
        }
        return result
    }

    /// `(2, 28, 28)`, as NumPy prints shapes.
    public static func describe(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// NumPy's name of a `descr` such as `<f4` (`float32`), or the `descr` itself.
    static func numpyName(_ descr: String) -> String {
        let characters = Array(descr)
        guard characters.count >= 3, characters.count <= 5, "<>|=".contains(characters[0]),
            let size = Int(String(characters[2...])), (1...16).contains(size)
        else {
            return descr
        }
        let kinds: [Character: String] = ["f": "float", "i": "int", "u": "uint", "c": "complex"]
        if let kind = kinds[characters[1]] { return "\(kind)\(size * 8)" }
        if characters[1] == "b" { return "bool" }
        return descr
    }

    /// The element type a `descr` string names.
    private static func elementType(_ descr: String, name: String) throws -> ElementType {
        let characters = Array(descr)
        let names: [String: String] = [
            "f": "floating point", "c": "complex", "b": "bool", "O": "object (pickled Python objects)",
            "U": "unicode string", "S": "byte string", "V": "raw or structured", "M": "datetime", "m": "timedelta"
        ]
        if characters.count == 3, "<>|=".contains(characters[0]), characters[1] == "u" || characters[1] == "i",
            let size = Int(String(characters[2])), [1, 2, 4, 8].contains(size), size == 1 || characters[0] != "|"
        {
            return ElementType(isSigned: characters[1] == "i", size: size, isBigEndian: characters[0] == ">")
        }
        let kind = characters.count >= 2 && "<>|=".contains(characters[0]) ? String(characters[1]) : descr
        let what = names[kind].map { "\($0) elements" } ?? "elements of type '\(descr)'"
        throw WeftError(
            "\(name): the array holds \(what) ('\(descr)'), but only integer arrays can be read (uint8 images, integer labels); convert it with astype before saving"
        )
    }
}
