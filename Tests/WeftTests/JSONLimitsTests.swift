import Weft
import XCTest

/// The JSON reader on large but well-formed hostile documents: it reads them in linear time
/// (hundreds of thousands of keys), and refuses what is past its limits (depth, number and string
/// length) with an error naming the file, the place and the fix. No assertion here is a timing:
/// with the old pairwise duplicate check the 300,000-key tests alone took minutes.
final class JSONLimitsTests: XCTestCase {
    private func message(_ expression: @autoclosure () throws -> JSONValue) -> String {
        do {
            _ = try expression()
            return "no error"
        } catch {
            return (error as? WeftError)?.message ?? "\(error)"
        }
    }

    private static func object(keys count: Int, extra: String = "") -> String {
        "{" + (0..<count).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + extra + "}"
    }

    func testAnObjectOfThreeHundredThousandKeysKeepsItsOrder() throws {
        let count = 300_000
        let value = try JSONParser.parse(JSONLimitsTests.object(keys: count), source: "big.json")
        guard case .object(let members) = value else { return XCTFail("not an object") }
        XCTAssertEqual(members.count, count)
        XCTAssertEqual(members.first?.key, "k0")
        XCTAssertEqual(members.last?.key, "k\(count - 1)")
        XCTAssertEqual(value["k123456"], .number(123_456))
        XCTAssertEqual(value.serialized(pretty: false).utf8.count, JSONLimitsTests.object(keys: count).utf8.count)
    }

    func testADuplicateAmongThreeHundredThousandKeysIsFoundAndPlaced() {
        let text = "{\"outer\": " + JSONLimitsTests.object(keys: 300_000, extra: ", \"k17\": 0") + "}"
        let error = message(try JSONParser.parse(text, source: "dup.json"))
        let column = text.utf8.count - "\"k17\": 0}}".utf8.count + 1
        XCTAssertEqual(
            error, "dup.json: line 1, column \(column), at outer: duplicate key \"k17\"; fix the JSON syntax")
    }

    func testNestingIsBoundedWithoutExhaustingTheStack() throws {
        let deepest = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        XCTAssertNoThrow(try JSONParser.parse(deepest, source: "deep.json"))
        // 100,000 levels: refused at level 201, long before the recursion could overflow the stack.
        let hostile = String(repeating: "{\"a\": [", count: 50_000)
        let error = message(try JSONParser.parse(hostile, source: "deep.json"))
        XCTAssertEqual(
            error,
            "deep.json: line 1, column 701, at ….a[0].a[0].a[0].a[0]: the JSON is nested deeper than 200 levels; no Weft file nests that deep; check that this is the intended file"
        )
    }

    func testAHugeNumberIsRefusedAndALongExactOneRead() throws {
        let digits = String(repeating: "7", count: 1_000_000)
        let error = message(try JSONParser.parse("{\"lr\": \(digits)}", source: "n.json"))
        XCTAssertEqual(
            error,
            "n.json: line 1, column 8, at lr: a number of 1000000 characters, more than the 1000 allowed; write it with fewer digits (17 significant digits are exact for a double)"
        )
        // The exact decimal expansion of 0.1 (55 digits) is a long number Weft must still read.
        let exact = "0.1000000000000000055511151231257827021181583404541015625"
        XCTAssertEqual(try JSONParser.parse(exact, source: "n.json"), .number(0.1))
        XCTAssertEqual(
            try JSONParser.parse("-0." + String(repeating: "0", count: 990) + "1", source: "n.json"), .number(-0.0))
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "1e+", "0x10", "1.5e3.2"] {
            XCTAssertThrowsError(try JSONParser.parse(bad, source: "n.json"), "\(bad) is not a JSON number")
        }
        XCTAssertTrue(
            message(try JSONParser.parse("[1e400]", source: "n.json")).contains(
                "at [0]: the number 1e400 is outside the range of a double"))
    }

    func testLongStringsAreReadAndTheLimitIsClear() throws {
        let long = String(repeating: "ab\u{e9}", count: 3 << 20)  // 12 MiB of UTF-8
        XCTAssertEqual(try JSONParser.parse("[\"\(long)\"]", source: "s.json"), .array([.string(long)]))
        let escaped = String(repeating: "\\n\\u00e9", count: 1 << 20)
        XCTAssertEqual(
            try JSONParser.parse("\"\(escaped)\"", source: "s.json"),
            .string(String(repeating: "\n\u{e9}", count: 1 << 20)))

        let small = JSONParser.Limits(maximumStringBytes: 1000)
        for text in [
            "{\"key\": \"" + String(repeating: "x", count: 1001) + "\"}",
            "{\"key\": \"" + String(repeating: "\\t", count: 1001) + "\"}"
        ] {
            XCTAssertEqual(
                message(try JSONParser.parse(text, source: "s.json", limits: small)),
                "s.json: line 1, column 9, at key: a string longer than 1000 bytes; shorten it (Weft reads strings of up to 1000 bytes)"
            )
        }
        XCTAssertNoThrow(
            try JSONParser.parse("\"" + String(repeating: "x", count: 1000) + "\"", source: "s.json", limits: small))
    }

    func testAMillionItemListAndPathsInsideLists() throws {
        let text = "[" + Array(repeating: "0.5", count: 1_000_000).joined(separator: ",") + "]"
        guard case .array(let items) = try JSONParser.parse(text, source: "l.json") else {
            return XCTFail("not a list")
        }
        XCTAssertEqual(items.count, 1_000_000)
        let error = message(
            try JSONParser.parse("{\"model\": {\"layers\": [{}, {\"kernel\": tru}]}}", source: "x.json"))
        XCTAssertEqual(
            error, "x.json: line 1, column 38, at model.layers[1].kernel: expected true; fix the JSON syntax")
    }

    func testConfigObjectsWithManyUnknownKeysAndAHugeKeyAreRefusedQuickly() throws {
        let members = (0..<200_000).map { "\"typo\($0)\": 1" }.joined(separator: ", ")
        let text = """
            {"name": "x", "data": {"dataset": "fashion-mnist"}, "model": {"input": [1, 4, 4], "layers": [{"type": "flatten"}]},
             "training": {"epochs": 1, "batchSize": 2, "optimizer": {"type": "sgd", "learningRate": 0.1}, \(members)}}
            """
        let many = message(
            try TrainingConfig(json: try JSONParser.parse(text, source: "c.json"), source: "c.json").json)
        XCTAssertTrue(many.hasPrefix("c.json: training.typo0: unknown key (known here: "), many)
        let hugeKey = String(repeating: "q", count: 1_000_000)
        let huge = text.replacingOccurrences(of: members, with: "\"\(hugeKey)\": 1")
        let error = message(
            try TrainingConfig(json: try JSONParser.parse(huge, source: "c.json"), source: "c.json").json)
        XCTAssertTrue(
            error.hasPrefix("c.json: training.\(String(repeating: "q", count: 80))…: unknown key (known here: "),
            String(error.prefix(200)))
    }
}
