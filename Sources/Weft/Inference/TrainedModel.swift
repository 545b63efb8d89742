/// A model ready for inference: built from a checkpoint's config, with its weights and
/// buffers, its input normalisation and its class names.
public struct TrainedModel {
    public let config: TrainingConfig
    public let model: Sequential
    public let normalization: Normalization
    public let classNames: [String]
    /// The test-time views evaluation and prediction average over (the config's
    /// `evaluation.tta`); nil for the plain network alone.
    public var testTimeAugmentation: TestTimeAugmentation?

    /// Loads the model of a checkpoint file.
    public init(checkpointPath: String) throws {
        try self.init(checkpoint: try Checkpoint(path: checkpointPath))
    }

    /// The model of a checkpoint, every tensor checked against the config's shapes: its moving
    /// average of the weights when it keeps one (`training.ema`), else its weights.
    public init(checkpoint: Checkpoint) throws {
        let builder = try ModelBuilder(config: checkpoint.config.model, source: checkpoint.path)
        var generator = RandomGenerator(seed: 0)
        let model = builder.build(generator: &generator)
        let match = WeightMatch(targets: model.parameters + model.buffers, saved: checkpoint.snapshot.inferenceModel)
        switch match.mismatches.first {
        case .missing(let name, _), .wrongShape(let name, _, _):
            throw WeftError(
                "\(checkpoint.path): tensor \(name) is missing or has the wrong shape for its config's model; the checkpoint is damaged"
            )
        case .unexpected(let name, _):
            throw WeftError(
                "\(checkpoint.path): tensor \(name) belongs to no layer of its config's model; the checkpoint is damaged"
            )
        case nil: match.copy()
        }
        self.init(
            config: checkpoint.config, model: model, normalization: checkpoint.normalization,
            classNames: checkpoint.classNames)
    }

    public init(config: TrainingConfig, model: Sequential, normalization: Normalization, classNames: [String]) {
        self.config = config
        self.model = model
        self.normalization = normalization
        self.classNames = classNames
        testTimeAugmentation = TestTimeAugmentation(config: config)
    }

    /// The logits `[N, classes]` of normalised images `[N, C, H, W]`, in evaluation mode.
    public func logits(_ images: Tensor) -> Tensor {
        Autograd.withoutRecording {
            var context = ForwardContext(training: false)
            return model.forward(images, context: &context)
        }
    }

    /// Loss (plain cross-entropy) and accuracy on `indices` of `dataset`, in batches of `batchSize`;
    /// with `testTimeAugmentation`, also the loss and accuracy of the probabilities averaged over
    /// its views (`ttaLoss`, `ttaAccuracy`; the plain numbers are unchanged). `body`, when given,
    /// sees every batch's indices, plain logits and labels.
    public func evaluate(
        dataset: ImageDataset, indices: [Int], batchSize: Int = 500,
        body: ((ArraySlice<Int>, Tensor, [Int]) -> Void)? = nil
    ) -> EvaluationResult {
        evaluateBatches(dataset: dataset, indices: indices, batchSize: batchSize) { slice, logits, _, labels in
            body?(slice, logits, labels)
        }
    }

    /// `evaluate`, with `body` seeing every batch's indices, plain logits `[B, classes]`, the
    /// logarithms of the probabilities averaged over the test-time views `[B, classes]` (nil
    /// without `testTimeAugmentation`; see `TestTimeAugmentation.logarithms(of:)`) and labels.
    public func evaluateBatches(
        dataset: ImageDataset, indices: [Int], batchSize: Int = 500,
        body: (ArraySlice<Int>, Tensor, Tensor?, [Int]) -> Void
    ) -> EvaluationResult {
        let loader = BatchLoader(
            dataset: dataset, indices: indices, batchSize: batchSize, normalization: normalization, seed: 0)
        var metrics = MetricAccumulator()
        var augmentedMetrics = MetricAccumulator()
        for (slice, images, labels) in loader.evaluationBatches(order: indices) {
            let output = logits(images)
            let loss = Autograd.withoutRecording { output.softmaxCrossEntropy(labels: labels) }
            metrics.add(meanLoss: loss.scalar, logits: output, labels: labels)
            var logarithms: Tensor?
            if let testTimeAugmentation {
                let averaged = averagedProbabilities(images, augmentation: testTimeAugmentation, identityLogits: output)
                augmentedMetrics.add(probabilities: averaged, labels: labels)
                logarithms = TestTimeAugmentation.logarithms(of: averaged)
            }
            body(slice, output, logarithms, labels)
        }
        var result = metrics.result
        if testTimeAugmentation != nil {
            result.ttaLoss = augmentedMetrics.meanLoss
            result.ttaAccuracy = augmentedMetrics.accuracy
        }
        return result
    }
}
