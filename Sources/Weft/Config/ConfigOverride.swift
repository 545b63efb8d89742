/// A command-line override `key.path=value` (`--set training.epochs=3`,
/// `--set model.layers[0].filters=16`). The value is read as JSON when it parses
/// (`3`, `true`, `[1,2]`, `"x"`), else as a plain string. Missing keys are added (objects on the
/// way included); the config's own key check then refuses any typo.
public struct ConfigOverride {
    /// The path's steps: object keys and list indices.
    enum Step: Equatable { case key(String), index(Int) }

    /// The most keys and indices a path may have (a config is a few levels deep; the limit
    /// keeps a hostile path from recursing without bound when it is applied).
    static let maximumSteps = 64

    let text: String
    let steps: [Step]
    let value: JSONValue

    public init(_ text: String) throws {
        self.text = text
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw WeftError("--set \(text): expected KEY=VALUE, e.g. --set training.epochs=3")
        }
        let path = String(text[..<equals]), rawValue = String(text[text.index(after: equals)...])
        var steps: [Step] = []
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            var name = Substring(part)
            var indices: [Int] = []  // innermost (rightmost) first
            while name.hasSuffix("]"), let open = name.lastIndex(of: "["), indices.count <= ConfigOverride.maximumSteps
            {
                guard let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]), index >= 0
                else {
                    throw WeftError(
                        "--set \(text): \(part) has an invalid list index; use e.g. model.layers[0].filters")
                }
                indices.append(index)
                name = name[..<open]
            }
            guard !name.isEmpty else {
                throw WeftError("--set \(text): empty key in \(path); use e.g. training.epochs")
            }
            steps.append(.key(String(name)))
            steps += indices.reversed().map { .index($0) }
            guard steps.count <= ConfigOverride.maximumSteps else {
                throw WeftError(
                    "--set \(text.prefix(80)): the key path has more than \(ConfigOverride.maximumSteps) steps, deeper than any config; use e.g. model.layers[0].filters"
                )
            }
        }
        self.steps = steps
        value = (try? JSONParser.parse(rawValue, source: "--set")) ?? .string(rawValue)
    }

    /// The document with the value replaced (or the last key added to its object).
    public func apply(to document: JSONValue) throws -> JSONValue {
        try replace(in: document, steps: steps[...], walked: "")
    }

    private func replace(in node: JSONValue, steps: ArraySlice<Step>, walked: String) throws -> JSONValue {
        guard let step = steps.first else { return value }
        switch (step, node) {
        case let (.key(key), .object(members)):
            let here = walked.isEmpty ? key : "\(walked).\(key)"
            var members = members
            if let position = members.firstIndex(where: { $0.key == key }) {
                members[position].value = try replace(
                    in: members[position].value, steps: steps.dropFirst(), walked: here)
            } else if case .key = steps.dropFirst().first ?? .key("") {
                // A missing key (or object on the way) is added; the config's own key check refuses typos.
                members.append((key, try replace(in: .object([]), steps: steps.dropFirst(), walked: here)))
            } else {
                throw WeftError("--set \(text): \(here) is not in the config, so it has no list to index")
            }
            return .object(members)
        case let (.index(index), .array(items)):
            guard index < items.count else {
                throw WeftError("--set \(text): \(walked) has \(items.count) items, so [\(index)] does not exist")
            }
            var items = items
            items[index] = try replace(in: items[index], steps: steps.dropFirst(), walked: "\(walked)[\(index)]")
            return .array(items)
        default:
            throw WeftError(
                "--set \(text): \(walked.isEmpty ? "the config" : walked) is \(node.summary), which has no \(step)")
        }
    }
}
