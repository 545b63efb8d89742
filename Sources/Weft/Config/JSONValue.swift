import Foundation

/// A parsed JSON document that keeps the order of object keys, so a resolved config is written
/// back in the order a person wrote it.
///
/// Not `indirect`: lists and objects keep their children in arrays already, so a scalar costs no
/// allocation of its own (a header of millions of small values reads in half the time).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// A float32 value as the shortest decimal that reads back as the same float
    /// (`0.1`, not `0.10000000149011612`).
    public static func float(_ value: Float) -> JSONValue {
        .number(Double(value.description) ?? Double(value))
    }

    /// The value of `key` in an object, or nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// A short description of the value for error messages: `-1`, `"abc"`, `an object`.
    public var summary: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return String(flag)
        case .number(let number): return JSONValue.format(number)
        case .string(let text): return "\"\(text)\""
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    static func format(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    /// The JSON text, indented by two spaces per level when `pretty`.
    public func serialized(pretty: Bool = true) -> String {
        var text = ""
        write(into: &text, indent: pretty ? 0 : nil)
        return text
    }

    private func write(into text: inout String, indent: Int?) {
        let newline = indent.map { "\n" + String(repeating: "  ", count: $0 + 1) } ?? ""
        let closing = indent.map { "\n" + String(repeating: "  ", count: $0) } ?? ""
        let inner = indent.map { $0 + 1 }
        switch self {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .number(let number): text += number.isFinite ? JSONValue.format(number) : "null"
        case .string(let string): text += JSONValue.quote(string)
        case .array(let items):
            if items.isEmpty { text += "[]"; return }
            let scalarsOnly = items.allSatisfy {
                if case .object = $0 { return false }; if case .array = $0 { return false }; return true
            }
            text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { text += scalarsOnly || indent == nil ? ", " : "," }
                if !scalarsOnly { text += newline }
                item.write(into: &text, indent: inner)
            }
            text += scalarsOnly ? "]" : closing + "]"
        case .object(let members):
            if members.isEmpty { text += "{}"; return }
            text += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { text += indent == nil ? ", " : "," }
                text += newline + JSONValue.quote(member.key) + ": "
                member.value.write(into: &text, indent: inner)
            }
            text += closing + "}"
        }
    }

    static func quote(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let c where c.value < 0x20: result += String(format: "\\u%04x", c.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
