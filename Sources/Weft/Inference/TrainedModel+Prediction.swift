/// One image's classes, most probable first.
public struct Prediction: Equatable, Sendable {
    /// A class and its probability.
    public struct Ranked: Equatable, Sendable {
        public let label: Int
        public let className: String
        public let probability: Float
    }

    /// The `top` most probable classes, most probable first (ties: the lower label first).
    public let ranked: [Ranked]
    /// The most probable class.
    public var label: Int { ranked[0].label }
}

extension TrainedModel {
    /// The softmax probabilities `[N, classes]` of `count` images given as bytes `[N, C, H, W]`
    /// in the model's input shape, normalised as the model was trained (evaluation mode, batches
    /// of `batchSize`). With `testTimeAugmentation`, the probabilities averaged over its views.
    public func probabilities(imageBytes: [UInt8], count: Int, batchSize: Int = 256) -> Tensor {
        let input = config.model.input
        let imageSize = input.reduce(1, *), plane = input[1] * input[2]
        precondition(
            imageBytes.count == count * imageSize,
            "probabilities: \(imageBytes.count) bytes are not \(count) images of \(input)")
        let tables = (0..<input[0]).map { normalization.table(channel: $0) }
        let classes = classNames.count
        let result = Tensor(uninitializedShape: [count, classes])
        var start = 0
        while start < count {
            let batch = min(batchSize, count - start)
            let images = Tensor(uninitializedShape: Shape([batch] + input))
            for index in 0..<(batch * imageSize) {
                let channel = (index % imageSize) / plane
                images.data[index] = tables[channel][Int(imageBytes[start * imageSize + index])]
            }
            let probabilities =
                testTimeAugmentation.map { averagedProbabilities(images, augmentation: $0) }
                ?? Autograd.withoutRecording { logits(images).softmax() }
            (result.data + start * classes).update(from: probabilities.data, count: batch * classes)
            start += batch
        }
        return result
    }

    /// The `top` most probable classes of each of `count` images (`[N, C, H, W]` bytes).
    public func predict(imageBytes: [UInt8], count: Int, top: Int) -> [Prediction] {
        let probabilities = probabilities(imageBytes: imageBytes, count: count)
        let classes = classNames.count
        let kept = max(1, min(top, classes))
        return (0..<count).map { row in
            let scores = (0..<classes).map { probabilities.data[row * classes + $0] }
            let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            return Prediction(
                ranked: order.prefix(kept).map {
                    Prediction.Ranked(label: $0, className: classNames[$0], probability: scores[$0])
                })
        }
    }
}
