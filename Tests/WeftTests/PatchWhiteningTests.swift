import Foundation
import Weft
import WeftEngine
import WeftTestSupport
import XCTest

/// `"initialization": "whitening"` (`PatchWhitening`): the filters equal NumPy's
/// eigendecomposition of the same patches (`Tests/Fixtures/Golden/whitening.json`, written by
/// `make_whitening_golden.py`), they whiten the patches they came from, a trainer starts from
/// them, a frozen run from them resumes bit-identically, and the config refuses every layer
/// they cannot start.
final class PatchWhiteningTests: XCTestCase {
    private func golden(_ name: String) throws -> JSONValue {
        let path = ExportFixtures.path("Tests/Fixtures/Golden/whitening.json")
        let all = try JSONParser.parse(String(contentsOfFile: path, encoding: .utf8), source: "whitening.json")
        return try XCTUnwrap(all[name], "whitening.json has no case \(name)")
    }

    private func numbers(_ value: JSONValue?) throws -> [Double] {
        guard case .array(let items)? = value else { throw WeftError("whitening.json: expected an array of numbers") }
        return try items.map { try XCTUnwrap($0.number) }
    }

    /// The case's images as a dataset, its normalisation and its whitening.
    private func whitening(_ name: String) throws -> (PatchWhitening, JSONValue) {
        let record = try golden(name)
        let count = Int(try XCTUnwrap(record["count"]?.number))
        let (channels, height, width) = (
            Int(try XCTUnwrap(record["channels"]?.number)), Int(try XCTUnwrap(record["height"]?.number)),
            Int(try XCTUnwrap(record["width"]?.number))
        )
        let dataset = try ImageDataset(
            images: try numbers(record["images"]).map { UInt8($0) }, labels: [Int](repeating: 0, count: count),
            channels: channels, height: height, width: width, classNames: ["only"])
        let normalization = Normalization(
            mean: try numbers(record["mean"]).map(Float.init),
            standardDeviation: try numbers(record["std"]).map(Float.init))
        let result = try PatchWhitening(
            dataset: dataset, indices: Array(0..<count), normalization: normalization,
            kernel: Int(try XCTUnwrap(record["kernel"]?.number)), source: "test.json")
        return (result, record)
    }

    func testFiltersEqualNumPysEigendecompositionOfTheSamePatches() throws {
        for name in ["fashion", "rgb"] {
            let (whitening, record) = try whitening(name)
            let values = try numbers(record["eigenvalues"])
            XCTAssertEqual(whitening.eigen.values.count, values.count, name)
            for (mine, theirs) in zip(whitening.eigen.values, values) {
                XCTAssertEqual(mine, theirs, accuracy: 1e-10 * values[0], "\(name): eigenvalue")
            }
            let expected = try numbers(record["filters"])
            let filters = whitening.filters(epsilon: try XCTUnwrap(record["epsilon"]?.number))
            XCTAssertEqual(filters.count, expected.count, name)
            let largest = expected.map(abs).max() ?? 1
            var worst = 0.0
            for (mine, theirs) in zip(filters, expected) { worst = max(worst, abs(Double(mine) - theirs)) }
            XCTAssertLessThan(worst, 1e-6 * largest, "\(name): the filters differ from NumPy's by \(worst)")
        }
    }

    /// The first `d` filters take the patches to uncorrelated outputs of second moment
    /// `λ/(λ + ε)`: `W Σ Wᵀ` is that diagonal, for the Σ the patches gave.
    func testTheFiltersWhitenThePatchesTheyCameFrom() throws {
        let (whitening, _) = try whitening("fashion")
        let d = whitening.patchSize, epsilon = 5e-4
        XCTAssertEqual(d, 9)
        XCTAssertEqual(whitening.patchCount, 16 * 26 * 26)
        let w = whitening.filters(epsilon: epsilon).map(Double.init)
        let sigma = whitening.secondMoments
        for i in 0..<d {
            for j in 0..<d {
                var sum = 0.0
                for a in 0..<d {
                    for b in 0..<d { sum += w[i * d + a] * sigma[a * d + b] * w[j * d + b] }
                }
                let lambda = whitening.eigen.values[i]
                XCTAssertEqual(sum, i == j ? lambda / (lambda + epsilon) : 0, accuracy: 1e-5, "(\(i), \(j))")
            }
        }
        XCTAssertEqual(Array(w[(d * d)...]), w[..<(d * d)].map { -$0 }, "the second half is the negatives")
    }

    func testEigenvectorsHaveUnitLengthAndAPositiveLargestComponent() throws {
        let matrix: [Double] = [4, 1, 0, 1, 3, -1, 0, -1, 2]
        let eigen = try XCTUnwrap(SymmetricEigen(matrix: matrix, n: 3))
        XCTAssertEqual(eigen.values, eigen.values.sorted(by: >))
        for row in 0..<3 {
            let vector = Array(eigen.vectors[row * 3..<(row + 1) * 3])
            XCTAssertEqual(vector.map { $0 * $0 }.reduce(0, +), 1, accuracy: 1e-12)
            let largest = try XCTUnwrap(vector.max { abs($0) < abs($1) })
            XCTAssertGreaterThan(largest, 0)
            for i in 0..<3 {  // A v = λ v
                let product = (0..<3).map { matrix[i * 3 + $0] * vector[$0] }.reduce(0, +)
                XCTAssertEqual(product, eigen.values[row] * vector[i], accuracy: 1e-12)
            }
        }
    }

    private func config(
        _ layers: String, input: String = "[1, 28, 28]", epochs: Int = 1, freeze: String = "[]",
        folder: String = NSTemporaryDirectory() + "weft-whitening-unused"
    ) throws -> TrainingConfig {
        let text = """
            { "name": "w", "data": { "dataset": "fashion-mnist", "trainLimit": 200, "testLimit": 100 },
              "model": { "input": \(input), "layers": [ \(layers) ] },
              "training": { "epochs": \(epochs), "batchSize": 16, "freeze": \(freeze),
                            "optimizer": { "type": "sgd", "learningRate": 0.1, "momentum": 0.9 } },
              "checkpoint": { "directory": "\(folder)" } }
            """
        return try TrainingConfig(json: try JSONParser.parse(text, source: "w.json"), source: "w.json")
    }

    private static let head = """
        { "type": "relu" }, { "type": "globalAvgPool" }, { "type": "flatten" }, { "type": "dense", "units": 10 }
        """

    /// A trainer's first filters are the whitening of its training split's first images; the
    /// bias and every other parameter are drawn as without the option.
    func testATrainerStartsFromTheWhiteningOfItsTrainingImages() throws {
        let whitened = try config(
            #"{ "type": "conv2d", "filters": 18, "kernel": 3, "padding": 1, "initialization": "whitening", "whiteningEpsilon": 0.01 }, "#
                + Self.head)
        let plain = try config(#"{ "type": "conv2d", "filters": 18, "kernel": 3, "padding": 1 }, "# + Self.head)
        let data = try TrainingData(config: whitened)
        let trainer = try Trainer(config: whitened, data: data, source: "w.json")
        let reference = try Trainer(config: plain, data: data, source: "w.json")
        let expected = try PatchWhitening(
            dataset: data.train, indices: data.trainIndices, normalization: data.normalization, kernel: 3,
            source: "w.json"
        ).filters(epsilon: 0.01)
        for (mine, theirs) in zip(trainer.parameters, reference.parameters) {
            let values = Array(UnsafeBufferPointer(start: mine.tensor.data, count: mine.tensor.count))
            let drawn = Array(UnsafeBufferPointer(start: theirs.tensor.data, count: theirs.tensor.count))
            XCTAssertEqual(values, mine.name == "layers.0.weight" ? expected : drawn, mine.name)
        }
        XCTAssertEqual(try TrainingConfig(json: whitened.json, source: "again.json").model, whitened.model)
    }

    /// A run from frozen whitened filters, stopped inside and after its first epoch and resumed,
    /// ends bit-identical to one that never stopped, its first filters still the whitening's.
    func testAFrozenWhitenedRunResumesBitIdenticallyToAnUninterruptedOne() throws {
        let layers =
            #"{ "type": "conv2d", "filters": 18, "kernel": 3, "padding": 1, "initialization": "whitening" }, "#
            + #"{ "type": "batchNorm" }, "# + Self.head
        let whitened = { (folder: String) in
            try self.config(layers, epochs: 2, freeze: #"["layers.0.weight"]"#, folder: folder)
        }
        func folder() -> String {
            let path = NSTemporaryDirectory() + "weft-whitening-\(UUID().uuidString)"
            addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
            return path
        }
        let straight = try ResumeTests.freshRun(try whitened(folder()))
        let data = straight.trainer.data
        let filters = try PatchWhitening(
            dataset: data.train, indices: data.trainIndices, normalization: data.normalization, kernel: 3,
            source: "w.json"
        ).filters(epsilon: 5e-4)
        let expectedOutcome = try straight.run()
        straight.release()
        let expected = ResumeTests.namedBits(straight.trainer)
        XCTAssertEqual(expected["layers.0.weight"], filters.map(\.bitPattern), "frozen: the whitening's filters")
        let steps = straight.trainer.trainLoader.batchesPerEpoch
        for stop in [steps / 2, steps + 1] {
            let checkpoint = try ResumeTests.interrupt(try ResumeTests.freshRun(try whitened(folder()))) {
                $0.step >= stop
            }
            let resumed = try ResumeTests.resumedRun(checkpoint)
            defer { resumed.release() }
            let outcome = try resumed.run()
            XCTAssertEqual(
                ResumeTests.namedBits(resumed.trainer), expected,
                "stopped after step \(stop) and resumed: bit-identical")
            XCTAssertEqual(outcome, expectedOutcome, "stopped after step \(stop): same test result")
        }
    }

    func testTheConfigRefusesLayersWhiteningCannotStart() throws {
        let cases: [(String, String)] = [
            (
                #"{ "type": "conv2d", "filters": 16, "kernel": 3, "initialization": "whitening" }, "# + Self.head,
                #"w.json: model.layers[0]: patch whitening makes 2·C·k·k = 18 filters"#
            ),
            (
                #"{ "type": "conv2d", "filters": 4, "kernel": 3 }, { "type": "conv2d", "filters": 72, "kernel": 3, "initialization": "whitening" }, "#
                    + Self.head,
                #"w.json: model.layers[1]: "initialization": "whitening" reads the input images' patches, so it is for the model's first layer only"#
            ),
            (
                #"{ "type": "conv2d", "filters": 578, "kernel": 17, "initialization": "whitening" }, "# + Self.head,
                "would decompose a 289×289 covariance, more than 256×256"
            ),
            (
                #"{ "type": "conv2d", "filters": 18, "kernel": 3, "initialization": "dirac", "whiteningEpsilon": 0.1 }, "#
                    + Self.head,
                "whiteningEpsilon"
            ),
            (
                #"{ "type": "conv2d", "filters": 18, "kernel": 3, "initialization": "whitening", "whiteningEpsilon": 0 }, "#
                    + Self.head,
                "whiteningEpsilon"
            )
        ]
        for (layers, message) in cases {
            XCTAssertThrowsError(try ModelBuilder(config: try config(layers).model, source: "w.json"), message) {
                let text = ($0 as? WeftError)?.message ?? "\($0)"
                XCTAssertTrue(text.contains(message), "expected \(message) in: \(text)")
            }
        }
    }
}
