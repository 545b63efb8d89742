import Foundation
import Weft
import XCTest

/// The weights-only safetensors export: int64 counts, strict reading, and Python's reader.
final class SafetensorsExportTests: XCTestCase {
    func testInt64TensorsRoundTripButCheckpointsStayFloat32Only() throws {
        let file = SafetensorsFile(
            metadata: [],
            entries: [
                .init(name: "1.num_batches_tracked", shape: [], integers: [1 << 40 + 3]),
                .init(name: "0.weight", shape: [2], values: [0.5, -1])
            ])
        let bytes = file.encoded()
        let decoded = try SafetensorsFile.decode(bytes, name: "x.safetensors", allowedTypes: [.float32, .int64])
        XCTAssertEqual(decoded.entries, file.entries)
        XCTAssertEqual(decoded.entry("1.num_batches_tracked")?.integers, [1 << 40 + 3])
        assertThrowsWeftError(
            try SafetensorsFile.decode(bytes, name: "x.safetensors"),
            containing: ["x.safetensors: tensor 1.num_batches_tracked has dtype \"I64\", but only F32 is read here"])
    }

    func testInt64SizesAreCheckedLikeFloat32() {
        func file(_ header: String, dataCount: Int) -> [UInt8] {
            var text = header
            while text.utf8.count % 8 != 0 { text += " " }
            var bytes: [UInt8] = []
            withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            return bytes + Array(text.utf8) + [UInt8](repeating: 0, count: dataCount)
        }
        let short = file("{\"a\": {\"dtype\": \"I64\", \"shape\": [2], \"data_offsets\": [0, 8]}}", dataCount: 8)
        assertThrowsWeftError(
            try SafetensorsFile.decode(short, name: "s.safetensors", allowedTypes: [.float32, .int64]),
            containing: ["tensor a of shape [2] does not match its 8 data bytes"])
        let half = file("{\"a\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}}", dataCount: 4)
        assertThrowsWeftError(
            try SafetensorsFile.decode(half, name: "h.safetensors", allowedTypes: [.float32, .int64]),
            containing: ["tensor a has dtype \"F16\", but only F32 or I64 is read here"])
    }

    func testPythonSafetensorsReadsTheExportWithPyTorchNamesShapesTypesAndValues() throws {
        _ = try SafetensorsInteropTests.python()
        let folder = try TemporaryDirectory()
        let model = try ExportFixtures.randomModel(try ExportFixtures.config("resnet.json"))
        let path = folder.file("resnet.safetensors")
        try model.export(as: .safetensors, to: path)
        let script = """
            import json, sys
            from safetensors import safe_open
            from safetensors.numpy import load_file
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], "np") as f:
                meta = f.metadata()
            print(json.dumps({"format": meta["format"], "names": list(tensors),
                              "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype), "values": [float(x) for x in v.ravel()]}
                                          for k, v in tensors.items()}}))
            """
        let report = try ExportFixtures.python(script, [path])
        XCTAssertEqual(report["format"], .string("pt"))
        let expected = model.torchStateDictionary
        XCTAssertEqual(Set(report["names"]?.items.compactMap(\.string) ?? []), Set(expected.map(\.name)))
        for tensor in expected {
            let seen = report["tensors"]?[tensor.name]
            XCTAssertEqual(seen?["shape"]?.items.compactMap(\.number), tensor.shape.map(Double.init), tensor.name)
            XCTAssertEqual(seen?["dtype"], .string(tensor.isCount ? "int64" : "float32"), tensor.name)
            XCTAssertEqual(
                seen?["values"]?.items.compactMap(\.number), tensor.values.map(Double.init),
                "\(tensor.name): values differ")
        }
        for name in [
            "0.weight", "1.running_mean", "1.running_var", "1.num_batches_tracked", "3.body.0.weight",
            "3.body.1.running_var", "5.projection.weight", "5.projection.bias", "11.bias"
        ] {
            XCTAssertNotNil(report["tensors"]?[name], "\(name) is missing from the export")
        }
    }
}
