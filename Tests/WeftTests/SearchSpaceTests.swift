import Weft
import XCTest

/// The search space (grid and random trials), the successive-halving plan, and the errors a bad
/// search file or `--grid` option gives.
final class SearchSpaceTests: XCTestCase {
    private func space(_ text: String, source: String = "search.json") throws -> SearchSpace {
        try SearchSpace(json: try JSONParser.parse(text, source: source), source: source)
    }

    func testTheGridIsTheCartesianProductInKeyOrder() throws {
        let grid = try space(
            #"{"training.optimizer.learningRate": [0.001, 0.003], "training.batchSize": [32, 64, 128]}"#)
        let candidates = try grid.candidates(trials: nil, seed: 1)
        XCTAssertEqual(candidates.count, 6)
        XCTAssertEqual(
            candidates.map { $0.map(\.value) },
            [
                [.number(0.001), .number(32)], [.number(0.001), .number(64)], [.number(0.001), .number(128)],
                [.number(0.003), .number(32)], [.number(0.003), .number(64)], [.number(0.003), .number(128)]
            ])
        XCTAssertEqual(candidates[0].map(\.key), ["training.optimizer.learningRate", "training.batchSize"])
        XCTAssertEqual(try grid.candidates(trials: nil, seed: 2), candidates, "a grid does not depend on the seed")
    }

    func testRandomTrialsFollowTheSeedAndStayInTheirRanges() throws {
        let search = try space(
            """
            {"training.optimizer.learningRate": {"min": 1e-4, "max": 1e-1, "log": true},
             "model.layers[0].filters": {"min": 4, "max": 32, "integer": true},
             "training.optimizer.type": ["adam", "sgd"]}
            """)
        let first = try search.candidates(trials: 40, seed: 7)
        XCTAssertEqual(first.count, 40)
        XCTAssertEqual(
            try search.candidates(trials: 40, seed: 7), first,
            "the same seed must give the same trials in the same order")
        XCTAssertNotEqual(try search.candidates(trials: 40, seed: 8), first)
        var belowHundredth = 0
        for trial in first {
            guard case .number(let rate) = trial[0].value, case .number(let filters) = trial[1].value,
                case .string(let type) = trial[2].value
            else { return XCTFail("unexpected values \(trial)") }
            XCTAssertTrue((1e-4...1e-1).contains(rate), "\(rate)")
            if rate < 1e-2 { belowHundredth += 1 }
            XCTAssertTrue((4...32).contains(filters) && filters == filters.rounded(), "\(filters)")
            XCTAssertTrue(["adam", "sgd"].contains(type))
        }
        // On a log scale two thirds of the draws fall below 0.01 (a linear scale: one in ten).
        XCTAssertGreaterThan(belowHundredth, 15)
    }

    func testGridOptionsAndTheirMerge() throws {
        let grid = try SearchSpace(gridOptions: [
            "training.batchSize=[32,64]", #"training.optimizer.type=["adam","sgd"]"#
        ])
        XCTAssertEqual(try grid.candidates(trials: nil, seed: 0).count, 4)
        let file = try space(#"{"training.optimizer.learningRate": [0.001]}"#)
        XCTAssertEqual(
            try file.merged(with: grid).dimensions.map(\.key),
            ["training.optimizer.learningRate", "training.batchSize", "training.optimizer.type"])
        assertThrowsWeftError(try grid.merged(with: grid), containing: ["training.batchSize", "once"])
    }

    func testBadSearchFilesGiveClearErrors() throws {
        let cases: [(String, [String])] = [
            ("[1, 2]", ["search.json", "must be an object"]),
            ("{}", ["search.json", "names no config key"]),
            (#"{"training.optimizer.learningRate": []}"#, ["search.json", "training.optimizer.learningRate", "empty"]),
            (
                #"{"training.optimizer.learningRate": 0.1}"#,
                ["search.json", "training.optimizer.learningRate", "list of values", "got 0.1"]
            ),
            (
                #"{"training.optimizer.learningRate": {"min": 0.1, "max": 0.01}}"#,
                ["search.json", "learningRate", "min < max"]
            ),
            (
                #"{"training.optimizer.learningRate": {"min": 0, "max": 0.1, "log": true}}"#,
                ["search.json", "log range needs min > 0"]
            ),
            (
                #"{"training.optimizer.learningRate": {"min": 0.1, "max": 1, "scale": "log"}}"#,
                ["search.json", "learningRate.scale", "unknown key"]
            ),
            (#"{"training.optimizer.learningRate": {"max": 1}}"#, ["search.json", "missing \"min\""]),
            (#"{"data.trainLimit": [100, 200]}"#, ["search.json", "data.trainLimit", "cannot vary the data", "--set"]),
            (#"{"model.layers[x].filters": [8]}"#, ["search.json", "model.layers[x].filters", "not a config path"])
        ]
        for (text, fragments) in cases {
            assertThrowsWeftError(try space(text), containing: fragments, text)
        }
        let folder = try TemporaryDirectory()
        let broken = try folder.write(Array(#"{"training.batchSize": [32, 64"#.utf8), to: "broken.json")
        assertThrowsWeftError(try SearchSpace.load(path: broken), containing: ["broken.json"])
        assertThrowsWeftError(
            try SearchSpace.load(path: folder.file("missing.json")), containing: ["missing.json", "cannot read"])
        assertThrowsWeftError(
            try SearchSpace(gridOptions: ["training.batchSize"]),
            containing: ["--grid training.batchSize", "KEY=[v1,v2,...]"])
        assertThrowsWeftError(
            try SearchSpace(gridOptions: ["training.batchSize=[32,"]), containing: ["--grid", "JSON list"])
        let ranged = try space(#"{"training.optimizer.learningRate": {"min": 1e-4, "max": 1e-2, "log": true}}"#)
        assertThrowsWeftError(
            try ranged.candidates(trials: nil, seed: 0), containing: ["training.optimizer.learningRate", "--trials"])
    }

    func testHalvingPlansKeepOneEtaThAtEachRung() {
        typealias Rung = SuccessiveHalving.Rung
        XCTAssertEqual(
            SuccessiveHalving(candidates: 9, epochs: 9, eta: 3, halving: true).rungs,
            [Rung(candidates: 9, epochs: 1), Rung(candidates: 3, epochs: 3), Rung(candidates: 1, epochs: 9)])
        XCTAssertEqual(
            SuccessiveHalving(candidates: 27, epochs: 15, eta: 3, halving: true).rungs,
            [Rung(candidates: 27, epochs: 1), Rung(candidates: 9, epochs: 5), Rung(candidates: 3, epochs: 15)])
        XCTAssertEqual(
            SuccessiveHalving(candidates: 10, epochs: 8, eta: 2, halving: true).rungs,
            [
                Rung(candidates: 10, epochs: 1), Rung(candidates: 5, epochs: 2), Rung(candidates: 3, epochs: 4),
                Rung(candidates: 2, epochs: 8)
            ])
        XCTAssertEqual(
            SuccessiveHalving(candidates: 4, epochs: 3, eta: 3, halving: true).rungs,
            [Rung(candidates: 4, epochs: 1), Rung(candidates: 2, epochs: 3)])
        XCTAssertEqual(
            SuccessiveHalving(candidates: 4, epochs: 3, eta: 3, halving: false).rungs, [Rung(candidates: 4, epochs: 3)])
        XCTAssertEqual(
            SuccessiveHalving(candidates: 1, epochs: 9, eta: 3, halving: true).rungs, [Rung(candidates: 1, epochs: 9)])
        // At least 2 epochs a rung (say, for a 1-epoch warm-up): 6 → 2 epochs, no rung below 2.
        XCTAssertEqual(
            SuccessiveHalving(candidates: 9, epochs: 6, eta: 3, halving: true, minimumEpochs: 2).rungs,
            [Rung(candidates: 9, epochs: 2), Rung(candidates: 3, epochs: 6)])
        for (candidates, epochs, eta) in [(9, 9, 3), (27, 15, 3), (10, 8, 2), (50, 100, 4), (7, 1, 3)] {
            let rungs = SuccessiveHalving(candidates: candidates, epochs: epochs, eta: eta, halving: true).rungs
            XCTAssertEqual(rungs.last?.epochs, epochs, "the last rung trains the full budget")
            for (previous, next) in zip(rungs, rungs.dropFirst()) {
                XCTAssertEqual(next.candidates, (previous.candidates + eta - 1) / eta, "⌈n/η⌉ continue")
                XCTAssertGreaterThan(next.epochs, previous.epochs)
            }
        }
    }

    func testPromotionKeepsTheBestAndBreaksTiesByTrial() {
        let scores: [Int: Double] = [1: 0.80, 2: 0.91, 3: 0.85, 4: 0.91, 5: 0.60, 6: 0.85]
        XCTAssertEqual(SuccessiveHalving.ranked(scores), [2, 4, 3, 6, 1, 5])
        XCTAssertEqual(SuccessiveHalving.promoted(scores, keep: 2), [2, 4])
        XCTAssertEqual(SuccessiveHalving.promoted(scores, keep: 3), [2, 3, 4])
    }
}
