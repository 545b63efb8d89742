import Foundation
import Weft
import XCTest

/// The `.npz` export: NPY v1.0 headers, a stored ZIP with correct CRC-32s, and `numpy.load`.
final class NumpyExportTests: XCTestCase {
    func testNPYHeaderIsVersionOnePaddedTo64Bytes() throws {
        for shape in [[], [3], [2, 3], [4, 1, 3, 3]] {
            let bytes = NumpyArchive.npy(shape: shape, values: [Float](repeating: 1.5, count: shape.reduce(1, *)))
            XCTAssertEqual(Array(bytes.prefix(8)), [0x93] + Array("NUMPY".utf8) + [1, 0])
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            XCTAssertEqual((10 + headerLength) % 64, 0, "\(shape): the data starts on a 64-byte boundary")
            let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
            let tuple =
                shape.isEmpty
                ? "()" : shape.count == 1 ? "(3,)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
            XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"), header)
            XCTAssertTrue(header.hasSuffix("\n"))
            XCTAssertEqual(bytes.count, 10 + headerLength + 4 * shape.reduce(1, *))
        }
        let counts = NumpyArchive.npy(shape: [], integers: [42])
        XCTAssertTrue(String(decoding: counts, as: UTF8.self).contains("'descr': '<i8'"))
        XCTAssertEqual(Array(counts.suffix(8)), [42, 0, 0, 0, 0, 0, 0, 0])
    }

    func testZipRecordsAreWellFormed() throws {
        let archive = try ZipArchive.stored([(name: "a.npy", bytes: [1, 2, 3]), (name: "b.npy", bytes: [])])
        XCTAssertEqual(Array(archive.prefix(4)), [0x50, 0x4B, 0x03, 0x04])
        let end = Array(archive.suffix(22))
        XCTAssertEqual(Array(end.prefix(4)), [0x50, 0x4B, 0x05, 0x06])
        XCTAssertEqual(Int(end[10]) | Int(end[11]) << 8, 2, "two entries")
        let crc = CRC32.checksum([1, 2, 3] as [UInt8])
        XCTAssertEqual(Array(archive[14..<18]), withUnsafeBytes(of: crc.littleEndian) { Array($0) })
    }

    func testNumpyLoadsTheArchiveWithPyTorchNamesShapesTypesAndValues() throws {
        _ = try SafetensorsInteropTests.python()
        let folder = try TemporaryDirectory()
        let model = try ExportFixtures.randomModel(try ExportFixtures.config("cnn-bn.json"))
        let path = folder.file("cnn-bn.npz")
        try model.export(as: .npz, to: path)
        let script = """
            import json, sys, zipfile
            import numpy as np
            with zipfile.ZipFile(sys.argv[1]) as archive:
                bad = archive.testzip()  # reads every member and checks its CRC-32
                methods = sorted({info.compress_type for info in archive.infolist()})
            arrays = np.load(sys.argv[1])
            print(json.dumps({"bad": bad, "methods": methods, "names": arrays.files,
                              "tensors": {k: {"shape": list(arrays[k].shape), "dtype": str(arrays[k].dtype),
                                              "values": [float(x) for x in arrays[k].ravel()]} for k in arrays.files}}))
            """
        let report = try ExportFixtures.python(script, [path])
        XCTAssertEqual(report["bad"], .null, "every CRC-32 matches")
        XCTAssertEqual(report["methods"], .array([.number(0)]), "stored, uncompressed")
        let expected = model.torchStateDictionary
        XCTAssertEqual(report["names"], .array(expected.map { .string($0.name) }), "names in state_dict order")
        for tensor in expected {
            let seen = report["tensors"]?[tensor.name]
            XCTAssertEqual(seen?["shape"]?.items.compactMap(\.number), tensor.shape.map(Double.init), tensor.name)
            XCTAssertEqual(seen?["dtype"], .string(tensor.isCount ? "int64" : "float32"), tensor.name)
            XCTAssertEqual(
                seen?["values"]?.items.compactMap(\.number), tensor.values.map(Double.init),
                "\(tensor.name): values differ")
        }
        XCTAssertEqual(report["tensors"]?["1.num_batches_tracked"]?["shape"], .array([]))
    }
}
