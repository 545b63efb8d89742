import Foundation

/// Which images of a run an evaluation uses.
public enum EvaluationSplit: String, CaseIterable, Sendable {
    /// The test split (after `data.testLimit`), as at the end of training.
    case test
    /// The images held out for validation, recomputed from the config's seed as training did.
    case validation
    /// The images trained on (after `data.trainLimit`), without augmentation.
    case train

    /// The dataset the split's indices point into.
    public func dataset(in data: TrainingData) -> ImageDataset {
        self == .test ? data.test : data.train
    }

    /// The split's indices, as `TrainingData` computes them from the config.
    public func indices(in data: TrainingData) -> [Int] {
        switch self {
        case .test: return data.testIndices
        case .validation: return data.validationIndices
        case .train: return data.trainIndices
        }
    }
}

/// A checkpoint's model evaluated on one split: loss, accuracy, top-2 accuracy, the confusion
/// matrix and the per-class report, with every prediction kept. What `weft evaluate` prints.
///
/// With the config's `evaluation.tta`, the loss and accuracies of the probabilities averaged
/// over the test-time views come beside the plain ones (`ttaLoss`, `ttaAccuracy`,
/// `ttaTop2Accuracy`); the confusion matrix and per-class report stay the plain network's.
public struct ModelEvaluation: Sendable {
    /// The checkpoint file the model came from (empty when it came from memory).
    public let checkpointPath: String
    /// The run's name (`config.name`).
    public let runName: String
    public let split: EvaluationSplit
    public let predictions: Predictions
    public let confusionMatrix: ConfusionMatrix
    public let report: ClassificationReport
    /// The test-time augmentation and its predictions (averaged probabilities), when the
    /// config has `evaluation.tta`.
    public let testTimeAugmentation: TestTimeAugmentation?
    public let augmentedPredictions: Predictions?

    /// Mean cross-entropy over the split.
    public var loss: Double { predictions.meanLoss }
    /// Fraction predicted correctly.
    public var accuracy: Double { report.accuracy }
    /// Fraction whose label is among the two highest-scored classes.
    public var top2Accuracy: Double { predictions.topAccuracy(2) }
    /// The number of images evaluated.
    public var count: Int { predictions.count }
    /// With TTA: the mean `-log p̄(label)`, the accuracy and the top-2 accuracy of the averaged
    /// probabilities.
    public var ttaLoss: Double? { augmentedPredictions?.meanLoss }
    public var ttaAccuracy: Double? {
        augmentedPredictions.map { tta in
            tta.count > 0 ? Double(zip(tta.predicted, tta.labels).filter { $0 == $1 }.count) / Double(tta.count) : 0
        }
    }
    public var ttaTop2Accuracy: Double? { augmentedPredictions.map { $0.topAccuracy(2) } }

    /// Evaluates `model` on `split` of `data` (loaded from the model's config).
    public init(
        model: TrainedModel, data: TrainingData, split: EvaluationSplit, batchSize: Int? = nil,
        checkpointPath: String = ""
    ) {
        let (predictions, augmented) = model.predictionsWithAugmentation(
            dataset: split.dataset(in: data), indices: split.indices(in: data),
            batchSize: batchSize ?? model.config.training.evaluationBatchSize)
        self.init(
            predictions: predictions, split: split, runName: model.config.name, checkpointPath: checkpointPath,
            testTimeAugmentation: augmented == nil ? nil : model.testTimeAugmentation, augmentedPredictions: augmented)
    }

    /// The evaluation of predictions already made (`augmentedPredictions`: those of
    /// `testTimeAugmentation`'s averaged probabilities, when there are).
    public init(
        predictions: Predictions, split: EvaluationSplit, runName: String, checkpointPath: String = "",
        testTimeAugmentation: TestTimeAugmentation? = nil, augmentedPredictions: Predictions? = nil
    ) {
        self.predictions = predictions
        self.testTimeAugmentation = testTimeAugmentation
        self.augmentedPredictions = augmentedPredictions
        self.split = split
        self.runName = runName
        self.checkpointPath = checkpointPath
        confusionMatrix = predictions.confusionMatrix
        report = ClassificationReport(confusionMatrix: confusionMatrix, classNames: predictions.classNames)
    }

    /// Loads the checkpoint and the data its config names (`dataDirectory` replaces
    /// `data.directory`), checks that they fit, and evaluates `split`.
    ///
    /// - Throws: `WeftError` when the checkpoint or dataset is missing or damaged, the images or
    ///   classes do not fit the model, or the split is empty.
    public static func evaluate(
        checkpointPath: String, split: EvaluationSplit, dataDirectory: String? = nil,
        batchSize: Int? = nil, testTimeAugmentation: [EvaluationConfig.ViewFamily]? = nil
    ) throws -> (evaluation: ModelEvaluation, model: TrainedModel, data: TrainingData) {
        var model = try TrainedModel(checkpointPath: checkpointPath)
        if let testTimeAugmentation {
            model.testTimeAugmentation = TestTimeAugmentation(families: testTimeAugmentation)
        }
        let data = try TrainedModel.data(for: model, checkpointPath: checkpointPath, dataDirectory: dataDirectory)
        if split == .test && !data.hasTestSplit {
            throw WeftError(
                "\(checkpointPath): the run's config names no test split (data.test is not set); use --split validation"
            )
        }
        guard !split.indices(in: data).isEmpty else {
            throw WeftError(
                "\(checkpointPath): the run has no \(split.rawValue) images (data.validationFraction is \(model.config.data.validationFraction)); use --split test or --split train"
            )
        }
        let evaluation = ModelEvaluation(
            model: model, data: data, split: split, batchSize: batchSize, checkpointPath: checkpointPath)
        return (evaluation, model, data)
    }

    /// Everything as JSON: `checkpoint`, `run`, `split`, `images`, `loss`, `accuracy`,
    /// `top2Accuracy`, `classNames`, `confusionMatrix` (rows: true class), `perClass` (keyed by
    /// class name: `precision`, `recall`, `f1`, `support`), `macroAverage`, `weightedAverage`;
    /// with TTA also `tta` (the families), `ttaViews`, `ttaLoss`, `ttaAccuracy` and
    /// `ttaTop2Accuracy`, the other keys keeping their plain meaning.
    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("checkpoint", .string(checkpointPath)), ("run", .string(runName)), ("split", .string(split.rawValue)),
            ("images", .number(Double(count))), ("loss", .number(loss)), ("accuracy", .number(accuracy)),
            ("top2Accuracy", .number(top2Accuracy))
        ]
        if let testTimeAugmentation, let ttaLoss, let ttaAccuracy, let ttaTop2Accuracy {
            members += [
                ("tta", .array(testTimeAugmentation.families.map { .string($0.rawValue) })),
                ("ttaViews", .number(Double(testTimeAugmentation.views.count))), ("ttaLoss", .number(ttaLoss)),
                ("ttaAccuracy", .number(ttaAccuracy)), ("ttaTop2Accuracy", .number(ttaTop2Accuracy))
            ]
        }
        members += [
            ("classNames", .array(predictions.classNames.map { .string($0) })),
            ("confusionMatrix", confusionMatrix.json), ("perClass", report.perClassJSON),
            ("macroAverage", report.macroAverage.json), ("weightedAverage", report.weightedAverage.json)
        ]
        return .object(members)
    }

    /// The plain numbers and, with TTA, the averaged ones beside them:
    /// `loss 0.3012   accuracy 89.10%   top-2 accuracy 96.00%` then, on the next line,
    /// `TTA flip (2 views): loss 0.2950   accuracy 89.60%   top-2 accuracy 96.20%`.
    public var headline: String {
        var text = String(
            format: "loss %.4f   accuracy %.2f%%   top-2 accuracy %.2f%%\n", loss, 100 * accuracy, 100 * top2Accuracy)
        if let testTimeAugmentation, let ttaLoss, let ttaAccuracy, let ttaTop2Accuracy {
            text += String(
                format: "%@ (%d views): loss %.4f   accuracy %.2f%%   top-2 accuracy %.2f%%\n",
                testTimeAugmentation.label, testTimeAugmentation.views.count, ttaLoss, 100 * ttaAccuracy,
                100 * ttaTop2Accuracy)
        }
        return text
    }

    /// The summary `weft evaluate` prints: a headline, the per-class report in scikit-learn's
    /// layout, and the confusion matrix.
    public var text: String {
        var text =
            "\(runName): \(checkpointPath.isEmpty ? "model" : checkpointPath) on the \(split.rawValue) split (\(count) images)\n"
        text += headline + "\n"
        text += report.text(digits: 4)
        text += "\nconfusion matrix (rows: true class, columns: predicted class)\n"
        text += confusionMatrix.table(classNames: predictions.classNames) + "\n"
        return text
    }
}

extension TrainedModel {
    /// The data of `model`'s config, checked against the model: image shape and class count.
    static func data(for model: TrainedModel, checkpointPath: String, dataDirectory: String?) throws -> TrainingData {
        let data = try TrainingData(
            config: model.config, directoryOverride: dataDirectory, normalization: model.normalization)
        let shape = [data.test.channels, data.test.height, data.test.width]
        guard shape == model.config.model.input, data.test.classCount == model.classNames.count else {
            throw WeftError(
                "\(checkpointPath): the model takes \(ModelBuilder.describe(model.config.model.input)) images in \(model.classNames.count) classes but the dataset has \(ModelBuilder.describe(shape)) images in \(data.test.classCount) classes; pass the --data-dir the run was trained on"
            )
        }
        return data
    }
}
