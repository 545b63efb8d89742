import Foundation

/// Loss and accuracy of a model over a set of images, in evaluation mode and with nothing
/// recorded for a backward pass.
public struct EvaluationResult: Equatable, Sendable {
    public var loss: Double
    public var accuracy: Double
    public var count: Int
    /// With test-time augmentation: the mean `-log p̄(label)` of the probabilities averaged over
    /// the views; nil without.
    public var ttaLoss: Double? = nil
    /// With test-time augmentation: the accuracy of the averaged probabilities; nil without.
    public var ttaAccuracy: Double? = nil
}

/// Running sums of loss and correct predictions over batches.
public struct MetricAccumulator {
    public private(set) var lossSum: Double = 0
    public private(set) var correct = 0
    public private(set) var count = 0

    public init() {}

    /// Adds a batch: its mean loss and its logits `[B, classes]` against `labels`.
    public mutating func add(meanLoss: Float, logits: Tensor, labels: [Int]) {
        lossSum += Double(meanLoss) * Double(labels.count)
        correct += MetricAccumulator.correctPredictions(logits: logits, labels: labels)
        count += labels.count
    }

    /// Adds a batch of probabilities `[B, classes]` (e.g. averaged over test-time views): the
    /// loss of a row is `-log p(label)` (computed in Double, the probability clamped at the
    /// smallest positive float), its prediction the first largest probability.
    public mutating func add(probabilities: Tensor, labels: [Int]) {
        let classes = probabilities.shape[1]
        for (row, label) in labels.enumerated() {
            let probability = max(probabilities.data[row * classes + label], Float.leastNonzeroMagnitude)
            lossSum -= log(Double(probability))
        }
        correct += MetricAccumulator.correctPredictions(logits: probabilities, labels: labels)
        count += labels.count
    }

    public var meanLoss: Double { count > 0 ? lossSum / Double(count) : 0 }
    public var accuracy: Double { count > 0 ? Double(correct) / Double(count) : 0 }
    public var result: EvaluationResult { EvaluationResult(loss: meanLoss, accuracy: accuracy, count: count) }

    /// How many rows of `logits` have their largest score (first on ties) at the label.
    public static func correctPredictions(logits: Tensor, labels: [Int]) -> Int {
        let classes = logits.shape[1]
        var correct = 0
        for (row, label) in labels.enumerated() {
            let scores = logits.data + row * classes
            var best = 0
            for column in 1..<classes where scores[column] > scores[best] { best = column }
            if best == label { correct += 1 }
        }
        return correct
    }
}
