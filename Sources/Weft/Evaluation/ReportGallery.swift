import Foundation

/// One image of a report's gallery: which image, its class, and what the model said.
public struct GalleryItem: Equatable, Sendable {
    /// The image's index in its dataset.
    public var index: Int
    public var label: Int
    public var predicted: Int
    /// The probability of the predicted class.
    public var probability: Double

    public var isCorrect: Bool { label == predicted }

    /// `predicted (true) probability`, as the galleries caption an image.
    public func caption(classNames: [String]) -> String {
        String(format: "%@ (%@) %.3f", classNames[predicted], classNames[label], probability)
    }
}

/// The report's image galleries: the most confident mistakes, and a few predictions per class.
public enum ReportGallery {
    /// The `limit` misclassified images the model was surest about, most confident first
    /// (ties: lower dataset index first).
    public static func misclassified(_ predictions: Predictions, limit: Int = 24) -> [GalleryItem] {
        let wrong = (0..<predictions.count).filter { predictions.predicted[$0] != predictions.labels[$0] }
        let sorted = wrong.sorted {
            let a = predictions.confidence(row: $0), b = predictions.confidence(row: $1)
            return a != b ? a > b : predictions.indices[$0] < predictions.indices[$1]
        }
        return sorted.prefix(limit).map { item(predictions, row: $0) }
    }

    /// For each class, up to `perClass` of its evaluated images (a seeded choice) with their
    /// predictions.
    public static func samplesPerClass(_ predictions: Predictions, perClass: Int = 8, seed: UInt64 = 0)
        -> [[GalleryItem]]
    {
        var rowsByClass = [[Int]](repeating: [], count: predictions.classCount)
        for row in 0..<predictions.count { rowsByClass[predictions.labels[row]].append(row) }
        var generator = RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .sampleGrid))
        return rowsByClass.map { rows in
            var shuffled = rows
            generator.shuffle(&shuffled)
            return shuffled.prefix(perClass).sorted { predictions.indices[$0] < predictions.indices[$1] }.map {
                item(predictions, row: $0)
            }
        }
    }

    private static func item(_ predictions: Predictions, row: Int) -> GalleryItem {
        GalleryItem(
            index: predictions.indices[row], label: predictions.labels[row], predicted: predictions.predicted[row],
            probability: predictions.confidence(row: row))
    }

    /// Image `index` of `dataset` as a gray or RGB picture (other channel counts: the first channel).
    public static func picture(of dataset: ImageDataset, index: Int) -> PixelImage {
        let bytes = Array(dataset.imageBytes(at: index))
        let plane = dataset.height * dataset.width
        guard dataset.channels == 3 else {
            return PixelImage(
                width: dataset.width, height: dataset.height, channels: 1, pixels: Array(bytes[0..<plane]))
        }
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        for pixel in 0..<plane {
            for channel in 0..<3 { pixels[pixel * 3 + channel] = bytes[channel * plane + pixel] }
        }
        return PixelImage(width: dataset.width, height: dataset.height, channels: 3, pixels: pixels)
    }

    /// A PNG picture of `items` in rows of `columns`: each image enlarged, its caption
    /// (`predicted (true) probability`) under it, a title on top. What `misclassified.png` holds.
    public static func render(
        _ items: [GalleryItem], dataset: ImageDataset, classNames: [String], title: String,
        columns: Int = 6, imageSize: Double = 84
    ) -> PixelImage {
        let captionSize = 11.0
        let probe = RasterCanvas(width: 1, height: 1)
        let captionWidth =
            items.map { probe.textWidth($0.caption(classNames: classNames), size: captionSize) }.max() ?? 0
        let cellWidth = max(imageSize, captionWidth) + 20, cellHeight = imageSize + 34
        let columns = max(1, min(columns, items.count))
        let rows = max(1, (items.count + columns - 1) / columns)
        let width = max(Double(columns) * cellWidth + 24, probe.textWidth(title, size: 15) + 24)
        let height = 44 + Double(rows) * cellHeight + 8
        var canvas = RasterCanvas(width: width, height: height)
        canvas.text(title, x: 12, y: 20, size: 15, color: .text, anchor: .start, bold: true)
        if items.isEmpty {
            canvas.text("no misclassified images", x: 12, y: 56, size: captionSize, color: .mutedText)
        }
        for (position, item) in items.enumerated() {
            let left = 12 + Double(position % columns) * cellWidth, top = 44 + Double(position / columns) * cellHeight
            let imageLeft = left + (cellWidth - imageSize) / 2
            canvas.paste(picture(of: dataset, index: item.index), x: imageLeft, y: top, size: imageSize)
            canvas.rectangle(
                x: imageLeft - 1, y: top - 1, width: imageSize + 2, height: imageSize + 2, fill: nil,
                stroke: item.isCorrect ? .grid : Color(hex: 0xD62728))
            canvas.text(
                item.caption(classNames: classNames), x: left + cellWidth / 2, y: top + imageSize + 14,
                size: captionSize, color: .text, anchor: .middle)
        }
        return canvas.image
    }
}
