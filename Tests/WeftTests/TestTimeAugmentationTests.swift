import Foundation
import Weft
import XCTest

/// Test-time augmentation: the views' bytes, the averaging of probabilities over the views, the
/// plain results untouched, the config's errors, and a run that reports both accuracies.
final class TestTimeAugmentationTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    private typealias View = TestTimeAugmentation.View

    /// A config of 1×6×6 images in 3 classes, `evaluation` appended when given.
    private func config(evaluation: String? = nil) throws -> TrainingConfig {
        let text = """
            { "name": "tta", "data": { "dataset": "fashion-mnist" },
              "model": { "input": [1, 6, 6], "layers": [
                { "type": "conv2d", "filters": 3, "kernel": 3, "padding": 1 }, { "type": "relu" },
                { "type": "flatten" }, { "type": "dense", "units": 3 } ] },
              "training": { "epochs": 1, "batchSize": 4, "seed": 1,
                "optimizer": { "type": "sgd", "learningRate": 0.1 } }\(evaluation.map { ", \"evaluation\": \($0)" } ?? "") }
            """
        return try TrainingConfig(json: try JSONParser.parse(text, source: "x.json"), source: "x.json")
    }

    /// A randomly initialised model of `config` with a fixed normalisation.
    private func model(_ config: TrainingConfig) throws -> TrainedModel {
        var generator = RandomGenerator(seed: 7)
        let model = try ModelBuilder(config: config.model, source: "x.json").build(generator: &generator)
        return TrainedModel(
            config: config, model: model, normalization: Normalization(mean: 0.3, standardDeviation: 0.4),
            classNames: ["a", "b", "c"])
    }

    /// `count` 1×6×6 images of varied bytes.
    private func imageBytes(count: Int) -> [UInt8] {
        (0..<(count * 36)).map { (index: Int) -> UInt8 in
            let value: Int = index * 37 + (index / 36) * 11 + (index % 7) * 19
            return UInt8(value % 256)
        }
    }

    // MARK: - views

    func testViewsMoveTheBytesOfASmallImage() {
        // Two images of 1×2×3: rows [1 2 3] [4 5 6], and [7 8 9] [10 11 12].
        let bytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        let shape = [2, 1, 2, 3]
        let expected: [(View, [UInt8])] = [
            (.identity, bytes),
            (View(mirrored: true), [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]),
            (View(rowShift: -1), [4, 5, 6, 0, 0, 0, 10, 11, 12, 0, 0, 0]),
            (View(rowShift: 1), [0, 0, 0, 1, 2, 3, 0, 0, 0, 7, 8, 9]),
            (View(columnShift: -1), [2, 3, 0, 5, 6, 0, 8, 9, 0, 11, 12, 0]),
            (View(columnShift: 1), [0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11]),
            (View(mirrored: true, columnShift: 1), [0, 3, 2, 0, 6, 5, 0, 9, 8, 0, 12, 11]),
            (View(mirrored: true, rowShift: -1), [6, 5, 4, 0, 0, 0, 12, 11, 10, 0, 0, 0])
        ]
        for (view, output) in expected {
            XCTAssertEqual(view.apply(bytes: bytes, shape: shape), output, view.name)
        }
        // Two channels: each plane moves on its own.
        let colour: [UInt8] = [1, 2, 3, 4, 5, 6]
        XCTAssertEqual(View(columnShift: 1).apply(bytes: colour, shape: [1, 2, 1, 3]), [0, 1, 2, 0, 4, 5])
    }

    func testTheViewsOfEachFamilyIdentityFirst() throws {
        XCTAssertNil(TestTimeAugmentation(families: []))
        XCTAssertEqual(try XCTUnwrap(TestTimeAugmentation(families: [.flip])).views.map(\.name), ["identity", "flip"])
        XCTAssertEqual(
            try XCTUnwrap(TestTimeAugmentation(families: [.shift1])).views.map(\.name),
            ["identity", "up", "down", "left", "right"])
        let both = try XCTUnwrap(TestTimeAugmentation(families: [.shift1, .flip]))
        XCTAssertEqual(
            both.views.map(\.name),
            [
                "identity", "up", "down", "left", "right", "flip", "flip+up", "flip+down", "flip+left",
                "flip+right"
            ])
        XCTAssertEqual(both.label, "TTA shift1+flip")
        XCTAssertEqual(TestTimeAugmentation(config: try config()), nil)
    }

    func testShiftsOfNormalisedImagesFillWithTheNormalisedBlack() throws {
        let model = try model(try config())
        let bytes = imageBytes(count: 2)
        let table = model.normalization.table(channel: 0)
        let images = Tensor(shape: [2, 1, 6, 6], scalars: bytes.map { table[Int($0)] })
        for view in TestTimeAugmentation(families: [.flip, .shift1])?.views ?? [] {
            let shifted = view.apply(images: images, fill: model.blackFill)
            let expected = view.apply(bytes: bytes, shape: [2, 1, 6, 6]).map { table[Int($0)] }
            XCTAssertEqual(shifted.scalars, expected, view.name)
        }
    }

    // MARK: - averaging

    func testAveragedProbabilitiesEqualTheViewsEvaluatedOneByOne() throws {
        let augmented = try model(try config(evaluation: #"{ "tta": ["flip", "shift1"] }"#))
        var plain = augmented
        plain.testTimeAugmentation = nil
        let count = 5
        let bytes = imageBytes(count: count)
        let averaged = augmented.probabilities(imageBytes: bytes, count: count, batchSize: 2)
        var byHand = [Double](repeating: 0, count: count * 3)
        let views = try XCTUnwrap(augmented.testTimeAugmentation).views
        XCTAssertEqual(views.count, 10)
        for view in views {
            let probabilities = plain.probabilities(
                imageBytes: view.apply(bytes: bytes, shape: [count, 1, 6, 6]), count: count)
            for index in byHand.indices { byHand[index] += Double(probabilities.data[index]) / Double(views.count) }
        }
        for index in byHand.indices {
            XCTAssertEqual(Double(averaged.data[index]), byHand[index], accuracy: 1e-6, "element \(index)")
        }
        // The views change the answer: the averaged probabilities are not the plain ones.
        let identity = plain.probabilities(imageBytes: bytes, count: count)
        XCTAssertNotEqual(averaged.scalars, identity.scalars)
        // Predictions follow the averaged probabilities.
        let predictions = augmented.predict(imageBytes: bytes, count: count, top: 3)
        for (row, prediction) in predictions.enumerated() {
            XCTAssertEqual(
                Double(prediction.ranked[0].probability), (0..<3).map { byHand[row * 3 + $0] }.max()!, accuracy: 1e-6)
        }
    }

    func testEvaluationWithoutTTAIsUnchangedAndWithTTAAddsTheAveragedNumbers() throws {
        let augmented = try model(try config(evaluation: #"{ "tta": ["flip"] }"#))
        var plain = augmented
        plain.testTimeAugmentation = nil
        let count = 9
        let bytes = imageBytes(count: count)
        let labels = (0..<count).map { $0 % 3 }
        let dataset = try ImageDataset(
            images: bytes, labels: labels, channels: 1, height: 6, width: 6, classNames: ["a", "b", "c"])
        let indices = Array(0..<count)

        // The plain pass, as evaluation computed it before TTA existed.
        let loader = BatchLoader(
            dataset: dataset, indices: indices, batchSize: 4, normalization: plain.normalization, seed: 0)
        var reference = MetricAccumulator()
        for (_, images, batchLabels) in loader.evaluationBatches(order: indices) {
            let output = plain.logits(images)
            let loss = Autograd.withoutRecording { output.softmaxCrossEntropy(labels: batchLabels) }
            reference.add(meanLoss: loss.scalar, logits: output, labels: batchLabels)
        }
        let without = plain.evaluate(dataset: dataset, indices: indices, batchSize: 4)
        XCTAssertEqual(without, reference.result, "without tta the result is bit-identical")
        XCTAssertNil(without.ttaLoss)
        XCTAssertNil(without.ttaAccuracy)
        XCTAssertEqual(
            plain.probabilities(imageBytes: bytes, count: count).scalars,
            plain.logits(
                Tensor(shape: [count, 1, 6, 6], scalars: bytes.map { plain.normalization.table(channel: 0)[Int($0)] })
            )
            .softmax().scalars)

        let with = augmented.evaluate(dataset: dataset, indices: indices, batchSize: 4)
        XCTAssertEqual(with.loss, without.loss, "the plain loss stays the plain network's")
        XCTAssertEqual(with.accuracy, without.accuracy)
        let averaged = augmented.probabilities(imageBytes: bytes, count: count)
        var loss = 0.0, correct = 0
        for row in 0..<count {
            let scores = (0..<3).map { averaged.data[row * 3 + $0] }
            loss -= log(Double(scores[labels[row]]))
            if scores.firstIndex(of: scores.max()!) == labels[row] { correct += 1 }
        }
        XCTAssertEqual(try XCTUnwrap(with.ttaLoss), loss / Double(count), accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(with.ttaAccuracy), Double(correct) / Double(count))

        // A trailing-closure body sees the plain logits, with or without TTA.
        var seenWith: [Float] = [], seenWithout: [Float] = []
        _ = augmented.evaluate(dataset: dataset, indices: indices, batchSize: 4) { _, logits, _ in
            seenWith += logits.scalars
        }
        _ = plain.evaluate(dataset: dataset, indices: indices, batchSize: 4) { _, logits, _ in
            seenWithout += logits.scalars
        }
        XCTAssertEqual(seenWith, seenWithout)
        XCTAssertEqual(seenWith.count, count * 3)

        // Per-image predictions: plain and averaged.
        let both = augmented.predictionsWithAugmentation(dataset: dataset, indices: indices, batchSize: 4)
        XCTAssertEqual(both.plain.probabilities, plain.predictions(dataset: dataset, indices: indices).probabilities)
        let averagedRows = try XCTUnwrap(both.augmented)
        for index in 0..<(count * 3) {
            XCTAssertEqual(averagedRows.probabilities[index], Double(averaged.data[index]), accuracy: 1e-6)
        }
        XCTAssertEqual(averagedRows.meanLoss, loss / Double(count), accuracy: 1e-5)
    }

    // MARK: - config

    func testTheEvaluationSectionRoundTripsOnlyWhenPresent() throws {
        let without = try config()
        XCTAssertNil(without.evaluation)
        XCTAssertNil(without.json["evaluation"])
        let with = try config(evaluation: #"{ "tta": ["shift1", "flip"] }"#)
        XCTAssertEqual(with.evaluation?.testTimeAugmentation, [.shift1, .flip])
        XCTAssertEqual(with.json["evaluation"], .object([("tta", .array([.string("shift1"), .string("flip")]))]))
        let again = try TrainingConfig(
            json: try JSONParser.parse(with.json.serialized(), source: "resolved"), source: "resolved")
        XCTAssertEqual(again, with)
        XCTAssertEqual(again.json, with.json)
    }

    func testEvaluationErrorsNameThePathAndTheFix() {
        let cases: [(String, String)] = [
            (
                #"{ "tta": ["rotate"] }"#,
                #"x.json: evaluation.tta[0]: must be one of "flip", "shift1", got "rotate""#
            ),
            (
                #"{ "tta": ["flip", "shift1", "flip"] }"#,
                #"x.json: evaluation.tta[2]: "flip" is listed twice; give each view family once"#
            ),
            (
                #"{ "tta": [] }"#,
                #"x.json: evaluation.tta: an empty list adds no view; name "flip" and/or "shift1", or remove "evaluation""#
            ),
            (
                #"{ "tta": "flip" }"#,
                #"x.json: evaluation.tta: must be a list [...], got "flip""#
            ),
            (
                #"{ "tta": [1] }"#,
                #"x.json: evaluation.tta[0]: must be a non-empty string, got 1"#
            ),
            (
                #"{ "tta": ["flip"], "ttaViews": 3 }"#,
                #"x.json: evaluation.ttaViews: unknown key (known here: tta)"#
            ),
            (
                #"{ }"#,
                #"x.json: evaluation: missing "tta" (a list of test-time view families, e.g. ["flip", "shift1"])"#
            ),
            (#"["flip"]"#, #"x.json: evaluation: must be an object {...}, got"#)
        ]
        for (section, expected) in cases {
            XCTAssertThrowsError(try config(evaluation: section), section) { error in
                let message = (error as? WeftError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasPrefix(expected), "got: \(message)\nexpected: \(expected)")
            }
        }
    }

    // MARK: - end to end

    /// 8×8 images in 4 classes whose pattern depends on the label.
    private func dataDirectory() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        func write(count: Int, split: String) throws {
            let labels = (0..<count).map { ($0 * 3) % 4 }
            let images = (0..<(count * 64)).map { index -> UInt8 in
                let image = index / 64, pixel = index % 64
                return UInt8((labels[image] * 41 + pixel * (labels[image] + 1) * 3 + image % 5 * 7) % 256)
            }
            try directory.write(IDXFile(dimensions: [count, 8, 8], bytes: images).encoded(), to: "\(split)-images")
            try directory.write(
                IDXFile(dimensions: [count], bytes: labels.map { UInt8($0) }).encoded(), to: "\(split)-labels")
        }
        try write(count: 120, split: "train")
        try write(count: 40, split: "test")
        return directory
    }

    func testARunWithTTAReportsBothAccuracies() throws {
        let data = try dataDirectory()
        let folder = NSTemporaryDirectory() + "weft-tta-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        let text = """
            { "name": "tta-run",
              "data": { "dataset": "idx", "directory": "\(data.path)", "validationFraction": 0.2,
                        "files": { "trainImages": "train-images", "trainLabels": "train-labels",
                                   "testImages": "test-images", "testLabels": "test-labels" } },
              "model": { "input": [1, 8, 8], "layers": [
                { "type": "conv2d", "filters": 4, "kernel": 3, "padding": 1 }, { "type": "relu" },
                { "type": "maxPool", "size": 2 }, { "type": "flatten" }, { "type": "dense", "units": 4 } ] },
              "training": { "epochs": 2, "batchSize": 16, "seed": 3,
                "optimizer": { "type": "adam", "learningRate": 0.01 } },
              "checkpoint": { "directory": "\(folder)" },
              "evaluation": { "tta": ["flip", "shift1"] } }
            """
        let config = try TrainingConfig(json: try JSONParser.parse(text, source: "t.json"), source: "t.json")
        let progress = Progress(epochs: config.training.epochs)
        progress.enabled = false
        let run = try TrainingRun(
            config: config, data: try TrainingData(config: config), source: "t.json", progress: progress)
        guard case .finished(let test) = try run.run() else { return XCTFail("the run did not finish") }
        run.release()
        let testTTA = try XCTUnwrap(test.ttaAccuracy)
        XCTAssertEqual(test.count, 40)
        XCTAssertNotNil(test.ttaLoss)

        let records = try RunLog(directory: folder).records()
        XCTAssertEqual(records.count, 3)
        for epoch in records.prefix(2) {
            XCTAssertNotNil(epoch["validationAccuracy"])
            XCTAssertNotNil(epoch["validationAccuracyTTA"])
            XCTAssertNotNil(epoch["validationLossTTA"])
        }
        XCTAssertEqual(records[2]["testAccuracy"], .number(test.accuracy))
        XCTAssertEqual(records[2]["testAccuracyTTA"], .number(testTTA))

        // weft evaluate's library path: both accuracies, in the text and the JSON.
        let (evaluation, _, _) = try ModelEvaluation.evaluate(
            checkpointPath: folder + "/last.safetensors", split: .test)
        XCTAssertEqual(evaluation.accuracy, test.accuracy)
        XCTAssertEqual(try XCTUnwrap(evaluation.ttaAccuracy), testTTA)
        XCTAssertTrue(evaluation.text.contains("TTA flip+shift1 (10 views): loss "), evaluation.text)
        XCTAssertTrue(evaluation.text.contains(String(format: "accuracy %.2f%%", 100 * testTTA)), evaluation.text)
        XCTAssertEqual(evaluation.json["ttaAccuracy"], .number(testTTA))
        XCTAssertEqual(evaluation.json["accuracy"], .number(test.accuracy))
        XCTAssertEqual(evaluation.json["tta"], .array([.string("flip"), .string("shift1")]))
        // The resumed history keeps the TTA numbers.
        let checkpoint = try Checkpoint(path: folder + "/last.safetensors")
        XCTAssertNotNil(checkpoint.state.history.last?.validationAccuracyTTA)
    }
}
