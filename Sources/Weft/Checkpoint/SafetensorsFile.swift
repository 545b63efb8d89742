import Foundation

/// A safetensors file of float32 (and, for exports and imports, int64) tensors with string
/// metadata, as the `safetensors` library defines it: an 8-byte little-endian header length `N`, `N` bytes of JSON header (padded with
/// spaces to a multiple of 8), then the raw little-endian tensor data, each tensor at
/// `data_offsets` `[begin, end)` relative to the data's start, contiguous and in header order.
///
/// Weft adds two integrity checks in `__metadata__`: `dataCrc32`, the CRC-32 of the data section,
/// and `headerCrc32`, the CRC-32 of the header text with that field's eight hex digits replaced by
/// zeros. Reading checks every length, offset, shape and checksum before it allocates a tensor.
public struct SafetensorsFile {
    /// The element types Weft reads and writes: `F32` everywhere, and `I64` only where PyTorch
    /// uses it (`num_batches_tracked` in exports and imports; checkpoints are all `F32`).
    public enum DataType: String, Sendable, CaseIterable {
        case float32 = "F32"
        case int64 = "I64"

        /// Bytes per element.
        public var byteCount: Int { self == .float32 ? 4 : 8 }
    }

    /// One named tensor.
    public struct Entry: Equatable {
        public let name: String
        public let shape: [Int]
        public let dataType: DataType
        /// The elements, row-major; for an `I64` tensor, its integers converted to float32.
        public let values: [Float]
        /// The elements of an `I64` tensor (empty for `F32`).
        public let integers: [Int64]

        /// A float32 tensor.
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.dataType = .float32
            self.values = values
            self.integers = []
        }

        /// An int64 tensor.
        public init(name: String, shape: [Int], integers: [Int64]) {
            self.name = name
            self.shape = shape
            self.dataType = .int64
            self.values = integers.map { Float($0) }
            self.integers = integers
        }
    }

    public var metadata: [(key: String, value: String)]
    public var entries: [Entry]

    /// The largest header accepted, in bytes.
    public static let maximumHeaderBytes = 64 << 20

    public init(metadata: [(key: String, value: String)], entries: [Entry]) {
        self.metadata = metadata
        self.entries = entries
    }

    /// The metadata value for `key`.
    public func metadata(_ key: String) -> String? {
        metadata.first { $0.key == key }?.value
    }

    /// The tensor named `name` (a linear search: for many lookups use `entriesByName()`).
    public func entry(_ name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// The tensors by name, for looking many of them up (names are unique in a decoded file).
    public func entriesByName() -> [String: Entry] {
        Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: - writing

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(entries.reduce(0) { $0 + $1.dataType.byteCount * $1.values.count })
        var tensorMembers: [(key: String, value: JSONValue)] = []
        for entry in entries {
            precondition(
                entry.shape.reduce(1, *) == entry.values.count,
                "SafetensorsFile: \(entry.name) has \(entry.values.count) values for shape \(entry.shape)")
            let begin = data.count
            switch entry.dataType {
            case .float32:
                for value in entry.values {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
                }
            case .int64:
                for integer in entry.integers {
                    withUnsafeBytes(of: integer.littleEndian) { data.append(contentsOf: $0) }
                }
            }
            tensorMembers.append(
                (
                    entry.name,
                    .object([
                        ("dtype", .string(entry.dataType.rawValue)),
                        ("shape", .array(entry.shape.map { .number(Double($0)) })),
                        ("data_offsets", .array([.number(Double(begin)), .number(Double(data.count))]))
                    ])
                ))
        }
        let dataCrc = CRC32.checksum(data)
        var meta = metadata.filter { $0.key != "dataCrc32" && $0.key != "headerCrc32" }
            .map { (key: $0.key, value: JSONValue.string($0.value)) }
        meta.append(("dataCrc32", .string(SafetensorsFile.hex(dataCrc))))
        meta.append(("headerCrc32", .string("00000000")))
        var header = JSONValue.object([("__metadata__", .object(meta))] + tensorMembers).serialized(pretty: false)
        while header.utf8.count % 8 != 0 { header += " " }
        let headerCrc = CRC32.checksum(Array(header.utf8))
        header = header.replacingOccurrences(
            of: "\"headerCrc32\": \"00000000\"",
            with: "\"headerCrc32\": \"\(SafetensorsFile.hex(headerCrc))\"")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.utf8.count + data.count)
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.utf8)
        bytes.append(contentsOf: data)
        return bytes
    }

    /// Writes the file atomically (see `AtomicFile`).
    public func write(to path: String) throws {
        try AtomicFile.write(encoded(), to: path)
    }

    // MARK: - reading

    /// What a damaged Weft checkpoint's error message advises.
    public static let checkpointAdvice =
        "the file is damaged or not a Weft checkpoint — use another checkpoint (the run folder keeps the previous ones)"

    /// Reads and validates the file at `path`; with `requireChecksums` (Weft's own files) both
    /// CRC-32 fields must be present and match.
    ///
    /// - Parameters:
    ///   - allowedTypes: the element types accepted; any other tensor is refused (checkpoints
    ///     accept only `F32`).
    ///   - advice: what an error about a damaged file tells the reader to do.
    public static func read(
        path: String, requireChecksums: Bool = false, allowedTypes: Set<DataType> = [.float32],
        advice: String = checkpointAdvice
    ) throws -> SafetensorsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WeftError("\(path): cannot read the file; check the path and permissions")
        }
        return try decode(
            Array(data), name: path, requireChecksums: requireChecksums, allowedTypes: allowedTypes, advice: advice)
    }

    /// Validates and decodes `bytes`; `name` names the file in errors. See `read(path:...)`.
    public static func decode(
        _ bytes: [UInt8], name: String, requireChecksums: Bool = false,
        allowedTypes: Set<DataType> = [.float32], advice: String = checkpointAdvice
    ) throws -> SafetensorsFile {
        func damaged(_ what: String) -> WeftError {
            WeftError("\(name): \(what); \(advice)")
        }
        guard bytes.count >= 8 else { throw damaged("only \(bytes.count) bytes, too short for a safetensors header") }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * UInt64($1.offset))
        }
        guard headerLength >= 2, headerLength <= UInt64(min(maximumHeaderBytes, bytes.count - 8)) else {
            throw damaged(
                "the header claims \(headerLength) bytes but the file has \(bytes.count - 8) after the length field")
        }
        let headerBytes = Array(bytes[8..<(8 + Int(headerLength))])
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw damaged("the header is not UTF-8 text")
        }
        let header: JSONValue
        do {
            header = try JSONParser.parse(bytes: headerBytes)
        } catch let failure as JSONParser.Failure {
            throw damaged("the header is not valid JSON (\(failure.place): \(failure.problem))")
        }
        guard case .object(let members) = header else { throw damaged("the header is not a JSON object") }
        let dataStart = 8 + Int(headerLength)
        let dataCount = bytes.count - dataStart

        var metadata: [(key: String, value: String)] = []
        if let meta = header["__metadata__"] {
            guard case .object(let pairs) = meta else { throw damaged("__metadata__ is not an object") }
            metadata.reserveCapacity(pairs.count)
            for pair in pairs {
                guard case .string(let value) = pair.value else {
                    throw damaged("__metadata__.\(pair.key) is not a string")
                }
                metadata.append((pair.key, value))
            }
        }
        let storedHeaderCrc = metadata.first(where: { $0.key == "headerCrc32" })?.value
        let storedDataCrc = metadata.first(where: { $0.key == "dataCrc32" })?.value
        if requireChecksums, storedHeaderCrc == nil || storedDataCrc == nil {
            throw damaged("the header has no CRC-32 fields")
        }
        if let stored = storedHeaderCrc {
            let isHexDigit = { (byte: UInt8) in (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) }
            guard stored.utf8.count == 8, stored.utf8.allSatisfy(isHexDigit),
                hex(CRC32.checksum(zeroingHeaderCrc(in: headerBytes, stored: stored))) == stored
            else {
                throw damaged("the header's CRC-32 does not match (it was altered)")
            }
        }

        struct Layout { let name: String; let shape: [Int]; let dataType: DataType; let begin: Int; let end: Int }
        var layouts: [Layout] = []
        let accepted = DataType.allCases.filter { allowedTypes.contains($0) }.map(\.rawValue).joined(separator: " or ")
        for member in members where member.key != "__metadata__" {
            guard case .string(let dtype)? = member.value["dtype"], let dataType = DataType(rawValue: dtype),
                allowedTypes.contains(dataType)
            else {
                let found = member.value["dtype"].map { $0.summary } ?? "none"
                throw damaged("tensor \(member.key) has dtype \(found), but only \(accepted) is read here")
            }
            guard case .array(let shapeValues)? = member.value["shape"], shapeValues.count <= 8 else {
                throw damaged("tensor \(member.key) has no valid shape")
            }
            var shape: [Int] = [], elements = 1
            for value in shapeValues {
                guard case .number(let number) = value, number >= 0, number == number.rounded(),
                    number <= Double(dataCount)
                else {
                    throw damaged("tensor \(member.key) has an impossible dimension")
                }
                shape.append(Int(number))
                elements =
                    elements.multipliedReportingOverflow(by: Int(number)).overflow ? Int.max : elements * Int(number)
            }
            guard case .array(let offsets)? = member.value["data_offsets"], offsets.count == 2,
                case .number(let begin) = offsets[0], case .number(let end) = offsets[1],
                begin >= 0, begin <= end, end <= Double(dataCount), begin == begin.rounded(), end == end.rounded()
            else {
                throw damaged("tensor \(member.key) has data offsets outside the \(dataCount) data bytes")
            }
            let size = dataType.byteCount
            guard elements <= dataCount / size, Int(end) - Int(begin) == elements * size else {
                throw damaged(
                    "tensor \(member.key) of shape \(shape) does not match its \(Int(end) - Int(begin)) data bytes")
            }
            layouts.append(Layout(name: member.key, shape: shape, dataType: dataType, begin: Int(begin), end: Int(end)))
        }
        var position = 0
        for layout in layouts.sorted(by: { $0.begin < $1.begin }) {
            guard layout.begin == position else {
                throw damaged("the tensors' data overlap or leave gaps (at \(layout.name))")
            }
            position = layout.end
        }
        guard position == dataCount else {
            throw damaged("the data section has \(dataCount) bytes but the tensors cover \(position)")
        }
        let data = bytes[dataStart...]
        if let stored = storedDataCrc {
            guard hex(CRC32.checksum(data)) == stored else {
                throw damaged("the data's CRC-32 does not match (the tensors were altered or cut)")
            }
        }
        let entries = layouts.map { layout -> Entry in
            var offset = dataStart + layout.begin
            func word(_ count: Int) -> UInt64 {
                var bits: UInt64 = 0
                for index in 0..<count { bits |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
                offset += count
                return bits
            }
            switch layout.dataType {
            case .float32:
                let values = (0..<((layout.end - layout.begin) / 4)).map { _ in Float(bitPattern: UInt32(word(4))) }
                return Entry(name: layout.name, shape: layout.shape, values: values)
            case .int64:
                let integers = (0..<((layout.end - layout.begin) / 8)).map { _ in Int64(bitPattern: word(8)) }
                return Entry(name: layout.name, shape: layout.shape, integers: integers)
            }
        }
        return SafetensorsFile(metadata: metadata, entries: entries)
    }

    // MARK: - checksums

    /// `header` with every `"headerCrc32": "<stored>"` field's digits replaced by zeros, as the
    /// writer had it when it computed the checksum (`stored` is eight hex digits, so the scan is
    /// linear).
    static func zeroingHeaderCrc(in header: [UInt8], stored: String) -> [UInt8] {
        let pattern = Array("\"headerCrc32\": \"\(stored)\"".utf8)
        let zeros = Array("\"headerCrc32\": \"00000000\"".utf8)
        var result = header
        var index = 0
        while index + pattern.count <= header.count {
            if header[index] == pattern[0], header[index..<index + pattern.count].elementsEqual(pattern) {
                result.replaceSubrange(index..<index + pattern.count, with: zeros)
                index += pattern.count
            } else {
                index += 1
            }
        }
        return result
    }

    static func hex(_ value: UInt32) -> String {
        String(format: "%08x", value)
    }
}

/// A safetensors tensor is what a model's weights load from (`WeightMatch`).
extension SafetensorsFile.Entry: SavedWeight {}
