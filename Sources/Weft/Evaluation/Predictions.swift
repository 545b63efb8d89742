import Foundation

/// What a model predicted for a set of images: for each image its dataset index, its label, the
/// predicted class, the softmax probabilities and its cross-entropy loss.
///
/// Probabilities and losses are computed in Double from the float32 logits. The predicted class
/// is the first largest logit, as `torch.argmax` and `numpy.argmax` choose.
public struct Predictions: Sendable {
    public let classNames: [String]
    /// The dataset index of each image.
    public private(set) var indices: [Int] = []
    /// The true class of each image.
    public private(set) var labels: [Int] = []
    /// The predicted class of each image.
    public private(set) var predicted: [Int] = []
    /// `[count, classCount]` row-major softmax probabilities.
    public private(set) var probabilities: [Double] = []
    /// Each image's cross-entropy `-log p(label)`, in nats.
    public private(set) var losses: [Double] = []
    /// Each image's number of classes scored strictly above its label (0 when top-1 correct).
    public private(set) var ranks: [Int] = []

    /// No predictions yet.
    public init(classNames: [String]) {
        precondition(!classNames.isEmpty, "Predictions: at least one class is needed")
        self.classNames = classNames
    }

    /// The predictions of `logits` (`[labels.count, classNames.count]`, row-major).
    public init(classNames: [String], indices: [Int]? = nil, labels: [Int], logits: [Float]) {
        self.init(classNames: classNames)
        precondition(
            logits.count == labels.count * classNames.count,
            "Predictions: \(logits.count) logits do not make \(labels.count) rows of \(classNames.count) classes")
        logits.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            append(indices: indices ?? Array(0..<labels.count), labels: labels, logits: base)
        }
    }

    /// The number of classes.
    public var classCount: Int { classNames.count }
    /// The number of images.
    public var count: Int { labels.count }

    /// Adds a batch: `logits` points at `[labels.count, classCount]` floats.
    public mutating func append(indices batchIndices: [Int], labels batchLabels: [Int], logits: UnsafePointer<Float>) {
        precondition(batchIndices.count == batchLabels.count, "Predictions.append: indices and labels differ in count")
        let classes = classCount
        for (row, label) in batchLabels.enumerated() {
            precondition((0..<classes).contains(label), "Predictions.append: label \(label) outside 0..<\(classes)")
            let scores = logits + row * classes
            var best = 0
            for column in 1..<max(classes, 1) where scores[column] > scores[best] { best = column }
            var above = 0
            for column in 0..<classes where scores[column] > scores[label] { above += 1 }
            let largest = Double(scores[best])
            var sum = 0.0
            for column in 0..<classes { sum += exp(Double(scores[column]) - largest) }
            for column in 0..<classes { probabilities.append(exp(Double(scores[column]) - largest) / sum) }
            losses.append(largest + log(sum) - Double(scores[label]))
            predicted.append(best)
            ranks.append(above)
        }
        indices += batchIndices
        labels += batchLabels
    }

    /// The probability the model gives image `row` (a position, not a dataset index) for `label`.
    public func probability(row: Int, label: Int) -> Double {
        probabilities[row * classCount + label]
    }

    /// The probability of image `row`'s predicted class: the model's confidence.
    public func confidence(row: Int) -> Double {
        probability(row: row, label: predicted[row])
    }

    /// The mean cross-entropy (scikit-learn's `log_loss`, PyTorch's `cross_entropy`).
    public var meanLoss: Double { count > 0 ? losses.reduce(0, +) / Double(count) : 0 }

    /// The fraction of images whose predicted class is their label.
    public var accuracy: Double { topAccuracy(1) }

    /// The fraction of images whose label is among the `k` highest-scored classes, as
    /// scikit-learn's `top_k_accuracy_score(k=k)` when no scores tie (a tie with the label's
    /// score counts in the label's favour).
    public func topAccuracy(_ k: Int) -> Double {
        count > 0 ? Double(ranks.filter { $0 < k }.count) / Double(count) : 0
    }

    /// The confusion matrix of labels against predicted classes.
    public var confusionMatrix: ConfusionMatrix {
        ConfusionMatrix(labels: labels, predictions: predicted, classCount: classCount)
    }

    /// A CSV file: the header `index,label,predicted,<class name>...`, then one line per image with
    /// its dataset index, label and predicted class (numbers) and one probability per class.
    public var csv: String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = [(["index", "label", "predicted"] + classNames.map(field)).joined(separator: ",")]
        lines.reserveCapacity(count + 1)
        for row in 0..<count {
            var line = "\(indices[row]),\(labels[row]),\(predicted[row])"
            for label in 0..<classCount {
                line += String(format: ",%.6f", probability(row: row, label: label))
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
