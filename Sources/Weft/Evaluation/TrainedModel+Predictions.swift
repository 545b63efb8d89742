/// Predictions and penultimate-layer features of a trained model over a dataset.
extension TrainedModel {
    /// The predictions on `indices` of `dataset`, in batches of `batchSize`, in evaluation mode.
    public func predictions(dataset: ImageDataset, indices: [Int], batchSize: Int = 500) -> Predictions {
        predictionsWithAugmentation(dataset: dataset, indices: indices, batchSize: batchSize).plain
    }

    /// The plain network's predictions on `indices` of `dataset` and, with
    /// `testTimeAugmentation`, those of the probabilities averaged over its views (nil without),
    /// made in one pass.
    public func predictionsWithAugmentation(dataset: ImageDataset, indices: [Int], batchSize: Int = 500) -> (
        plain: Predictions, augmented: Predictions?
    ) {
        var plain = Predictions(classNames: classNames)
        var augmented = testTimeAugmentation.map { _ in Predictions(classNames: classNames) }
        _ = evaluateBatches(dataset: dataset, indices: indices, batchSize: batchSize) {
            slice, logits, logarithms, labels in
            plain.append(indices: Array(slice), labels: labels, logits: logits.data)
            if let logarithms { augmented?.append(indices: Array(slice), labels: labels, logits: logarithms.data) }
        }
        return (plain, augmented)
    }

    /// The position in `model.layers` of the layer whose input is the penultimate features: the
    /// last dense layer (the classifier), or the last layer when there is no dense layer.
    public var classifierLayerIndex: Int {
        model.layers.lastIndex { $0 is Dense } ?? model.layers.count - 1
    }

    /// The penultimate-layer features of normalised images `[N, C, H, W]`: the input of the last
    /// dense layer, flattened to `[N, features]`, in evaluation mode.
    public func features(_ images: Tensor) -> Tensor {
        Autograd.withoutRecording {
            var context = ForwardContext(training: false)
            let output = model.forward(images, context: &context, upTo: classifierLayerIndex)
            return output.flattened().copy()
        }
    }

    /// The penultimate-layer features of `indices` of `dataset`: `[indices.count, dimension]`
    /// row-major floats, in the order of `indices`.
    public func features(dataset: ImageDataset, indices: [Int], batchSize: Int = 500) -> (
        values: [Float], dimension: Int
    ) {
        let loader = BatchLoader(
            dataset: dataset, indices: indices, batchSize: batchSize, normalization: normalization, seed: 0)
        var values: [Float] = []
        var dimension = 0
        for (_, images, _) in loader.evaluationBatches(order: indices) {
            let batch = features(images)
            dimension = batch.shape[1]
            values += batch.scalars
        }
        return (values, dimension)
    }
}
