import Foundation

/// A dataset's published train/test partition.
public enum DatasetSplit: String, CaseIterable, Sendable, Codable {
    case train
    case test
}

/// Where an IDX dataset lives: a directory and the four file names of its training and test
/// images and labels, with optional class names. `FashionMNIST.dataset(directory:)` is one.
///
/// Each file name may be given with or without `.gz`: the file is looked up as named, then with
/// `.gz` added (or removed), so both the packed and the unpacked downloads work. A name that is
/// an absolute path is used as it is.
public struct IDXDataset: Sendable, Equatable {
    /// What messages call the dataset ("Fashion-MNIST").
    public var name: String
    /// The directory holding the files.
    public var directory: String
    /// The file name of the training images (IDX rank 3 `[N, H, W]` or 4 `[N, H, W, C]`).
    public var trainImages: String
    /// The file name of the training labels (IDX rank 1).
    public var trainLabels: String
    /// The file name of the test images.
    public var testImages: String
    /// The file name of the test labels.
    public var testLabels: String
    /// A name per class; when nil, classes are named by number and counted as `classCount`.
    public var classNames: [String]?
    /// The number of classes when `classNames` is nil; when nil too, inferred from each split's
    /// labels (one more than the largest), so give it when a split may lack the last class.
    public var classCount: Int?
    /// How to get the files, ending the message when the directory or a file is missing.
    public var installAdvice: String

    public init(
        name: String, directory: String, trainImages: String, trainLabels: String,
        testImages: String, testLabels: String, classNames: [String]? = nil, classCount: Int? = nil,
        installAdvice: String = "pass --data-dir with the directory that holds them"
    ) {
        self.name = name
        self.directory = directory
        self.trainImages = trainImages
        self.trainLabels = trainLabels
        self.testImages = testImages
        self.testLabels = testLabels
        self.classNames = classNames
        self.classCount = classCount
        self.installAdvice = installAdvice
    }

    /// The image and label file names of `split`, as configured.
    public func fileNames(_ split: DatasetSplit) -> (images: String, labels: String) {
        switch split {
        case .train: return (trainImages, trainLabels)
        case .test: return (testImages, testLabels)
        }
    }

    /// Loads `split` into memory, checking both files and that they agree.
    ///
    /// - Throws: `WeftError` when the directory or a file is missing (the message says how to
    ///   get it), a file is damaged, or the labels do not fit the images.
    public func load(_ split: DatasetSplit) throws -> ImageDataset {
        let names = fileNames(split)
        return try ImageDataset.load(
            imagesPath: try resolve(names.images), labelsPath: try resolve(names.labels),
            classNames: classNames, classCount: classCount)
    }

    /// The path of an existing file for `fileName`: the name as given, then with `.gz` added or
    /// removed.
    ///
    /// - Throws: `WeftError` naming the directory or file and `installAdvice` when neither exists.
    public func resolve(_ fileName: String) throws -> String {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if !fileName.hasPrefix("/") {
            guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw WeftError("\(directory): the \(name) directory does not exist; \(installAdvice)")
            }
        }
        let path = fileName.hasPrefix("/") ? fileName : (directory as NSString).appendingPathComponent(fileName)
        let alternative = path.hasSuffix(".gz") ? String(path.dropLast(3)) : path + ".gz"
        for candidate in [path, alternative] where manager.fileExists(atPath: candidate) {
            return candidate
        }
        throw WeftError("\(path): the \(name) file is missing (also looked for \(alternative)); \(installAdvice)")
    }
}
