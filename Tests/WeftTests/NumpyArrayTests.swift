import Foundation
import Weft
import XCTest

final class NumpyArrayTests: XCTestCase {
    private func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: ArrayFixtures.path(relative))))
    }

    private func check(_ array: NumpyArray, against expected: JSONValue?, _ context: String) throws {
        XCTAssertEqual(array.shape, try ArrayFixtures.ints(expected?["shape"]), context)
        XCTAssertEqual(try array.integers(), try ArrayFixtures.ints(expected?["values"]), context)
        let descr = ArrayFixtures.string(expected?["descr"]) ?? ""
        XCTAssertEqual(array.elementType.isBigEndian, descr.hasPrefix(">"), context)
        XCTAssertEqual(array.elementType.isSigned, descr.dropFirst().hasPrefix("i"), context)
        XCTAssertEqual(array.elementType.size, Int(String(descr.last ?? "0")), context)
    }

    func testVersions1To3MatchNumPy() throws {
        let expected = try ArrayFixtures.expected()["arrays"]?["npy"]
        for name in ["v1.npy", "v2.npy", "v3.npy"] {
            try check(try NumpyArray(contents: try bytes(name), name: name), against: expected?[name], name)
        }
    }

    func testEveryLabelTypeMatchesNumPy() throws {
        let expected = try ArrayFixtures.expected()["arrays"]?["labels.npz"]
        let archive = try NPZFile(path: ArrayFixtures.path("labels.npz"))
        guard case .object(let members)? = expected else { return XCTFail("expected.json: no labels.npz") }
        XCTAssertEqual(Set(archive.arrayNames), Set(members.map(\.key)))
        for (name, value) in members {
            try check(try archive.array(name), against: value, name)
        }
        XCTAssertEqual(try archive.array("scalar").shape, [])
        XCTAssertEqual(try archive.array("empty").count, 0)
    }

    func testStoredAndDeflatedArchivesMatchNumPy() throws {
        let expected = try ArrayFixtures.expected()["arrays"]?["mnist.npz"]
        let archive = try NPZFile(path: ArrayFixtures.path("mnist.npz"))
        XCTAssertEqual(archive.arrayNames, ["x_train", "y_train", "x_test", "y_test"])
        for name in archive.arrayNames {
            try check(try archive.array(name), against: expected?[name], name)
        }
    }

    func testDamagedArrays() throws {
        let cases: [(String, String)] = [
            (
                "shape.npy",
                "the shape (5,) of int32 needs 20 bytes but the array holds 16; the array is truncated or damaged"
            ),
            (
                "overflow.npy",
                "the shape (4611686018427387904, 4611686018427387904) has more elements than can be counted; the header is damaged"
            ),
            (
                "extra-key.npy",
                "the .npy header is malformed: unexpected key 'extra' (a .npy header has 'descr', 'fortran_order' and 'shape'); save the array again with numpy.save"
            ),
            (
                "version.npy",
                ".npy format version 4.0 is not supported (1.0, 2.0 and 3.0 are); save it again with numpy.save"
            )
        ]
        for (file, message) in cases {
            assertThrowsWeftError(
                try NumpyArray(contents: try bytes("damaged/" + file), name: file), message: "\(file): \(message)")
        }
    }

    func testHeaderParserIsStrict() throws {
        func npy(_ header: String, data: [UInt8] = [0, 0, 0, 0]) -> [UInt8] {
            let text = Array((header + "\n").utf8)
            return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(text.count & 255), UInt8(text.count >> 8)] + text
                + data
        }
        let good = "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }"
        XCTAssertEqual(try NumpyArray(contents: npy(good), name: "a").shape, [1])
        XCTAssertEqual(
            try NumpyArray(contents: npy("{\"shape\": (1,), \"descr\": \"<i4\", \"fortran_order\": False}"), name: "a")
                .integers(), [0])
        let refused: [(String, String)] = [
            ("{'descr': '<i4', 'fortran_order': False}", "a key is missing"),
            (
                "{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (1,)}",
                "the key 'descr' appears twice"
            ),
            ("{'descr': '<i4', 'fortran_order': 0, 'shape': (1,)}", "expected True or False"),
            ("{'descr': '<i4', 'fortran_order': False, 'shape': (-1,)}", "expected a non-negative whole number"),
            ("{'descr': '<i4', 'fortran_order': False, 'shape': (1,)} x", "unexpected text after"),
            ("{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "is too large"),
            ("{'descr': '<i4' 'fortran_order': False, 'shape': (1,)}", "expected ',' or '}'"),
            ("{'descr': '<i4, 'fortran_order': False, 'shape': (1,)}", "expected ',' or '}' at character 17"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': ()}", "floating point elements ('<f8')"),
            ("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", "object (pickled Python objects) elements"),
            ("{'descr': '|i4', 'fortran_order': False, 'shape': (1,)}", "elements of type '|i4'"),
            ("{'descr': '<i4', 'fortran_order': True, 'shape': (1,)}", "Fortran order")
        ]
        for (header, fragment) in refused {
            assertThrowsWeftError(
                try NumpyArray(contents: npy(header), name: "a"), containing: ["a: ", fragment], header)
        }
        assertThrowsWeftError(
            try NumpyArray(contents: Array("PK\u{3}\u{4}..........".utf8), name: "b"),
            message:
                "b: not a NumPy .npy array (it does not start with \\x93NUMPY); write it with numpy.save or numpy.savez"
        )
        let long = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 0xFF, 0xFF, 0xFF, 0x7F] as [UInt8]
        assertThrowsWeftError(
            try NumpyArray(contents: long, name: "c"),
            message: "c: the .npy header claims 2147483647 bytes, more than the 65536 allowed; the array is damaged")
        let short = npy(good).prefix(30)
        assertThrowsWeftError(
            try NumpyArray(contents: Array(short), name: "d"),
            message: "d: the .npy header claims 58 bytes but only 20 follow; the array is truncated")
    }

    func testTruncatedAtEveryLengthIsRefused() throws {
        let whole = try bytes("v2.npy")
        for length in 0..<whole.count {
            assertThrowsWeftError(
                try NumpyArray(contents: Array(whole[..<length]), name: "v2.npy"), containing: ["v2.npy: "],
                "length \(length)")
        }
    }
}
