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
public struct ModelEvaluation: Sendable {
    /// The checkpoint file the model came from (empty when it came from memory).
    public let checkpointPath: String
    /// The run's name (`config.name`).
    public let runName: String
    public let split: EvaluationSplit
    public let predictions: Predictions
    public let confusionMatrix: ConfusionMatrix
    public let report: ClassificationReport

    /// Mean cross-entropy over the split.
    public var loss: Double { predictions.meanLoss }
    /// Fraction predicted correctly.
    public var accuracy: Double { report.accuracy }
    /// Fraction whose label is among the two highest-scored classes.
    public var top2Accuracy: Double { predictions.topAccuracy(2) }
    /// The number of images evaluated.
    public var count: Int { predictions.count }

    /// Evaluates `model` on `split` of `data` (loaded from the model's config).
    public init(
        model: TrainedModel, data: TrainingData, split: EvaluationSplit, batchSize: Int? = nil,
        checkpointPath: String = ""
    ) {
        let predictions = model.predictions(
            dataset: split.dataset(in: data), indices: split.indices(in: data),
            batchSize: batchSize ?? model.config.training.evaluationBatchSize)
        self.init(predictions: predictions, split: split, runName: model.config.name, checkpointPath: checkpointPath)
    }

    /// The evaluation of predictions already made.
    public init(predictions: Predictions, split: EvaluationSplit, runName: String, checkpointPath: String = "") {
        self.predictions = predictions
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
        batchSize: Int? = nil
    ) throws -> (evaluation: ModelEvaluation, model: TrainedModel, data: TrainingData) {
        let model = try TrainedModel(checkpointPath: checkpointPath)
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
    /// class name: `precision`, `recall`, `f1`, `support`), `macroAverage`, `weightedAverage`.
    public var json: JSONValue {
        .object([
            ("checkpoint", .string(checkpointPath)), ("run", .string(runName)), ("split", .string(split.rawValue)),
            ("images", .number(Double(count))), ("loss", .number(loss)), ("accuracy", .number(accuracy)),
            ("top2Accuracy", .number(top2Accuracy)),
            ("classNames", .array(predictions.classNames.map { .string($0) })),
            ("confusionMatrix", confusionMatrix.json), ("perClass", report.perClassJSON),
            ("macroAverage", report.macroAverage.json), ("weightedAverage", report.weightedAverage.json)
        ])
    }

    /// The summary `weft evaluate` prints: a headline, the per-class report in scikit-learn's
    /// layout, and the confusion matrix.
    public var text: String {
        var text =
            "\(runName): \(checkpointPath.isEmpty ? "model" : checkpointPath) on the \(split.rawValue) split (\(count) images)\n"
        text += String(
            format: "loss %.4f   accuracy %.2f%%   top-2 accuracy %.2f%%\n\n", loss, 100 * accuracy, 100 * top2Accuracy)
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
