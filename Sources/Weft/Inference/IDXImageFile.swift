/// The images of an IDX file (`[N, H, W]` gray or `[N, H, W, C]` with 1 or 3 channels, plain or
/// gzipped), one `PixelImage` at a time, and the labels of a matching IDX label file.
public struct IDXImageFile: Sendable {
    public let path: String
    /// Images in the file.
    public let count: Int
    public let height: Int, width: Int, channels: Int
    private let file: IDXFile

    /// Reads and checks the file at `path`.
    ///
    /// - Throws: `WeftError` naming the file when it is missing, damaged, or not images.
    public init(path: String) throws {
        let file = try IDXFile(path: path)
        let dimensions = file.dimensions
        guard dimensions.count == 3 || (dimensions.count == 4 && (dimensions[3] == 1 || dimensions[3] == 3)) else {
            throw WeftError(
                "\(path): IDX images must be [N, H, W] or [N, H, W, C] with 1 or 3 channels, this file is \(dimensions); pass an image file, not a label file"
            )
        }
        self.path = path
        self.file = file
        count = dimensions[0]
        height = dimensions[1]
        width = dimensions[2]
        channels = dimensions.count == 4 ? dimensions[3] : 1
    }

    /// Image `index` (in `0..<count`).
    public func image(at index: Int) -> PixelImage {
        precondition((0..<count).contains(index), "IDXImageFile: index \(index) outside 0..<\(count)")
        let size = height * width * channels
        return PixelImage(
            width: width, height: height, channels: channels,
            pixels: Array(file.bytes[(index * size)..<((index + 1) * size)]))
    }

    /// The labels in the IDX file at `labelsPath`, one per image of this file, each below `classCount`.
    ///
    /// - Throws: `WeftError` naming the label file when it is damaged, holds another number of
    ///   labels, or a label is not a class of the model.
    public func labels(path labelsPath: String, classCount: Int) throws -> [Int] {
        let labelFile = try IDXFile(path: labelsPath)
        guard labelFile.dimensions == [count] else {
            throw WeftError(
                "\(labelsPath): holds labels of shape \(labelFile.dimensions), but \(path) has \(count) images; pass the label file that belongs to them"
            )
        }
        let labels = labelFile.bytes.map(Int.init)
        if let bad = labels.first(where: { $0 >= classCount }) {
            throw WeftError(
                "\(labelsPath): label \(bad) is outside the model's \(classCount) classes; pass the label file of this dataset"
            )
        }
        return labels
    }
}
