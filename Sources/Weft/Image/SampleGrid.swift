/// A labelled picture of a dataset: one row per class, its name on the left, then a few of its
/// images, each enlarged (nearest neighbour). What `weft data --grid` writes.
///
///     ┌──────────────────────────────────────────┐
///     │ title                                    │
///     │ T-shirt/top  [img][img][img] … [img]     │
///     │ Trouser      [img][img][img] … [img]     │
///     │ …                                        │
///     └──────────────────────────────────────────┘
public enum SampleGrid {
    /// Space around the grid and between the names and the images, in pixels.
    public static let margin = 8
    /// Space between neighbouring images, in pixels.
    public static let gap = 2
    /// The gray of the background.
    public static let background: UInt8 = 48
    /// The gray of the text.
    public static let textColor: UInt8 = 240

    /// For each class, the indices of up to `samplesPerClass` of its images: the first of a
    /// seeded shuffle of that class's images among `indices` (all images when nil).
    public static func sampleIndices(
        dataset: ImageDataset, indices: [Int]? = nil, samplesPerClass: Int,
        seed: UInt64
    ) -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: dataset.classCount)
        for index in indices ?? Array(0..<dataset.count) {
            byClass[dataset.labels[index]].append(index)
        }
        var generator = RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .sampleGrid))
        return byClass.map { members in
            var shuffled = members
            generator.shuffle(&shuffled)
            return Array(shuffled.prefix(samplesPerClass))
        }
    }

    /// Renders the grid: gray when the dataset has one channel, RGB when it has three (other
    /// channel counts show their first channel).
    ///
    /// - Parameters:
    ///   - dataset: the images and class names.
    ///   - indices: the images to choose from (all when nil).
    ///   - samplesPerClass: images per row, positive.
    ///   - scale: how many times each image is enlarged, positive.
    ///   - seed: which images are chosen.
    ///   - title: a line written above the grid, if any.
    public static func render(
        dataset: ImageDataset, indices: [Int]? = nil, samplesPerClass: Int = 8,
        scale: Int = 2, seed: UInt64 = 0, title: String? = nil
    ) -> PixelImage {
        precondition(samplesPerClass > 0 && scale > 0, "SampleGrid: samplesPerClass and scale must be positive")
        let textScale = dataset.height * scale >= 4 * BitmapFont.glyphHeight ? 2 : 1
        let textHeight = BitmapFont.glyphHeight * textScale
        let cellWidth = dataset.width * scale, cellHeight = dataset.height * scale
        let rowHeight = max(cellHeight, textHeight)
        let names = dataset.classNames.enumerated().map { "\($0.offset) \($0.element)" }
        let nameWidth = names.map { BitmapFont.width(of: $0, scale: textScale) }.max() ?? 0
        let imagesLeft = margin + nameWidth + margin
        let titleHeight = title.map { _ in textHeight + margin } ?? 0
        let width = max(
            imagesLeft + samplesPerClass * (cellWidth + gap) - gap + margin,
            margin + BitmapFont.width(of: title ?? "", scale: textScale) + margin)
        let height = margin + titleHeight + dataset.classCount * (rowHeight + gap) - gap + margin
        let channels = dataset.channels == 3 ? 3 : 1
        var image = PixelImage(width: width, height: height, channels: channels, filledWith: background)

        if let title {
            BitmapFont.draw(title, into: &image, top: margin, left: margin, scale: textScale, color: [textColor])
        }
        let samples = sampleIndices(dataset: dataset, indices: indices, samplesPerClass: samplesPerClass, seed: seed)
        for (classIndex, members) in samples.enumerated() {
            let top = margin + titleHeight + classIndex * (rowHeight + gap)
            BitmapFont.draw(
                names[classIndex], into: &image, top: top + (rowHeight - textHeight) / 2, left: margin,
                scale: textScale, color: [textColor])
            for (column, index) in members.enumerated() {
                paste(
                    dataset: dataset, index: index, into: &image, top: top + (rowHeight - cellHeight) / 2,
                    left: imagesLeft + column * (cellWidth + gap), scale: scale)
            }
        }
        return image
    }

    /// Copies image `index` of `dataset`, enlarged `scale` times, into `image` at (`top`, `left`).
    private static func paste(
        dataset: ImageDataset, index: Int, into image: inout PixelImage,
        top: Int, left: Int, scale: Int
    ) {
        let plane = dataset.height * dataset.width
        let start = index * dataset.imageByteCount
        let channels = image.channels
        for y in 0..<(dataset.height * scale) {
            for x in 0..<(dataset.width * scale) {
                let source = start + (y / scale) * dataset.width + x / scale
                let target = ((top + y) * image.width + left + x) * channels
                for channel in 0..<channels {
                    image.pixels[target + channel] = dataset.images[source + channel * plane]
                }
            }
        }
    }
}
