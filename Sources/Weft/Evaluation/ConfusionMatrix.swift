/// Counts of (true class, predicted class) pairs, as scikit-learn's `confusion_matrix(y_true,
/// y_pred, labels=range(classCount))`: row `i` is the true class, column `j` the predicted one.
public struct ConfusionMatrix: Equatable, Sendable {
    /// The number of classes; the matrix is `classCount × classCount`.
    public let classCount: Int
    /// `[classCount][classCount]`: `counts[label][predicted]`.
    public private(set) var counts: [[Int]]

    /// An empty matrix.
    public init(classCount: Int) {
        precondition(classCount > 0, "ConfusionMatrix: classCount must be positive, got \(classCount)")
        self.classCount = classCount
        counts = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
    }

    /// The matrix of `labels` against `predictions` (same length, each in `0..<classCount`).
    public init(labels: [Int], predictions: [Int], classCount: Int) {
        precondition(
            labels.count == predictions.count,
            "ConfusionMatrix: \(labels.count) labels but \(predictions.count) predictions")
        self.init(classCount: classCount)
        for (label, predicted) in zip(labels, predictions) {
            add(label: label, predicted: predicted)
        }
    }

    /// Counts one image of class `label` predicted as `predicted`.
    public mutating func add(label: Int, predicted: Int) {
        precondition(
            (0..<classCount).contains(label) && (0..<classCount).contains(predicted),
            "ConfusionMatrix: class \(label) or \(predicted) is outside 0..<\(classCount)")
        counts[label][predicted] += 1
    }

    /// All counted images.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }

    /// Images whose prediction is their label: the trace.
    public var correct: Int { (0..<classCount).reduce(0) { $0 + counts[$1][$1] } }

    /// `correct / total` (0 for an empty matrix).
    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }

    /// Images whose true class is `label`: the row sum (scikit-learn's "support").
    public func support(of label: Int) -> Int { counts[label].reduce(0, +) }

    /// Images predicted as `label`: the column sum.
    public func predictedCount(of label: Int) -> Int { counts.reduce(0) { $0 + $1[label] } }

    /// The fraction of class `label`'s images predicted as `predicted` (0 when the class has none).
    public func rowFraction(label: Int, predicted: Int) -> Double {
        let support = support(of: label)
        return support > 0 ? Double(counts[label][predicted]) / Double(support) : 0
    }

    /// The matrix as a text table: one row per true class (`0 T-shirt/top`), one column per
    /// predicted class headed by its number.
    ///
    ///     true \ predicted    0    1    2
    ///     0 T-shirt/top     812    3   17
    public func table(classNames: [String]) -> String {
        precondition(
            classNames.count == classCount, "ConfusionMatrix.table: \(classNames.count) names for \(classCount) classes"
        )
        let rowNames = classNames.enumerated().map { "\($0.offset) \($0.element)" }
        let corner = "true \\ predicted"
        let nameWidth = max(corner.count, rowNames.map(\.count).max() ?? 0)
        let largest = counts.flatMap { $0 }.max() ?? 0
        let columnWidth = max(String(largest).count, String(classCount - 1).count) + 2
        func padLeft(_ text: String, _ width: Int) -> String {
            String(repeating: " ", count: max(0, width - text.count)) + text
        }
        func padRight(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        var lines = [padRight(corner, nameWidth) + (0..<classCount).map { padLeft(String($0), columnWidth) }.joined()]
        for (label, row) in counts.enumerated() {
            lines.append(padRight(rowNames[label], nameWidth) + row.map { padLeft(String($0), columnWidth) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// The rows as a JSON array of arrays.
    public var json: JSONValue {
        .array(counts.map { .array($0.map { .number(Double($0)) }) })
    }
}
