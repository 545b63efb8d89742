import Foundation
import Weft
import XCTest

/// The files of `Tests/Fixtures/Arrays/`, written by `make_array_fixtures.py` with NumPy, and
/// what NumPy read from them (`expected.json`).
enum ArrayFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Arrays").path

    static func path(_ relative: String) -> String { (folder as NSString).appendingPathComponent(relative) }

    static func expected() throws -> JSONValue {
        let file = path("expected.json")
        return try JSONParser.parse(try String(contentsOfFile: file, encoding: .utf8), source: file)
    }

    static func ints(_ value: JSONValue?) throws -> [Int] {
        guard case .array(let items)? = value else { throw WeftError("expected.json: expected a list") }
        return try items.map { item in
            switch item {
            case .number(let number): return Int(number)
            case .string(let text):
                guard let value = Int(text) else { throw WeftError("expected.json: \(text) is not an Int") }
                return value
            default: throw WeftError("expected.json: expected a number, got \(item)")
            }
        }
    }

    static func strings(_ value: JSONValue?) throws -> [String] {
        guard case .array(let items)? = value else { throw WeftError("expected.json: expected a list") }
        return items.map { item in
            if case .string(let text) = item { return text }
            return "\(item)"
        }
    }

    static func string(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    static func int(_ value: JSONValue?) -> Int? {
        if case .number(let number)? = value { return Int(number) }
        return nil
    }

    /// A copy of the fixture folder `name` in a fresh temporary directory, for damaging.
    static func copy(_ name: String, into directory: TemporaryDirectory) throws -> String {
        let target = directory.file(name)
        try FileManager.default.copyItem(atPath: path(name), toPath: target)
        return target
    }
}

/// Asserts that `expression` throws a `WeftError` with exactly `message`.
func assertThrowsWeftError<T>(
    _ expression: @autoclosure () throws -> T, message: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try expression()
        XCTFail("expected the error \"\(message)\", got a result", file: file, line: line)
    } catch let error as WeftError {
        XCTAssertEqual(error.message, message, file: file, line: line)
    } catch {
        XCTFail("expected a WeftError, got \(error)", file: file, line: line)
    }
}
