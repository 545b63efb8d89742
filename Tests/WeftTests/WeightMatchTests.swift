import XCTest

@testable import Weft

final class WeightMatchTests: XCTestCase {
    private typealias Saved = TrainingSnapshot.SavedTensor

    private func targets() -> [NamedParameter] {
        [
            NamedParameter(
                name: "layers.0.weight", tensor: Tensor(shape: [2, 3], scalars: [Float](repeating: 0, count: 6))),
            NamedParameter(name: "layers.0.bias", tensor: Tensor(shape: [2], scalars: [0, 0]))
        ]
    }

    func testFittingTensorsAreCopiedInTargetOrder() {
        let model = targets()
        let saved = [
            Saved(name: "layers.0.bias", shape: [2], values: [7, 8]),
            Saved(name: "layers.0.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        ]
        let match = WeightMatch(targets: model, saved: saved)
        XCTAssertEqual(match.mismatches, [])
        XCTAssertEqual(match.pairs.map(\.saved.name), ["layers.0.weight", "layers.0.bias"])
        match.copy()
        XCTAssertEqual(model[0].tensor.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(model[1].tensor.scalars, [7, 8])
    }

    func testEveryMismatchIsListedAndNothingIsCopied() {
        let model = targets()
        let saved = [
            Saved(name: "layers.0.weight", shape: [3, 2], values: [1, 2, 3, 4, 5, 6]),
            Saved(name: "layers.9.bias", shape: [4], values: [1, 2, 3, 4])
        ]
        let match = WeightMatch(targets: model, saved: saved)
        XCTAssertEqual(
            match.mismatches,
            [
                .wrongShape(name: "layers.0.weight", saved: [3, 2], needed: [2, 3]),
                .missing(name: "layers.0.bias", shape: [2]),
                .unexpected(name: "layers.9.bias", shape: [4])
            ])
        XCTAssertTrue(match.pairs.isEmpty, "a tensor of the wrong shape is no pair")
        XCTAssertEqual(model[0].tensor.scalars, [Float](repeating: 0, count: 6), "matching changes nothing")
    }

    func testSavedNamesAreLookedUpThroughTheRenaming() {
        let model = targets()
        let saved = [
            Saved(name: "net.0.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
            Saved(name: "net.0.bias", shape: [2], values: [7, 8])
        ]
        let match = WeightMatch(targets: model, saved: saved) { $0.replacingOccurrences(of: "layers.", with: "net.") }
        XCTAssertEqual(match.mismatches, [])
        XCTAssertEqual(match.pairs.map(\.target.name), ["layers.0.weight", "layers.0.bias"])
    }
}
