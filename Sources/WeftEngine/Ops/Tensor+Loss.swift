import Foundation

extension Tensor {
    /// Softmax cross-entropy of these logits `[N, C]` against integer `labels` (N of them, each in
    /// `0..<C`), averaged over the batch, as `torch.nn.functional.cross_entropy(logits, labels,
    /// label_smoothing:)`. With smoothing ε the target is `(1-ε)·onehot + ε/C`.
    /// - Returns: a scalar `[]`. The fused backward is `(softmax - target) / N`.
    public func softmaxCrossEntropy(labels: [Int], labelSmoothing: Float = 0) -> Tensor {
        precondition(shape.rank == 2, "softmaxCrossEntropy: logits \(shape) must be [N, C]")
        let rows = shape[0], columns = shape[1]
        precondition(labels.count == rows, "softmaxCrossEntropy: \(labels.count) labels for logits \(shape)")
        precondition(
            labelSmoothing >= 0 && labelSmoothing <= 1,
            "softmaxCrossEntropy: label smoothing must be in [0, 1], got \(labelSmoothing)")
        let logProbabilities = TensorStorage(uninitializedCount: count)
        Tensor.softmaxRows(data, rows: rows, columns: columns, into: logProbabilities.pointer, logarithm: true)
        let offTarget = labelSmoothing / Float(columns), onTarget = 1 - labelSmoothing + offTarget
        var total: Double = 0
        for row in 0..<rows {
            let label = labels[row]
            precondition(
                label >= 0 && label < columns,
                "softmaxCrossEntropy: label \(label) of row \(row) is outside 0..<\(columns)")
            let logP = logProbabilities.pointer + row * columns
            var rowLoss: Double = -Double(logP[label]) * Double(1 - labelSmoothing)
            if labelSmoothing > 0 {
                var sum: Double = 0
                for column in 0..<columns { sum += Double(logP[column]) }
                rowLoss -= Double(labelSmoothing) / Double(columns) * sum
            }
            total += rowLoss
        }
        let output = Tensor(scalar: Float(total / Double(rows)))
        return output.recorded("softmaxCrossEntropy", inputs: [self]) { [self] dout in
            let dx = gradientForAccumulation(), scale = dout.data[0] / Float(rows)
            for row in 0..<rows {
                let base = row * columns
                for column in 0..<columns {
                    let target = column == labels[row] ? onTarget : offTarget
                    dx[base + column] += (expf(logProbabilities.pointer[base + column]) - target) * scale
                }
            }
        }
    }
}
