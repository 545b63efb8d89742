/// The dict literal of a `.npy` header, parsed strictly: `{'descr': STRING, 'fortran_order':
/// True|False, 'shape': (INT, ...)}` with each key exactly once, in any order, optional trailing
/// commas, spaces, and a final newline. Anything else (other keys, expressions, a list `descr`
/// of a structured array) is refused; nothing is evaluated. Linear in the header's length.
struct NumpyHeader {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]

    /// Parses `bytes` (Latin-1, or UTF-8 when `isUTF8`).
    init(_ bytes: [UInt8], name: String, isUTF8: Bool) throws {
        let string =
            isUTF8 ? String(decoding: bytes, as: UTF8.self) : String(bytes.map { Character(Unicode.Scalar($0)) })
        var parser = Parser(text: Array(string), name: name)
        let parsed = try parser.dictionary()
        descr = parsed.descr
        fortranOrder = parsed.fortranOrder
        shape = parsed.shape
    }

    private struct Parser {
        let text: [Character]
        let name: String
        var position = 0

        mutating func dictionary() throws -> (descr: String, fortranOrder: Bool, shape: [Int]) {
            var descr: String?, fortranOrder: Bool?, shape: [Int]?
            try expect("{")
            while true {
                skipSpaces()
                if peek() == "}" { break }
                let key = try string()
                try expect(":")
                switch key {
                case "descr" where descr == nil:
                    skipSpaces()
                    if peek() == "[" {
                        throw WeftError(
                            "\(name): the array has a structured dtype (a list of fields), which cannot be read; save plain integer arrays"
                        )
                    }
                    descr = try string()
                case "fortran_order" where fortranOrder == nil:
                    fortranOrder = try boolean()
                case "shape" where shape == nil:
                    shape = try tuple()
                case "descr", "fortran_order", "shape":
                    throw failure("the key '\(key)' appears twice")
                default:
                    throw failure("unexpected key '\(key)' (a .npy header has 'descr', 'fortran_order' and 'shape')")
                }
                skipSpaces()
                if peek() == "," {
                    position += 1
                    continue
                }
                skipSpaces()
                guard peek() == "}" else { throw failure("expected ',' or '}' at character \(position)") }
            }
            try expect("}")
            skipSpaces()
            guard position == text.count else { throw failure("unexpected text after the closing '}'") }
            guard let descr, let fortranOrder, let shape else {
                throw failure("a key is missing (a .npy header has 'descr', 'fortran_order' and 'shape')")
            }
            return (descr, fortranOrder, shape)
        }

        func failure(_ what: String) -> WeftError {
            WeftError("\(name): the .npy header is malformed: \(what); save the array again with numpy.save")
        }

        func peek() -> Character? { position < text.count ? text[position] : nil }

        mutating func skipSpaces() {
            while let character = peek(), character == " " || character == "\n" || character == "\t" { position += 1 }
        }

        mutating func expect(_ character: Character) throws {
            skipSpaces()
            guard peek() == character else { throw failure("expected '\(character)' at character \(position)") }
            position += 1
        }

        mutating func string() throws -> String {
            skipSpaces()
            guard let quote = peek(), quote == "'" || quote == "\"" else {
                throw failure("expected a quoted string at character \(position)")
            }
            position += 1
            let start = position
            while let character = peek(), character != quote {
                guard character != "\\", character != "\n" else {
                    throw failure("escapes and line breaks are not allowed in strings")
                }
                position += 1
            }
            guard peek() == quote else { throw failure("a string is not closed") }
            position += 1
            return String(text[start..<(position - 1)])
        }

        mutating func boolean() throws -> Bool {
            skipSpaces()
            for (word, value) in [("True", true), ("False", false)] where matches(word) {
                position += word.count
                return value
            }
            throw failure("expected True or False at character \(position)")
        }

        func matches(_ word: String) -> Bool {
            let characters = Array(word)
            return position + characters.count <= text.count
                && Array(text[position..<(position + characters.count)]) == characters
        }

        mutating func tuple() throws -> [Int] {
            try expect("(")
            var values: [Int] = []
            while true {
                skipSpaces()
                if peek() == ")" { break }
                values.append(try integer())
                skipSpaces()
                if peek() == "," {
                    position += 1
                    continue
                }
                guard peek() == ")" else { throw failure("expected ',' or ')' in the shape at character \(position)") }
            }
            position += 1
            guard values.count <= 32 else { throw failure("the shape has \(values.count) dimensions, more than 32") }
            return values
        }

        mutating func integer() throws -> Int {
            let start = position
            var value = 0
            while let character = peek(), let digit = character.wholeNumberValue, character.isASCII {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(digit)
                guard !overflow1, !overflow2 else { throw failure("a dimension of the shape is too large") }
                value = sum
                position += 1
            }
            guard position > start else {
                throw failure("expected a non-negative whole number in the shape at character \(position)")
            }
            if peek() == "L" { position += 1 }  // Python 2's long suffix
            return value
        }
    }
}
