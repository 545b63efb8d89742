/// A JSON value at a known place in a known file. Every accessor turns a wrong value into a
/// `WeftError` that names the file, the JSON path and what was expected:
/// `Configs/x.json: model.layers[3].kernel: must be an integer from 1 to 1024, got -1`.
public struct ConfigNode {
    public let value: JSONValue
    /// The JSON path, e.g. `model.layers[3].kernel` (empty at the root).
    public let path: String
    /// The file (or `--set` option) the value came from.
    public let source: String

    public init(value: JSONValue, path: String = "", source: String) {
        self.value = value
        self.path = path
        self.source = source
    }

    /// An error about this value.
    public func error(_ message: String) -> WeftError {
        WeftError(path.isEmpty ? "\(source): \(message)" : "\(source): \(path): \(message)")
    }

    /// This value as an object whose keys will be checked.
    public func object() throws -> ConfigObject {
        guard case .object(let members) = value else { throw error("must be an object {...}, got \(value.summary)") }
        return ConfigObject(node: self, members: members)
    }

    /// This value as a list of nodes.
    public func array(minimumCount: Int = 0, maximumCount: Int = 100_000) throws -> [ConfigNode] {
        guard case .array(let items) = value else { throw error("must be a list [...], got \(value.summary)") }
        guard items.count >= minimumCount else {
            throw error("must have at least \(minimumCount) item\(minimumCount == 1 ? "" : "s"), got \(items.count)")
        }
        guard items.count <= maximumCount else {
            throw error("must have at most \(maximumCount) items, got \(items.count)")
        }
        return items.enumerated().map { ConfigNode(value: $0.element, path: "\(path)[\($0.offset)]", source: source) }
    }

    /// An integer in `range`.
    public func int(_ range: ClosedRange<Int>) throws -> Int {
        let expectation =
            range.lowerBound == 1 && range.upperBound >= 1 << 40
            ? "a positive integer"
            : range.lowerBound == 0 && range.upperBound >= 1 << 40
                ? "a non-negative integer"
                : "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .number(let number) = value, number == number.rounded(), abs(number) < 9e15 else {
            throw error("must be \(expectation), got \(value.summary)")
        }
        guard range.contains(Int(number)) else { throw error("must be \(expectation), got \(value.summary)") }
        return Int(number)
    }

    /// A number in `range` (closed unless `openAbove`).
    public func float(_ range: ClosedRange<Double>, openAbove: Bool = false) throws -> Float {
        let expectation =
            "a number from \(JSONValue.format(range.lowerBound)) to \(JSONValue.format(range.upperBound))\(openAbove ? " (exclusive)" : "")"
        guard case .number(let number) = value, range.contains(number), !(openAbove && number == range.upperBound)
        else {
            throw error("must be \(expectation), got \(value.summary)")
        }
        return Float(number)
    }

    /// A number in `range` (closed unless `openAbove`), kept in Double (for rates PyTorch keeps
    /// as Python floats, such as a decay of 0.999).
    public func double(_ range: ClosedRange<Double>, openAbove: Bool = false) throws -> Double {
        let rounded = try float(range, openAbove: openAbove)
        guard case .number(let number) = value else { return Double(rounded) }
        return number
    }

    /// true or false.
    public func bool() throws -> Bool {
        guard case .bool(let flag) = value else { throw error("must be true or false, got \(value.summary)") }
        return flag
    }

    /// A non-empty string, one of `choices` when given.
    public func string(oneOf choices: [String]? = nil) throws -> String {
        guard case .string(let text) = value, !text.isEmpty else {
            throw error("must be a non-empty string, got \(value.summary)")
        }
        if let choices, !choices.contains(text) {
            throw error("must be one of \(choices.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(text)\"")
        }
        return text
    }
}

/// The members of a JSON object being read. Keys are marked as they are read; `finish()`
/// refuses any key left over (a typo), suggesting the closest known key. Lookups are hashed
/// once the object is large, so reading an object of n members costs O(n), not O(n²).
public final class ConfigObject {
    public let node: ConfigNode
    private let members: [(key: String, value: JSONValue)]
    /// The keys readers asked for, in the order they asked (for suggestions), and as a set.
    private var known: [String] = []
    private var knownSet: Set<String> = []
    /// The position of each key, built on the first lookup in a large object.
    private var index: [String: Int]?

    /// Objects up to this size are searched directly.
    private static let linearLookupLimit = 16

    init(node: ConfigNode, members: [(key: String, value: JSONValue)]) {
        self.node = node
        self.members = members
    }

    private func value(of key: String) -> JSONValue? {
        if members.count <= ConfigObject.linearLookupLimit {
            return members.first { $0.key == key }?.value
        }
        if index == nil {
            index = Dictionary(
                members.enumerated().map { ($0.element.key, $0.offset) },
                uniquingKeysWith: { first, _ in first })
        }
        return index?[key].map { members[$0].value }
    }

    /// The member `key`, or nil when absent (or null).
    public func optional(_ key: String) -> ConfigNode? {
        if knownSet.insert(key).inserted { known.append(key) }
        guard let value = value(of: key), value != .null else { return nil }
        return ConfigNode(value: value, path: node.path.isEmpty ? key : "\(node.path).\(key)", source: node.source)
    }

    /// The member `key`; its absence is an error.
    public func required(_ key: String, _ expectation: String) throws -> ConfigNode {
        guard let child = optional(key) else {
            throw node.error("missing \"\(key)\" (\(expectation))")
        }
        return child
    }

    /// Marks `keys` as known without reading them (keys read by another reader of this object).
    public func allow(_ keys: String...) {
        for key in keys where knownSet.insert(key).inserted { known.append(key) }
    }

    /// Refuses members that no reader asked for.
    public func finish() throws {
        for member in members where !knownSet.contains(member.key) {
            let shown = member.key.count > 80 ? String(member.key.prefix(80)) + "…" : member.key
            let path = node.path.isEmpty ? shown : "\(node.path).\(shown)"
            let suggestion =
                ConfigObject.closest(to: member.key, among: known).map { "; did you mean \"\($0)\"?" } ?? ""
            throw WeftError(
                "\(node.source): \(path): unknown key\(suggestion) (known here: \(known.sorted().joined(separator: ", ")))"
            )
        }
    }

    /// The known key within edit distance 2 of `key`, if any.
    static func closest(to key: String, among candidates: [String]) -> String? {
        let lowered = Array(key.lowercased())
        var best: (String, Int)?
        for candidate in candidates {
            let target = Array(candidate.lowercased())
            // Lengths more than 2 apart are more than 2 edits apart: skip them (a long key then
            // costs nothing per candidate).
            guard abs(target.count - lowered.count) <= 2 else { continue }
            var previous = Array(0...target.count)
            for (i, a) in lowered.enumerated() {
                var current = [i + 1]
                for (j, b) in target.enumerated() {
                    current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a == b ? 0 : 1)))
                }
                previous = current
            }
            let distance = previous[target.count]
            if distance <= 2, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }
}
