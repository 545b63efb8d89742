/// One split of an image-classification dataset, held in memory as bytes.
///
/// At most `ImageDataset.maximumClassCount` classes (as many as `data.classNames` may name).
///
/// Images stay unsigned bytes (`[N, C, H, W]`, 0 to 255) so Fashion-MNIST's 70,000 images take
/// 55 MB; batches convert them to normalised float32 (`BatchLoader`).
public struct ImageDataset: Sendable {
    /// The pixels, `[N, C, H, W]` row-major, one byte per sample.
    public let images: [UInt8]
    /// The class of each image, `[N]`, each in `0..<classCount`.
    public let labels: [Int]
    /// Channels per image (1 for grayscale, 3 for RGB).
    public let channels: Int
    /// Rows per image.
    public let height: Int
    /// Columns per image.
    public let width: Int
    /// The number of classes; `classNames.count`.
    public var classCount: Int { classNames.count }
    /// A human-readable name per class, indexed by label.
    public let classNames: [String]

    /// The most classes a dataset may have: a layout that numbers its classes refuses a larger
    /// number before making a name for each.
    public static let maximumClassCount = 100_000

    /// The number of images.
    public var count: Int { labels.count }
    /// Bytes per image: `channels * height * width`.
    public var imageByteCount: Int { channels * height * width }

    /// A dataset from bytes already in NCHW order.
    ///
    /// - Parameters:
    ///   - images: `[N, C, H, W]` bytes.
    ///   - labels: `[N]` classes in `0..<classNames.count`.
    ///   - classNames: one name per class.
    ///   - name: what error messages call the data (a file name, say).
    /// - Throws: `WeftError` when the sizes disagree, the dataset is empty or a label is out of range.
    public init(
        images: [UInt8], labels: [Int], channels: Int, height: Int, width: Int,
        classNames: [String], name: String = "dataset"
    ) throws {
        guard channels > 0, height > 0, width > 0 else {
            throw WeftError(
                "\(name): images of \(channels)×\(height)×\(width) are empty; every dimension must be positive")
        }
        guard !labels.isEmpty else {
            throw WeftError("\(name): the dataset has no images; pass files that hold at least one")
        }
        guard images.count == labels.count * channels * height * width else {
            throw WeftError(
                "\(name): \(images.count) image bytes do not make \(labels.count) images of \(channels)×\(height)×\(width); the images and labels do not belong together"
            )
        }
        guard !classNames.isEmpty else {
            throw WeftError("\(name): the dataset has no classes; give at least one class name")
        }
        if let (index, label) = labels.enumerated().first(where: { $0.element < 0 || $0.element >= classNames.count }) {
            throw WeftError(
                "\(name): image \(index) is mislabelled: label \(label) is outside the \(classNames.count) classes 0...\(classNames.count - 1); fix the labels or the class names"
            )
        }
        self.images = images
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
        self.classNames = classNames
    }

    /// Loads a split from an IDX image file and an IDX label file (plain or gzipped).
    ///
    /// Images of rank 3 (`[N, H, W]`) get one channel; rank 4 (`[N, H, W, C]`, channels last)
    /// is reordered to `[N, C, H, W]`. Labels must be rank 1 (`[N]`).
    ///
    /// - Parameters:
    ///   - imagesPath: the IDX image file.
    ///   - labelsPath: the IDX label file.
    ///   - classNames: a name per class; when nil, `classCount` classes named "0", "1", ….
    ///   - classCount: the number of classes when `classNames` is nil; when nil too, one more
    ///     than the largest label in this split.
    /// - Throws: `WeftError` naming the file when either is missing or damaged, the counts
    ///   differ, or a label is outside the classes ("mislabelled").
    public static func load(
        imagesPath: String, labelsPath: String,
        classNames: [String]? = nil, classCount: Int? = nil
    ) throws -> ImageDataset {
        let imageFile = try IDXFile(path: imagesPath)
        let labelFile = try IDXFile(path: labelsPath)
        let dimensions = imageFile.dimensions
        guard dimensions.count == 3 || dimensions.count == 4 else {
            throw WeftError(
                "\(imagesPath): IDX images must have rank 3 [N, H, W] or 4 [N, H, W, C], this file has rank \(dimensions.count) \(dimensions); pass an image file, not a label file"
            )
        }
        guard labelFile.dimensions.count == 1 else {
            throw WeftError(
                "\(labelsPath): IDX labels must have rank 1 [N], this file has rank \(labelFile.dimensions.count) \(labelFile.dimensions); pass a label file, not an image file"
            )
        }
        let count = dimensions[0], height = dimensions[1], width = dimensions[2]
        let channels = dimensions.count == 4 ? dimensions[3] : 1
        guard labelFile.dimensions[0] == count else {
            throw WeftError(
                "\(labelsPath): mislabelled: \(labelFile.dimensions[0]) labels for the \(count) images of \(imagesPath); pass the label file that belongs to these images"
            )
        }
        let labels = labelFile.bytes.map(Int.init)
        let names: [String]
        if let classNames {
            names = classNames
        } else {
            let inferred = classCount ?? ((labels.max() ?? -1) + 1)
            guard inferred > 0 else {
                throw WeftError(
                    "\(labelsPath): the class count must be positive, got \(inferred); give the class count or class names"
                )
            }
            names = (0..<inferred).map(String.init)
        }
        if let (index, label) = labels.enumerated().first(where: { $0.element >= names.count }) {
            throw WeftError(
                "\(labelsPath): mislabelled: image \(index) has label \(label), outside the \(names.count) classes 0...\(names.count - 1); pass the right label file or class names"
            )
        }
        let images =
            channels == 1
            ? imageFile.bytes
            : channelsFirst(imageFile.bytes, count: count, height: height, width: width, channels: channels)
        return try ImageDataset(
            images: images, labels: labels, channels: channels, height: height, width: width,
            classNames: names, name: imagesPath)
    }

    /// The bytes of image `index`, `[C, H, W]`.
    public func imageBytes(at index: Int) -> ArraySlice<UInt8> {
        images[(index * imageByteCount)..<((index + 1) * imageByteCount)]
    }

    /// The number of images of each class, `[classCount]`, over `indices` (all images when nil).
    public func classCounts(indices: [Int]? = nil) -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        if let indices {
            for index in indices { counts[labels[index]] += 1 }
        } else {
            for label in labels { counts[label] += 1 }
        }
        return counts
    }

    /// Reorders `[N, H, W, C]` bytes to `[N, C, H, W]`.
    private static func channelsFirst(_ bytes: [UInt8], count: Int, height: Int, width: Int, channels: Int) -> [UInt8] {
        let plane = height * width
        return [UInt8](unsafeUninitializedCapacity: bytes.count) { result, initialized in
            bytes.withUnsafeBufferPointer { source in
                for image in 0..<count {
                    let base = image * plane * channels
                    for pixel in 0..<plane {
                        for channel in 0..<channels {
                            result[base + channel * plane + pixel] = source[base + pixel * channels + channel]
                        }
                    }
                }
            }
            initialized = bytes.count
        }
    }
}
