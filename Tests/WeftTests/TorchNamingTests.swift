import Weft
import XCTest

/// Weft's names map to PyTorch's `state_dict` keys and back; every shipped config's export has
/// exactly the keys, shapes, dtypes and order of the equivalent PyTorch model's `state_dict`,
/// recorded by `Tests/Fixtures/make_torch_interop.py` in `Tests/Fixtures/Torch/state_dicts.json`.
final class TorchNamingTests: XCTestCase {
    func testNamesMapBothWays() {
        let pairs = [
            ("layers.0.weight", "0.weight"), ("layers.0.bias", "0.bias"),
            ("layers.1.runningMean", "1.running_mean"), ("layers.1.runningVariance", "1.running_var"),
            ("layers.1.batchesTracked", "1.num_batches_tracked"), ("layers.12.weight", "12.weight"),
            ("layers.3.body.0.weight", "3.body.0.weight"), ("layers.3.body.1.runningVariance", "3.body.1.running_var"),
            ("layers.3.projection.bias", "3.projection.bias")
        ]
        for (weft, torch) in pairs {
            XCTAssertEqual(TorchNaming.torchName(weftName: weft), torch)
            XCTAssertEqual(TorchNaming.weftName(torchName: torch), weft)
        }
        XCTAssertTrue(TorchNaming.isCount(torchName: "3.body.1.num_batches_tracked"))
        XCTAssertFalse(TorchNaming.isCount(torchName: "3.body.1.running_var"))
    }

    func testStateDictionaryOrderListsEveryTensorOnce() throws {
        for name in try ExportFixtures.shippedConfigNames() + ["every-layer"] {
            let config =
                name == "every-layer"
                ? try ExportFixtures.config(text: ExportFixtures.everyLayerConfigText)
                : try ExportFixtures.config(name)
            let model = try ExportFixtures.randomModel(config)
            let ordered = TorchNaming.stateDictionaryOrder(model.model).map(\.name)
            XCTAssertEqual(ordered.count, Set(ordered).count, name)
            XCTAssertEqual(Set(ordered), Set((model.model.parameters + model.model.buffers).map(\.name)), name)
        }
    }

    func testEveryShippedConfigExportsExactlyThePyTorchStateDictionary() throws {
        let fixture = try JSONParser.parse(
            String(contentsOfFile: ExportFixtures.path("Tests/Fixtures/Torch/state_dicts.json"), encoding: .utf8),
            source: "state_dicts.json")
        let names = try ExportFixtures.shippedConfigNames()
        guard case .object(let recorded)? = fixture["configs"] else {
            return XCTFail("state_dicts.json has no configs")
        }
        XCTAssertEqual(
            Set(recorded.map(\.key)), Set(names),
            "regenerate the fixture with make_torch_interop.py when Configs/ changes")
        for name in names {
            let model = try ExportFixtures.randomModel(try ExportFixtures.config(name))
            let exported = model.safetensorsExport().entries
            let expected = fixture["configs"]?[name]?.items ?? []
            XCTAssertEqual(
                exported.map(\.name), expected.map { $0["name"]?.string ?? "" },
                "\(name): the names and their order differ from PyTorch's state_dict")
            for (entry, torch) in zip(exported, expected) {
                XCTAssertEqual(
                    entry.shape.map(Double.init), torch["shape"]?.items.compactMap(\.number), "\(name): \(entry.name)")
                XCTAssertEqual(JSONValue.string(entry.dataType.rawValue), torch["dtype"], "\(name): \(entry.name)")
            }
        }
    }
}
