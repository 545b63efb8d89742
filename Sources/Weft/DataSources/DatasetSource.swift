import Foundation

/// The training and test splits a `DataConfig` describes, loaded from whichever layout it names,
/// at the model's input shape.
public struct DatasetSource: Sendable {
    /// What a load gave.
    public struct Loaded: Sendable {
        public var train: ImageDataset
        /// Nil when the config names no test split.
        public var test: ImageDataset?
        /// For layouts of image files: what decoding each split did (sizes, resizing, skipped
        /// files, whether the cache answered).
        public var decoded: [DatasetSplit: DecodedImages] = [:]
        /// Lines for the user: how each split was loaded, and warnings.
        public var notes: [String] = []
    }

    public let config: DataConfig
    /// The folder relative paths start from (`--data-dir`, else `data.directory`), if any.
    public let directory: String?
    /// The model's input `[C, H, W]`, which decoded images are fitted to.
    public let shape: [Int]
    /// What messages call the config (its file).
    public let configSource: String
    /// Called with the split, images done and total while image files are decoded.
    public var progress: (@Sendable (DatasetSplit, Int, Int) -> Void)?

    public init(config: DataConfig, directory: String?, shape: [Int], configSource: String) {
        self.config = config
        self.directory = directory ?? config.directory
        self.shape = shape
        self.configSource = configSource
    }

    /// `path` from `directory` when it is relative and a directory is set.
    func resolve(_ path: String) -> String {
        guard let directory, !path.hasPrefix("/") else { return path }
        return (directory as NSString).appendingPathComponent(path)
    }

    /// Loads both splits.
    ///
    /// - Throws: `WeftError` naming the file (and CSV line) for missing or damaged data.
    public func load() throws -> Loaded {
        switch config.dataset {
        case "imageFolder", "csv":
            return try loadImageFiles()
        case "cifar10", "cifar100", "npz":
            return try loadArrays()
        case "idx":
            return try loadIDX(
                IDXDataset(
                    name: configSource, directory: directory ?? ".", trainImages: config.files?.trainImages ?? "",
                    trainLabels: config.files?.trainLabels ?? "", testImages: config.files?.testImages ?? "",
                    testLabels: config.files?.testLabels ?? "", classNames: config.classNames))
        default:
            return try loadIDX(FashionMNIST.dataset(directory: directory ?? FashionMNIST.defaultDirectory))
        }
    }

    private func loadIDX(_ dataset: IDXDataset) throws -> Loaded {
        var source = dataset
        var train = try source.load(.train), test = try source.load(.test)
        if train.classCount != test.classCount {
            // Without class names each split counts its own labels: count the classes of both.
            source.classCount = max(train.classCount, test.classCount)
            train = try source.load(.train)
            test = try source.load(.test)
        }
        guard train.channels == test.channels, train.height == test.height, train.width == test.width else {
            throw WeftError(
                "\(source.directory): the training images are \(train.channels)×\(train.height)×\(train.width) but the test images \(test.channels)×\(test.height)×\(test.width); use matching files"
            )
        }
        return Loaded(train: train, test: test)
    }

    /// Image folders and CSV lists: list, decode (or read the cache), fit to `shape`.
    private func loadImageFiles() throws -> Loaded {
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3 else {
            throw WeftError(
                "\(configSource): model.input: image files give 1 (gray) or 3 (RGB) channels, but the model takes \(ModelBuilder.describe(shape)); set the first number of \"input\" to 1 or 3"
            )
        }
        let isCSV = config.dataset == "csv"
        func list(_ path: String, classes: [String]?) throws -> ImageList {
            isCSV ? try ImageList.csv(path, classes: classes) : try ImageList.folder(path, classes: classes)
        }
        let trainList = try list(resolve(config.train ?? ""), classes: nil)
        let testList = try config.test.map { try list(resolve($0), classes: trainList.classNames) }
        let decoder = ImageListDecoder(shape: shape, resize: config.resize, skipUnreadable: config.skipUnreadable)
        var loaded: Loaded?
        for (split, images) in [(DatasetSplit.train, trainList), (.test, testList)] {
            guard let images else { continue }
            let named = try images.renamingClasses(config.classNames, configSource: configSource)
            let folder = isCSV ? (named.source as NSString).deletingLastPathComponent : named.source
            let (decoded, note) = try decode(named, split: split, decoder: decoder, cacheFolder: folder)
            if loaded == nil {
                loaded = Loaded(train: decoded.dataset)
            } else {
                loaded?.test = decoded.dataset
            }
            loaded?.decoded[split] = decoded
            loaded?.notes.append(contentsOf: note)
        }
        guard var result = loaded else { preconditionFailure("the training split is always listed") }
        if testList == nil {
            result.notes.append(
                "warning: \(configSource): data.test is not set, so only the validation split is evaluated; give a test \(isCSV ? "CSV file" : "folder") for a test accuracy"
            )
        }
        return result
    }

    /// One split's images from the cache, or decoded (and then cached).
    private func decode(
        _ list: ImageList, split: DatasetSplit, decoder: ImageListDecoder, cacheFolder: String
    ) throws -> (DecodedImages, [String]) {
        let start = Date()
        let cache = DecodedImageCache(list: list, decoder: decoder, folder: cacheFolder)
        let shapeText = "\(decoder.channels)×\(decoder.height)×\(decoder.width)"
        if let cached = cache.load(list, decoder: decoder) {
            let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
            return (
                cached,
                [
                    "\(split.rawValue): \(cached.dataset.count) images of \(list.source) from the cache \(cache.path) in \(seconds) s"
                ]
            )
        }
        let report = progress
        let decoded = try decoder.decode(list) { done, total in report?(split, done, total) }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(start))
        var notes = [
            "\(split.rawValue): decoded \(decoded.dataset.count) images of \(list.source) to \(shapeText) in \(seconds) s (\(decoded.resizedCount) resized\(decoded.skipped.isEmpty ? "" : ", \(decoded.skipped.count) unreadable skipped"))"
        ]
        for skipped in decoded.skipped.prefix(5) { notes.append("  skipped \(skipped)") }
        if decoded.skipped.count > 5 { notes.append("  … and \(decoded.skipped.count - 5) more") }
        do {
            try cache.store(decoded, of: list)
        } catch let error as WeftError {
            notes.append("warning: the decoded images were not cached (\(error.message)); the next run decodes again")
        }
        return (decoded, notes)
    }
}
