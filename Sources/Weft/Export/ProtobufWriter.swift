/// The few Protocol Buffers encodings an ONNX file needs (protobuf's wire format, as documented
/// at protobuf.dev/programming-guides/encoding): each field is a key `fieldNumber << 3 | wireType`
/// as a varint, then its value — a varint (wire type 0: integers, enums, booleans), four
/// little-endian bytes (wire type 5: `float`), or a varint length and that many bytes (wire
/// type 2: strings, bytes, nested messages). Repeated fields repeat their key.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    /// Appends `value` as a base-128 varint, least significant group first.
    mutating func varint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    private mutating func key(_ field: Int, wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    /// An `int64`/`int32`/enum field (negative numbers take ten bytes, as protobuf encodes them).
    mutating func integer(_ field: Int, _ value: Int64) {
        key(field, wireType: 0)
        varint(UInt64(bitPattern: value))
    }

    /// A `float` field.
    mutating func float(_ field: Int, _ value: Float) {
        key(field, wireType: 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `bytes` field.
    mutating func data(_ field: Int, _ value: [UInt8]) {
        key(field, wireType: 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8).
    mutating func string(_ field: Int, _ value: String) {
        data(field, Array(value.utf8))
    }

    /// A nested message field, written by `body`.
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        body(&nested)
        data(field, nested.bytes)
    }
}
