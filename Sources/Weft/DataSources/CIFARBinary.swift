import Foundation

/// Reads the binary versions of CIFAR-10 and CIFAR-100 (`cifar-10-binary.tar.gz`,
/// `cifar-100-binary.tar.gz` from https://www.cs.toronto.edu/~kriz/cifar.html), unpacked.
///
/// CIFAR-10: `data_batch_1.bin` … `data_batch_5.bin` (training, 10,000 images each),
/// `test_batch.bin` and `batches.meta.txt` (10 class names, one a line). Each record is 3,073
/// bytes: the label, then the 32×32 red, green and blue planes, rows top to bottom, so a record's
/// pixels are already `[C, H, W]` = `[3, 32, 32]`.
///
/// CIFAR-100: `train.bin` (50,000 images), `test.bin` (10,000), `fine_label_names.txt` (100
/// names) and `coarse_label_names.txt` (20). Each record is 3,074 bytes: the coarse label, the
/// fine label, then the three planes.
///
/// The images come in file order, as `torchvision.datasets.CIFAR10` gives them.
public enum CIFARBinary {
    /// Which dataset, and for CIFAR-100 which labels.
    public enum Variant: Equatable, Sendable {
        case cifar10
        /// `coarse`: the 20 superclasses instead of the 100 classes.
        case cifar100(coarse: Bool)

        /// "CIFAR-10" or "CIFAR-100".
        public var title: String { self == .cifar10 ? "CIFAR-10" : "CIFAR-100" }
        /// Bytes of label before the pixels of each record.
        var labelBytes: Int { self == .cifar10 ? 1 : 2 }
        /// Bytes per record.
        public var recordBytes: Int { labelBytes + CIFARBinary.imageBytes }
        /// The training files.
        var trainFiles: [String] {
            self == .cifar10 ? (1...5).map { "data_batch_\($0).bin" } : ["train.bin"]
        }
        /// The test file.
        var testFile: String { self == .cifar10 ? "test_batch.bin" : "test.bin" }
        /// The class-name file of the chosen labels.
        var metaFile: String {
            switch self {
            case .cifar10: return "batches.meta.txt"
            case .cifar100(let coarse): return coarse ? "coarse_label_names.txt" : "fine_label_names.txt"
            }
        }
        /// The number of classes of the chosen labels.
        var classCount: Int {
            switch self {
            case .cifar10: return 10
            case .cifar100(let coarse): return coarse ? 20 : 100
            }
        }
        /// Which label byte of a record is used.
        var labelOffset: Int { self == .cifar100(coarse: false) ? 1 : 0 }
        /// The folder the archive unpacks to.
        var archiveFolder: String { self == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary" }
        /// What a missing file's message says the dataset has.
        var contents: String {
            self == .cifar10
                ? "data_batch_1.bin … data_batch_5.bin and test_batch.bin"
                : "train.bin, test.bin, fine_label_names.txt and coarse_label_names.txt"
        }
        var archive: String { self == .cifar10 ? "cifar-10-binary.tar.gz" : "cifar-100-binary.tar.gz" }
        /// "label", "fine label" or "coarse label".
        var labelName: String {
            switch self {
            case .cifar10: return "label"
            case .cifar100(let coarse): return coarse ? "coarse label" : "fine label"
            }
        }
    }

    /// Bytes of pixels per record: 3 planes of 32×32.
    public static let imageBytes = 3 * 32 * 32
    /// The largest file read (1 GiB); the real batches are about 30 MB and 150 MB.
    public static let maximumFileBytes = 1 << 30

    /// Loads the training and test splits from `directory` (or its `cifar-10-batches-bin` /
    /// `cifar-100-binary` subfolder, where the archive unpacks to).
    ///
    /// - Returns: `[N, 3, 32, 32]` images (50,000 and 10,000 for the real datasets) with the class
    ///   names of the meta file.
    /// - Throws: `WeftError` naming the file for a missing file, a size that is not a whole number
    ///   of records, a label outside the classes, or a meta file with the wrong number of names.
    public static func load(directory: String, variant: Variant) throws -> (train: ImageDataset, test: ImageDataset) {
        var folder = directory
        let nested = (directory as NSString).appendingPathComponent(variant.archiveFolder)
        if !BoundedFile.exists(path(folder, variant.testFile)), BoundedFile.exists(path(nested, variant.testFile)) {
            folder = nested
        }
        for name in variant.trainFiles + [variant.testFile, variant.metaFile] {
            let file = path(folder, name)
            guard BoundedFile.exists(file) else {
                throw WeftError(
                    "\(file): no such file; the \(variant.title) binary version has \(variant.contents) — download \(variant.archive)"
                )
            }
        }
        let metaPath = path(folder, variant.metaFile)
        let classNames = try self.classNames(
            contents: try BoundedFile.read(path: metaPath, maximumBytes: 1 << 20, kind: "a class-name file"),
            name: metaPath, variant: variant)
        let train = try split(variant.trainFiles.map { path(folder, $0) }, variant: variant, classNames: classNames)
        let test = try split([path(folder, variant.testFile)], variant: variant, classNames: classNames)
        return (train, test)
    }

    /// The class names of a meta file: one a line, blank lines dropped, spaces trimmed.
    ///
    /// - Throws: `WeftError` naming the file when it does not hold `variant`'s number of names.
    public static func classNames(contents: [UInt8], name: String, variant: Variant) throws -> [String] {
        let text = String(decoding: contents, as: UTF8.self)
        let names = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard names.count == variant.classCount else {
            throw WeftError(
                "\(name): \(names.count) class names, but \(variant.title) has \(variant.classCount) \(variant.labelName)s (one name a line); the file is damaged — download \(variant.archive) again"
            )
        }
        return names
    }

    /// The records of one batch file's bytes: `[N, 3, 32, 32]` pixels and `[N]` labels.
    ///
    /// - Throws: `WeftError` naming the file when its size is not a whole number of records or a
    ///   label is `classCount` or more.
    public static func records(
        contents: [UInt8], name: String, variant: Variant
    ) throws -> (images: [UInt8], labels: [Int]) {
        let recordBytes = variant.recordBytes
        guard !contents.isEmpty, contents.count % recordBytes == 0 else {
            throw WeftError(
                "\(name): \(contents.count) bytes is not a whole number of \(recordBytes)-byte \(variant.title) records; the file is truncated or not \(variant.title)"
            )
        }
        let count = contents.count / recordBytes
        var images = [UInt8](repeating: 0, count: count * imageBytes)
        var labels = [Int](repeating: 0, count: count)
        let classCount = variant.classCount, labelOffset = variant.labelOffset, labelBytes = variant.labelBytes
        try contents.withUnsafeBufferPointer { source in
            try images.withUnsafeMutableBufferPointer { pixels in
                for record in 0..<count {
                    let base = record * recordBytes
                    let label = Int(source[base + labelOffset])
                    guard label < classCount else {
                        throw WeftError(
                            "\(name): record \(record) has \(variant.labelName) \(label), outside the \(classCount) classes 0...\(classCount - 1); the file is damaged or not \(variant.title)"
                        )
                    }
                    labels[record] = label
                    let from = source.baseAddress! + base + labelBytes
                    (pixels.baseAddress! + record * imageBytes).update(from: from, count: imageBytes)
                }
            }
        }
        return (images, labels)
    }

    /// The records of `files`, in order, as one split.
    private static func split(_ files: [String], variant: Variant, classNames: [String]) throws -> ImageDataset {
        var images = [UInt8](), labels = [Int]()
        for file in files {
            let contents = try BoundedFile.read(path: file, maximumBytes: maximumFileBytes, kind: "a CIFAR file")
            let records = try records(contents: contents, name: file, variant: variant)
            images += records.images
            labels += records.labels
        }
        return try ImageDataset(
            images: images, labels: labels, channels: 3, height: 32, width: 32, classNames: classNames,
            name: files[0])
    }

    private static func path(_ folder: String, _ name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }
}
