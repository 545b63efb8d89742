import Foundation

/// Everything `weft report` shows about a run: its config and history, its checkpoint's model
/// evaluated on the test split, the most confident mistakes, sample predictions per class, and
/// a PCA projection of the penultimate-layer features. `write(to:)` renders it (see
/// `RunReport+HTML.swift` and `RunReport+Charts.swift`).
public struct RunReport {
    /// The run folder (`checkpoint.directory`).
    public let folder: String
    /// The checkpoint evaluated.
    public let checkpoint: Checkpoint
    public let model: TrainedModel
    public let data: TrainingData
    public let history: RunHistory
    /// The model on the test split.
    public let evaluation: ModelEvaluation
    public let misclassified: [GalleryItem]
    public let samples: [[GalleryItem]]
    /// The penultimate-layer features of up to `projectionImages` test images, projected on
    /// their first two principal components.
    public let projection: FeatureProjection
    /// Trainable values in the model.
    public let parameterCount: Int
    public let generatedAt: Date

    /// The run folder and checkpoint `target` names: a run folder (its `last.safetensors`, else
    /// `best.safetensors`) or a checkpoint file (its folder is the run folder).
    ///
    /// - Throws: `WeftError` when `target` is missing or a folder without a checkpoint.
    public static func locate(_ target: String) throws -> (folder: String, checkpoint: String) {
        try RunFolder.locateCheckpoint(target, purpose: "to evaluate")
    }

    /// Gathers the report of `target` (see `locate`); `dataDirectory` replaces the config's
    /// `data.directory`.
    ///
    /// - Throws: `WeftError` when the run, its checkpoint, its history or its dataset is missing
    ///   or damaged.
    public init(
        target: String, dataDirectory: String? = nil, projectionImages: Int = 2000,
        misclassifiedCount: Int = 24, samplesPerClass: Int = 8
    ) throws {
        let (folder, checkpointPath) = try RunReport.locate(target)
        let checkpoint = try Checkpoint(path: checkpointPath)
        let history = try RunHistory.load(folder: folder, checkpoint: checkpoint)
        let model = try TrainedModel(checkpoint: checkpoint)
        let data = try TrainedModel.data(for: model, checkpointPath: checkpointPath, dataDirectory: dataDirectory)
        self.init(
            folder: folder, checkpoint: checkpoint, model: model, data: data, history: history,
            projectionImages: projectionImages, misclassifiedCount: misclassifiedCount, samplesPerClass: samplesPerClass
        )
    }

    /// Evaluates `model` on `data`'s test split (the validation split when the config names no
    /// test split) and gathers the report.
    public init(
        folder: String, checkpoint: Checkpoint, model: TrainedModel, data: TrainingData, history: RunHistory,
        projectionImages: Int = 2000, misclassifiedCount: Int = 24, samplesPerClass: Int = 8
    ) {
        self.folder = folder
        self.checkpoint = checkpoint
        self.model = model
        self.data = data
        self.history = history
        let split: EvaluationSplit = data.hasTestSplit ? .test : .validation
        evaluation = ModelEvaluation(model: model, data: data, split: split, checkpointPath: checkpoint.path)
        misclassified = ReportGallery.misclassified(evaluation.predictions, limit: misclassifiedCount)
        samples = ReportGallery.samplesPerClass(
            evaluation.predictions, perClass: samplesPerClass, seed: model.config.training.seed)
        projection = FeatureProjection(
            model: model, dataset: split.dataset(in: data), indices: split.indices(in: data), limit: projectionImages,
            seed: model.config.training.seed)
        parameterCount = model.model.parameters.reduce(0) { $0 + $1.tensor.count }
        generatedAt = Date()
    }

    /// The split the report evaluates: "test", or "validation" for a run without a test split.
    public var splitName: String { evaluation.split.rawValue }

    /// The three PNG files written beside the report.
    public static let imageNames = ["confusion.png", "curves.png", "misclassified.png"]

    /// Writes the HTML report to `path` and `confusion.png`, `curves.png` and
    /// `misclassified.png` into the same folder.
    /// - Returns: the paths written.
    @discardableResult
    public func write(to path: String) throws -> [String] {
        try OutputFile.checkWritable(path)
        let folder = (path as NSString).deletingLastPathComponent
        let images = [confusionPNG(), curvesPNG(), misclassifiedPNG()]
        var written: [String] = []
        for (name, image) in zip(RunReport.imageNames, images) {
            let target = (folder as NSString).appendingPathComponent(name)
            try OutputFile.write(try PNGFile.encode(image), to: target)
            written.append(target)
        }
        try OutputFile.write(html(), to: path)
        return [path] + written
    }
}
