/// A strict JSON parser (RFC 8259) that keeps key order, refuses duplicate keys, and reports
/// errors by line, column and JSON path.
///
/// It runs in time linear in the input: duplicate keys are found with a hashed set once an
/// object has more than a few members, strings without escapes are decoded in one pass, and no
/// step rescans what came before. Hostile but well-formed input is bounded by `Limits`: nesting
/// depth, the length of a number and the length of a string, each refused with a clear error.
public struct JSONParser {
    /// What a document may hold before it is refused.
    public struct Limits: Sendable {
        /// The deepest nesting of objects and lists.
        public var maximumDepth: Int
        /// The most characters a number may have (a double needs at most 17 significant digits;
        /// a longer number is almost certainly hostile, and converting it costs time).
        public var maximumNumberLength: Int
        /// The most bytes a string may have once decoded.
        public var maximumStringBytes: Int

        public init(maximumDepth: Int = 200, maximumNumberLength: Int = 1000, maximumStringBytes: Int = 64 << 20) {
            self.maximumDepth = maximumDepth
            self.maximumNumberLength = maximumNumberLength
            self.maximumStringBytes = maximumStringBytes
        }

        /// 200 levels, numbers of up to 1,000 characters, strings of up to 64 MiB (the safetensors
        /// header cap, so every header Weft writes reads back).
        public static let standard = Limits()
    }

    /// Where and why a document was refused, without the file's name (see `parse(bytes:limits:)`).
    public struct Failure: Error, CustomStringConvertible {
        /// 1-based line and column (in bytes) of the offending text.
        public let line: Int
        public let column: Int
        /// The JSON path of the innermost member or item holding the error (`model.layers[3]`),
        /// empty at the top level.
        public let path: String
        /// What is wrong: `duplicate key "a"`.
        public let problem: String
        /// What to do about it: `fix the JSON syntax`.
        public let fix: String

        /// `line 3, column 7, at model.layers[3]: duplicate key "a"` (no fix).
        public var place: String {
            "line \(line), column \(column)" + (path.isEmpty ? "" : ", at \(path)")
        }

        public var description: String { "\(place): \(problem); \(fix)" }
    }

    private let bytes: [UInt8]
    private let limits: Limits
    private var position = 0
    private var depth = 0

    /// Objects with more members than this check duplicates with a hashed set; smaller ones
    /// compare keys directly (no allocation for the many two- and three-member objects).
    private static let linearKeyCheckLimit = 12

    /// Parses `text`; `source` names the file in error messages.
    ///
    /// - Throws: `WeftError` `"<source>: line L, column C[, at PATH]: <problem>; <fix>"`.
    public static func parse(_ text: String, source: String, limits: Limits = .standard) throws -> JSONValue {
        do {
            return try parse(bytes: Array(text.utf8), limits: limits)
        } catch let failure as Failure {
            throw WeftError("\(source): \(failure)")
        }
    }

    /// Parses UTF-8 `bytes` (invalid sequences inside strings become U+FFFD).
    ///
    /// - Throws: `Failure`, for callers that word the error themselves.
    public static func parse(bytes: [UInt8], limits: Limits = .standard) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, limits: limits)
        do {
            let value = try parser.parseValue()
            parser.skipWhitespace()
            guard parser.position == parser.bytes.count else {
                throw parser.syntax("unexpected text after the JSON value")
            }
            return value
        } catch let error as Located {
            let (line, column) = parser.lineAndColumn(of: error.position)
            throw Failure(
                line: line, column: column, path: JSONParser.describe(error.path), problem: error.problem,
                fix: error.fix)
        }
    }

    private init(bytes: [UInt8], limits: Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    // MARK: - errors

    /// One step of a JSON path, innermost first while an error travels outwards.
    private enum Step { case key(String), index(Int) }

    private struct Located: Error {
        let problem: String
        let fix: String
        let position: Int
        var path: [Step] = []
    }

    private func syntax(_ problem: String, at offset: Int? = nil) -> Located {
        Located(problem: problem, fix: "fix the JSON syntax", position: offset ?? position)
    }

    /// `model.layers[3].kernel` from the steps (innermost first); long paths keep their end.
    private static func describe(_ innermostFirst: [Step]) -> String {
        let shown = 8
        var text = innermostFirst.count > shown ? "…" : ""
        for (index, step) in innermostFirst.prefix(shown).reversed().enumerated() {
            switch step {
            case .key(let key):
                let short = key.count > 40 ? String(key.prefix(40)) + "…" : key
                text += (index == 0 && text.isEmpty ? "" : ".") + short
            case .index(let item):
                text += "[\(item)]"
            }
        }
        return text
    }

    private func lineAndColumn(of offset: Int) -> (Int, Int) {
        var line = 1, lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        return (line, offset - lineStart + 1)
    }

    // MARK: - values

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw syntax("unexpected end of file") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw syntax("unexpected character '\(Character(UnicodeScalar(bytes[position])))'")
        }
    }

    private mutating func expectWord(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw syntax("expected \(word)") }
        for index in 0..<count where bytes[position + index] != word.utf8Start[index] {
            throw syntax("expected \(word)")
        }
        position += count
    }

    private mutating func enter() throws {
        depth += 1
        if depth > limits.maximumDepth {
            throw Located(
                problem: "the JSON is nested deeper than \(limits.maximumDepth) levels",
                fix: "no Weft file nests that deep; check that this is the intended file", position: position)
        }
    }

    private mutating func parseObject() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen: Set<String> = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw syntax("expected a quoted key")
            }
            let keyPosition = position
            let key = try parseString()
            if members.count < JSONParser.linearKeyCheckLimit {
                if members.contains(where: { $0.key == key }) {
                    throw syntax("duplicate key \"\(key)\"", at: keyPosition)
                }
            } else {
                if seen.isEmpty { seen = Set(members.lazy.map(\.key)) }
                if !seen.insert(key).inserted { throw syntax("duplicate key \"\(key)\"", at: keyPosition) }
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw syntax("expected ':' after the key")
            }
            position += 1
            do {
                members.append((key, try parseValue()))
            } catch var error as Located {
                error.path.append(.key(key))
                throw error
            }
            skipWhitespace()
            guard position < bytes.count else { throw syntax("unexpected end of file inside an object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            throw syntax("expected ',' or '}'")
        }
    }

    private mutating func parseArray() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            do {
                items.append(try parseValue())
            } catch var error as Located {
                error.path.append(.index(items.count))
                throw error
            }
            skipWhitespace()
            guard position < bytes.count else { throw syntax("unexpected end of file inside a list") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw syntax("expected ',' or ']'")
        }
    }

    // MARK: - strings

    private func tooLong(_ start: Int) -> Located {
        Located(
            problem: "a string longer than \(limits.maximumStringBytes) bytes",
            fix: "shorten it (Weft reads strings of up to \(limits.maximumStringBytes) bytes)", position: start)
    }

    /// The string starting at the opening quote under `position`.
    private mutating func parseString() throws -> String {
        let start = position
        position += 1
        // Most strings have no escape: decode them straight from the input.
        let contentStart = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                guard position - contentStart <= limits.maximumStringBytes else { throw tooLong(start) }
                let text = String(decoding: bytes[contentStart..<position], as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            position += 1
        }
        var decoded = Array(bytes[contentStart..<position])
        while position < bytes.count {
            guard decoded.count <= limits.maximumStringBytes else { throw tooLong(start) }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { throw syntax("unterminated string", at: start) }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hexEscape()
                    // A UTF-16 surrogate pair (\uD83D\uDC55) makes one scalar.
                    if (0xD800...0xDBFF).contains(code), position + 6 <= bytes.count,
                        bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                    {
                        let saved = position
                        position += 2
                        let low = try hexEscape()
                        if (0xDC00...0xDFFF).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = saved
                        }
                    }
                    decoded.append(contentsOf: String(UnicodeScalar(code) ?? "\u{FFFD}").utf8)
                default:
                    throw syntax("invalid escape in a string", at: position - 2)
                }
            case 0..<0x20:
                throw syntax("control character inside a string")
            default:
                decoded.append(byte)
                position += 1
            }
        }
        throw syntax("unterminated string", at: start)
    }

    /// The four hex digits after `\u`.
    private mutating func hexEscape() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw syntax("invalid \\u escape") }
        var code: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw syntax("invalid \\u escape")
            }
            code = code << 4 | UInt32(digit)
        }
        position += 4
        return code
    }

    // MARK: - numbers

    private func isDigit(_ offset: Int) -> Bool {
        offset < bytes.count && bytes[offset] >= UInt8(ascii: "0") && bytes[offset] <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while isDigit(position) { position += 1 }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as RFC 8259 writes it.
    private mutating func parseNumber() throws -> Double {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let invalid = { (parser: JSONParser) -> Located in
            let text = String(
                decoding: parser.bytes[start..<min(parser.position + 1, parser.bytes.count)].prefix(40),
                as: UTF8.self)
            return parser.syntax("invalid number \(text)", at: start)
        }
        guard isDigit(position) else { throw invalid(self) }
        if bytes[position] == UInt8(ascii: "0") { position += 1 } else { skipDigits() }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard isDigit(position) else { throw invalid(self) }
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard isDigit(position) else { throw invalid(self) }
            skipDigits()
        }
        guard position - start <= limits.maximumNumberLength else {
            let problem =
                "a number of \(position - start) characters, more than the \(limits.maximumNumberLength) allowed"
            throw Located(
                problem: problem,
                fix: "write it with fewer digits (17 significant digits are exact for a double)", position: start)
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            throw syntax("the number \(text.prefix(40)) is outside the range of a double", at: start)
        }
        return number
    }
}
