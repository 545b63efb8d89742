/// The images a run trains, validates and tests on, as its config describes them: the dataset
/// loaded, the stratified validation split and limits applied, and the normalisation fixed.
public struct TrainingData {
    public let train: ImageDataset
    public let test: ImageDataset
    /// Indices into `train` used for training.
    public let trainIndices: [Int]
    /// Indices into `train` held out for validation.
    public let validationIndices: [Int]
    /// Indices into `test` evaluated at the end.
    public let testIndices: [Int]
    public let normalization: Normalization

    /// Whether the config names a test split; without one, `test` is the training split and
    /// `testIndices` is empty, so only validation is evaluated.
    public let hasTestSplit: Bool
    /// How each split was loaded, and warnings (see `DatasetSource.Loaded.notes`).
    public let notes: [String]
    /// For layouts of image files: what decoding each split did.
    public let decoded: [DatasetSplit: DecodedImages]

    /// Loads the data of `config`; `directoryOverride` (`--data-dir`) replaces the config's folder.
    /// `normalization` (a resumed run's saved one) replaces the config's or computed one.
    /// `progress` hears how far decoding image files has got.
    public init(
        config: TrainingConfig, directoryOverride: String? = nil, normalization saved: Normalization? = nil,
        progress: (@Sendable (DatasetSplit, Int, Int) -> Void)? = nil
    ) throws {
        let settings = config.data
        var source = DatasetSource(
            config: settings, directory: directoryOverride, shape: config.model.input, configSource: config.name)
        source.progress = progress
        let loaded = try source.load()
        let train = loaded.train, test = loaded.test ?? loaded.train
        self.train = train
        self.test = test
        hasTestSplit = loaded.test != nil
        notes = loaded.notes
        decoded = loaded.decoded
        let seed = config.training.seed
        let split = stratifiedSplit(
            labels: train.labels, validationFraction: Double(settings.validationFraction), seed: seed)
        trainIndices =
            settings.trainLimit.map { stratifiedSubset(of: split.train, labels: train.labels, limit: $0, seed: seed) }
            ?? split.train
        validationIndices = split.validation
        if loaded.test == nil && split.validation.isEmpty {
            throw WeftError(
                "\(config.name): the data has no test split and data.validationFraction is 0, so nothing would be evaluated; set data.test or a validationFraction above 0"
            )
        }
        let allTest = loaded.test == nil ? [] : Array(0..<test.count)
        testIndices =
            settings.testLimit.map { stratifiedSubset(of: allTest, labels: test.labels, limit: $0, seed: seed) }
            ?? allTest
        if let saved {
            normalization = saved
        } else if let given = settings.normalization {
            guard given.mean.count == 1 || given.mean.count == train.channels else {
                throw WeftError(
                    "\(config.name): data.normalization: \(given.mean.count) values for images of \(train.channels) channel\(train.channels == 1 ? "" : "s"); give one mean and std, or one per channel"
                )
            }
            normalization = given
        } else {
            normalization = Normalization(statistics: PixelStatistics(dataset: train, indices: trainIndices))
        }
    }

    /// The same images with explicit training and validation indices and no test images: how
    /// cross-validation trains a candidate on some folds and validates on another. The test split
    /// stays loaded but is never evaluated (a `Trainer` skips its final test when `testIndices`
    /// is empty). The normalisation is `given` (the config's `data.normalization`), else computed
    /// from `trainIndices` alone, so no statistic of the held-out fold leaks into training.
    public init(
        images: TrainingData, trainIndices: [Int], validationIndices: [Int], normalization given: Normalization? = nil
    ) {
        train = images.train
        test = images.test
        hasTestSplit = images.hasTestSplit
        notes = []
        decoded = images.decoded
        self.trainIndices = trainIndices
        self.validationIndices = validationIndices
        testIndices = []
        normalization =
            given ?? Normalization(statistics: PixelStatistics(dataset: images.train, indices: trainIndices))
    }

    /// Checks that the model config fits these images: input shape and class count.
    public func check(_ model: ModelConfig, builder: ModelBuilder, source: String) throws {
        let shape = [train.channels, train.height, train.width]
        guard model.input == shape else {
            throw WeftError(
                "\(source): model.input: the dataset's images are \(shape), but the model expects \(model.input); set \"input\": \(ModelBuilder.describe(shape))"
            )
        }
        try builder.checkOutput(classCount: train.classCount)
    }
}
