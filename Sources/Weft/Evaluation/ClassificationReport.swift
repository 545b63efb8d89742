import Foundation

/// Precision, recall, F1 and support of one class, or an average of them.
public struct ClassMetrics: Equatable, Sendable {
    /// Of the images predicted as the class, the fraction that belong to it.
    public var precision: Double
    /// Of the class's images, the fraction predicted as it.
    public var recall: Double
    /// The harmonic mean of precision and recall: `2·tp / (2·tp + fp + fn)`.
    public var f1: Double
    /// The class's images (for an average: all images).
    public var support: Int

    public init(precision: Double, recall: Double, f1: Double, support: Int) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }

    /// `{"precision", "recall", "f1", "support"}`.
    public var json: JSONValue {
        .object([
            ("precision", .number(precision)), ("recall", .number(recall)), ("f1", .number(f1)),
            ("support", .number(Double(support)))
        ])
    }
}

/// Per-class precision, recall, F1 and support with their macro and weighted averages and the
/// accuracy: scikit-learn's `classification_report(y_true, y_pred, labels=range(K),
/// target_names=classNames)`, its dictionary and its text layout.
///
/// Zero division follows scikit-learn's default `zero_division="warn"`, which yields 0: a class
/// never predicted has precision 0, a class without images has recall 0, and F1 is 0 when
/// `2·tp + fp + fn` is 0. Every class counts in the macro average, including classes that
/// have no images (as when `labels` is given to scikit-learn); the weighted average weights
/// each class by its support.
public struct ClassificationReport: Equatable, Sendable {
    public let classNames: [String]
    /// One entry per class, in label order.
    public let perClass: [ClassMetrics]
    /// The fraction of images predicted correctly.
    public let accuracy: Double
    /// The unweighted mean over classes; support is the total.
    public let macroAverage: ClassMetrics
    /// The mean over classes weighted by support; support is the total.
    public let weightedAverage: ClassMetrics

    /// The report of `confusionMatrix` (rows: true class, columns: predicted class).
    public init(confusionMatrix matrix: ConfusionMatrix, classNames: [String]) {
        precondition(
            classNames.count == matrix.classCount,
            "ClassificationReport: \(classNames.count) names for \(matrix.classCount) classes")
        func ratio(_ numerator: Int, _ denominator: Int) -> Double {
            denominator > 0 ? Double(numerator) / Double(denominator) : 0
        }
        let metrics = (0..<matrix.classCount).map { label in
            let truePositives = matrix.counts[label][label]
            let predicted = matrix.predictedCount(of: label), support = matrix.support(of: label)
            let falsePositives = predicted - truePositives, falseNegatives = support - truePositives
            return ClassMetrics(
                precision: ratio(truePositives, predicted), recall: ratio(truePositives, support),
                f1: ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives),
                support: support)
        }
        let total = matrix.total, classes = Double(matrix.classCount)
        func mean(_ metric: (ClassMetrics) -> Double) -> Double {
            metrics.reduce(0) { $0 + metric($1) } / classes
        }
        func weighted(_ metric: (ClassMetrics) -> Double) -> Double {
            total > 0 ? metrics.reduce(0) { $0 + metric($1) * Double($1.support) } / Double(total) : 0
        }
        self.classNames = classNames
        perClass = metrics
        accuracy = matrix.accuracy
        macroAverage = ClassMetrics(
            precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1), support: total)
        weightedAverage = ClassMetrics(
            precision: weighted(\.precision), recall: weighted(\.recall),
            f1: weighted(\.f1), support: total)
    }

    /// The text scikit-learn's `classification_report(..., digits:)` prints, character for
    /// character: a header, one row per class, then accuracy, macro avg and weighted avg.
    public func text(digits: Int = 4) -> String {
        let width = max(classNames.map(\.count).max() ?? 0, "weighted avg".count, digits)
        func right(_ text: String, _ width: Int) -> String {
            String(repeating: " ", count: max(0, width - text.count)) + text
        }
        func number(_ value: Double) -> String { right(String(format: "%.\(digits)f", value), 9) }
        func row(_ name: String, _ metrics: ClassMetrics) -> String {
            right(name, width) + " "
                + [
                    number(metrics.precision), number(metrics.recall), number(metrics.f1),
                    right(String(metrics.support), 9)
                ].map { " " + $0 }.joined() + "\n"
        }
        var text =
            right("", width) + " " + ["precision", "recall", "f1-score", "support"].map { " " + right($0, 9) }.joined()
        text += "\n\n"
        for (name, metrics) in zip(classNames, perClass) {
            text += row(name, metrics)
        }
        text += "\n"
        text +=
            right("accuracy", width) + " "
            + [
                right("", 9), right("", 9), number(accuracy),
                right(String(macroAverage.support), 9)
            ].map { " " + $0 }.joined() + "\n"
        text += row("macro avg", macroAverage)
        text += row("weighted avg", weightedAverage)
        return text
    }

    /// `perClass` keyed by class name, in label order.
    public var perClassJSON: JSONValue {
        .object(zip(classNames, perClass).map { (key: $0, value: $1.json) })
    }
}
