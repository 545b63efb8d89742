/// Image-classification splits from NumPy `.npz` files.
///
/// Two layouts: one file holding `x_train, y_train, x_test, y_test` (Keras's `mnist.npz`,
/// `numpy.savez("data.npz", x_train=..., ...)`), or a file per split holding `x` and `y`.
/// `x` is `uint8` `[N, H, W]` (one channel) or `[N, H, W, C]` with `C` 1 or 3 (channels last, as
/// Keras stores them; reordered to `[N, C, H, W]`); `y` holds integers, `[N]` or `[N, 1]`. Without
/// class names the classes are `0 … max label` over both splits, named "0", "1", ….
public enum NPZDataset {
    /// Loads the training split, and the test split when there is one.
    ///
    /// - Parameters:
    ///   - file: one `.npz` with `x_train, y_train` and (both or neither) `x_test, y_test`.
    ///   - train: the training split's `.npz` (`x`, `y`), when `file` is nil.
    ///   - test: the test split's `.npz` (`x`, `y`), optional.
    ///   - classNames: a name per class; when nil, one more class than the largest label.
    /// - Throws: `WeftError` naming the file and array for a missing array, images that are not
    ///   `uint8` or of the wrong rank, labels that are not integers, negative or outside the
    ///   classes, or `x` and `y` of different lengths.
    public static func load(
        file: String?, train: String?, test: String?, classNames: [String]?
    ) throws -> (train: ImageDataset, test: ImageDataset?) {
        var splits: [Split] = []
        if let file {
            let archive = try NPZFile(path: file)
            splits.append(try Split(archive, x: "x_train", y: "y_train"))
            let hasX = archive.contains("x_test"), hasY = archive.contains("y_test")
            if hasX || hasY {
                splits.append(try Split(archive, x: "x_test", y: "y_test"))
            }
        } else if let train {
            splits.append(try Split(try NPZFile(path: train), x: "x", y: "y"))
            if let test { splits.append(try Split(try NPZFile(path: test), x: "x", y: "y")) }
        } else {
            throw WeftError(
                "NPZDataset: give a file with x_train, y_train, x_test, y_test or a training file with x, y")
        }
        let names: [String]
        if let classNames {
            names = classNames
        } else {
            let largest = splits.map { $0.labels.max() ?? 0 }.max() ?? 0
            guard largest < ImageDataset.maximumClassCount else {
                throw WeftError(
                    "\(splits.map(\.labelName).joined(separator: ", ")): the largest label is \(largest), not a class number below \(ImageDataset.maximumClassCount); fix the labels (classes are numbered from 0)"
                )
            }
            names = (0...largest).map(String.init)
        }
        let datasets = try splits.map { split in
            if let (index, label) = split.labels.enumerated().first(where: { $0.element >= names.count }) {
                throw WeftError(
                    "\(split.labelName): element \(index) is label \(label), outside the \(names.count) class names; give a name for every class"
                )
            }
            return try ImageDataset(
                images: split.images, labels: split.labels, channels: split.channels, height: split.height,
                width: split.width, classNames: names, name: split.imageName)
        }
        return (datasets[0], datasets.count > 1 ? datasets[1] : nil)
    }

    /// One split's arrays, checked and reordered to `[N, C, H, W]`.
    struct Split {
        let images: [UInt8], labels: [Int]
        let channels: Int, height: Int, width: Int
        let imageName: String, labelName: String

        init(_ archive: NPZFile, x: String, y: String) throws {
            let xArray = try archive.array(x, expecting: .uint8), yArray = try archive.array(y)
            imageName = xArray.name
            labelName = yArray.name
            let shape = xArray.shape
            guard shape.count == 3 || (shape.count == 4 && (shape[3] == 1 || shape[3] == 3)) else {
                throw WeftError(
                    "\(xArray.name): images must be [N, H, W] or [N, H, W, C] with C 1 or 3, this array is \(NumpyArray.describe(shape)); \(shape.count == 4 && (shape[1] == 1 || shape[1] == 3) ? "save x.transpose(0, 2, 3, 1) (channels last)" : "reshape it before saving")"
                )
            }
            guard yArray.shape.count == 1 || (yArray.shape.count == 2 && yArray.shape[1] == 1) else {
                throw WeftError(
                    "\(yArray.name): labels must be [N] or [N, 1] class indices, this array is \(NumpyArray.describe(yArray.shape)); save y.argmax(axis=1) for one-hot labels"
                )
            }
            guard yArray.shape[0] == shape[0] else {
                throw WeftError(
                    "\(yArray.name): \(yArray.shape[0]) labels for the \(shape[0]) images of \"\(x)\"; save x and y of the same length"
                )
            }
            let labels = try yArray.integers()
            if let (index, label) = labels.enumerated().first(where: { $0.element < 0 }) {
                throw WeftError(
                    "\(yArray.name): element \(index) is \(label); labels must be class indices 0, 1, …, never negative"
                )
            }
            self.labels = labels
            height = shape[1]
            width = shape[2]
            channels = shape.count == 4 ? shape[3] : 1
            images =
                channels == 1
                ? xArray.bytes : Self.channelsFirst(xArray.bytes, plane: height * width, channels: channels)
        }

        /// `[N, H, W, C]` bytes reordered to `[N, C, H, W]`; `plane` is `H * W`.
        private static func channelsFirst(_ bytes: [UInt8], plane: Int, channels: Int) -> [UInt8] {
            let imageBytes = plane * channels
            guard imageBytes > 0 else { return bytes }
            var result = [UInt8](repeating: 0, count: bytes.count)
            bytes.withUnsafeBufferPointer { source in
                result.withUnsafeMutableBufferPointer { target in
                    for base in stride(from: 0, to: bytes.count, by: imageBytes) {
                        for pixel in 0..<plane {
                            for channel in 0..<channels {
                                target[base + channel * plane + pixel] = source[base + pixel * channels + channel]
                            }
                        }
                    }
                }
            }
            return result
        }
    }
}
