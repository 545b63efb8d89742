import Foundation
import Weft
import XCTest

/// Reads `Tests/Fixtures/Golden/evaluation.json`, written by `make_evaluation_golden.py` with
/// scikit-learn.
enum EvaluationGolden {
    static func load() throws -> JSONValue {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/Golden/evaluation.json")
        return try JSONParser.parse(try String(contentsOf: url, encoding: .utf8), source: url.path)
    }

    static func cases(_ key: String) throws -> [JSONValue] {
        guard case .array(let cases)? = try load()[key] else { throw WeftError("evaluation.json: no \(key) cases") }
        return cases
    }

    static func number(_ value: JSONValue?) throws -> Double {
        guard case .number(let number)? = value else {
            throw WeftError("evaluation.json: expected a number, got \(String(describing: value))")
        }
        return number
    }

    static func numbers(_ value: JSONValue?) throws -> [Double] {
        guard case .array(let items)? = value else { throw WeftError("evaluation.json: expected a list") }
        return try items.map { try number($0) }
    }

    static func strings(_ value: JSONValue?) throws -> [String] {
        guard case .array(let items)? = value else { throw WeftError("evaluation.json: expected a list") }
        return items.map {
            if case .string(let text) = $0 { return text }; return ""
        }
    }
}

/// Every metric of `weft evaluate` against scikit-learn on fixed predictions, zero divisions
/// included, and the confusion matrix of a toy case worked out by hand.
final class ClassificationMetricsTests: XCTestCase {
    private func evaluation(of golden: JSONValue) throws -> ModelEvaluation {
        let names = try EvaluationGolden.strings(golden["classNames"])
        let labels = try EvaluationGolden.numbers(golden["labels"]).map { Int($0) }
        let logits = try EvaluationGolden.numbers(golden["logits"]).map { Float($0) }
        let predictions = Predictions(classNames: names, labels: labels, logits: logits)
        return ModelEvaluation(predictions: predictions, split: .test, runName: "golden")
    }

    func testEveryMetricEqualsScikitLearn() throws {
        for golden in try EvaluationGolden.cases("classification") {
            guard case .string(let name)? = golden["name"] else { return XCTFail("a case has no name") }
            let result = try evaluation(of: golden)
            let report = result.report
            let expected = try XCTUnwrap(golden["report"])
            for (label, className) in report.classNames.enumerated() {
                let metrics = report.perClass[label], reference = expected[className]
                XCTAssertEqual(
                    metrics.precision, try EvaluationGolden.number(reference?["precision"]), accuracy: 1e-6,
                    "\(name) \(className) precision")
                XCTAssertEqual(
                    metrics.recall, try EvaluationGolden.number(reference?["recall"]), accuracy: 1e-6,
                    "\(name) \(className) recall")
                XCTAssertEqual(
                    metrics.f1, try EvaluationGolden.number(reference?["f1-score"]), accuracy: 1e-6,
                    "\(name) \(className) f1")
                XCTAssertEqual(
                    Double(metrics.support), try EvaluationGolden.number(reference?["support"]),
                    "\(name) \(className) support")
            }
            for (key, metrics) in [("macro avg", report.macroAverage), ("weighted avg", report.weightedAverage)] {
                XCTAssertEqual(
                    metrics.precision, try EvaluationGolden.number(expected[key]?["precision"]), accuracy: 1e-6,
                    "\(name) \(key)")
                XCTAssertEqual(
                    metrics.recall, try EvaluationGolden.number(expected[key]?["recall"]), accuracy: 1e-6,
                    "\(name) \(key)")
                XCTAssertEqual(
                    metrics.f1, try EvaluationGolden.number(expected[key]?["f1-score"]), accuracy: 1e-6,
                    "\(name) \(key)")
                XCTAssertEqual(
                    Double(metrics.support), try EvaluationGolden.number(expected[key]?["support"]), "\(name) \(key)")
            }
            XCTAssertEqual(result.accuracy, try EvaluationGolden.number(expected["accuracy"]), accuracy: 1e-6, name)
            XCTAssertEqual(result.accuracy, try EvaluationGolden.number(golden["accuracy"]), accuracy: 1e-6, name)
            XCTAssertEqual(
                result.top2Accuracy, try EvaluationGolden.number(golden["top2Accuracy"]), accuracy: 1e-6, name)
            XCTAssertEqual(result.loss, try EvaluationGolden.number(golden["logLoss"]), accuracy: 1e-6, name)
            guard case .array(let rows)? = golden["confusion"] else { return XCTFail("\(name): no confusion matrix") }
            XCTAssertEqual(
                result.confusionMatrix.counts, try rows.map { try EvaluationGolden.numbers($0).map { Int($0) } }, name)
            guard case .string(let text)? = golden["reportText"] else { return XCTFail("\(name): no report text") }
            XCTAssertEqual(report.text(digits: 4), text, "\(name): the text layout differs from scikit-learn's")
        }
    }

    func testZeroDivisionGivesZeroAsScikitLearnsDefault() throws {
        let golden = try XCTUnwrap(
            try EvaluationGolden.cases("classification").first { $0["name"] == .string("zeroDivision") })
        let report = try evaluation(of: golden).report
        // Class 2 is predicted but never true, 3 is true but never predicted, 4 is neither.
        XCTAssertEqual(report.perClass[2].support, 0)
        XCTAssertEqual(report.perClass[2].recall, 0)
        XCTAssertGreaterThan(report.perClass[3].support, 0)
        XCTAssertEqual(report.perClass[3].precision, 0)
        XCTAssertEqual(report.perClass[4], ClassMetrics(precision: 0, recall: 0, f1: 0, support: 0))
        XCTAssertTrue(report.macroAverage.precision.isFinite && report.weightedAverage.f1.isFinite)
    }

    func testToyConfusionMatrixByHand() {
        // true:      0 0 1 1 2 2 2
        // predicted: 0 1 1 1 2 0 2
        let matrix = ConfusionMatrix(labels: [0, 0, 1, 1, 2, 2, 2], predictions: [0, 1, 1, 1, 2, 0, 2], classCount: 3)
        XCTAssertEqual(matrix.counts, [[1, 1, 0], [0, 2, 0], [1, 0, 2]])
        XCTAssertEqual(matrix.total, 7)
        XCTAssertEqual(matrix.correct, 5)
        XCTAssertEqual(matrix.support(of: 2), 3)
        XCTAssertEqual(matrix.predictedCount(of: 0), 2)
        let report = ClassificationReport(confusionMatrix: matrix, classNames: ["cat", "dog", "bird"])
        XCTAssertEqual(report.perClass[0], ClassMetrics(precision: 0.5, recall: 0.5, f1: 0.5, support: 2))
        XCTAssertEqual(report.perClass[1].precision, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(report.perClass[1].recall, 1)
        XCTAssertEqual(report.perClass[1].f1, 0.8, accuracy: 1e-12)
        XCTAssertEqual(report.accuracy, 5.0 / 7.0, accuracy: 1e-12)
        let table = matrix.table(classNames: ["cat", "dog", "bird"])
        XCTAssertEqual(
            table,
            """
            true \\ predicted  0  1  2
            0 cat             1  1  0
            1 dog             0  2  0
            2 bird            1  0  2
            """)
    }

    func testPredictionsCSVAndJSONKeys() throws {
        let logits: [Float] = [2, 1, 0, 0, 3, 1, 1, 0, 5]  // three images, three classes
        let predictions = Predictions(
            classNames: ["a", "b,c", "d"], indices: [7, 3, 9], labels: [0, 2, 2], logits: logits)
        XCTAssertEqual(predictions.predicted, [0, 1, 2])
        XCTAssertEqual(predictions.ranks, [0, 1, 0])
        XCTAssertEqual(predictions.topAccuracy(2), 1)
        let lines = predictions.csv.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], "index,label,predicted,a,\"b,c\",d")
        XCTAssertTrue(lines[2].hasPrefix("3,2,1,"), lines[2])
        let probabilities = lines[1].split(separator: ",").dropFirst(3).compactMap { Double($0) }
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-5)
        XCTAssertEqual(probabilities[0], exp(2) / (exp(2) + exp(1) + 1), accuracy: 1e-6)

        let json = ModelEvaluation(predictions: predictions, split: .validation, runName: "x").json
        for key in [
            "accuracy", "top2Accuracy", "loss", "confusionMatrix", "perClass", "macroAverage", "weightedAverage",
            "classNames", "split"
        ] {
            XCTAssertNotNil(json[key], "the JSON lacks \(key)")
        }
        XCTAssertEqual(json["split"], .string("validation"))
        XCTAssertEqual(json["perClass"]?["b,c"]?["support"], .number(0))
        let reparsed = try JSONParser.parse(json.serialized(), source: "evaluation.json")
        XCTAssertEqual(reparsed["confusionMatrix"], json["confusionMatrix"])
    }
}
