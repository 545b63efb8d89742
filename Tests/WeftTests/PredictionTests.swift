import Foundation
import Weft
import XCTest

/// Preparing arbitrary images for a model (colour, polarity, size) and ranking its classes.
final class PredictionTests: XCTestCase {
    func testAreaAveragingShrinksByMeansAndEnlargesByRepeating() {
        let image = PixelImage(
            width: 4, height: 2, channels: 1,
            pixels: [
                0, 10, 20, 30,
                40, 50, 60, 70
            ])
        XCTAssertEqual(image.resized(width: 2, height: 1).pixels, [25, 45])
        XCTAssertEqual(image.resized(width: 4, height: 2), image)
        XCTAssertEqual(
            image.resized(width: 8, height: 4).resized(width: 4, height: 2), image,
            "enlarging then shrinking by the same factor is exact")
        // 3 → 2: Pillow's box filter takes the sources whose centres fall in each cell's span
        // (0.75 source pixels either side of 0.75 and 2.25), not covered fractions.
        let row = PixelImage(width: 3, height: 1, channels: 1, pixels: [0, 90, 180])
        XCTAssertEqual(row.resized(width: 2, height: 1).pixels, [45, 180])
        let rgb = PixelImage(width: 2, height: 1, channels: 3, pixels: [10, 20, 30, 50, 60, 70])
        XCTAssertEqual(rgb.resized(width: 1, height: 1).pixels, [30, 40, 50])
    }

    func testPreparationConvertsInvertsAndResizes() throws {
        // A dark square on a white background, in RGB, twice the model's size.
        var pixels = [UInt8](repeating: 255, count: 8 * 8 * 3)
        for row in 2..<6 {
            for column in 2..<6 { for channel in 0..<3 { pixels[(row * 8 + column) * 3 + channel] = 0 } }
        }
        let photo = PixelImage(width: 8, height: 8, channels: 3, pixels: pixels)
        let automatic = try ImagePreparation(input: [1, 4, 4]).prepare(photo, source: "photo.png")
        XCTAssertTrue(automatic.inverted, "a light border means a light background: inverted")
        XCTAssertTrue(automatic.resized)
        XCTAssertEqual(
            automatic.planes,
            [
                0, 0, 0, 0,
                0, 255, 255, 0,
                0, 255, 255, 0,
                0, 0, 0, 0
            ])
        let kept = try ImagePreparation(input: [1, 4, 4], inversion: .never).prepare(photo, source: "photo.png")
        XCTAssertFalse(kept.inverted)
        XCTAssertEqual(kept.planes[5], 0)
        let dark = PixelImage(width: 4, height: 4, channels: 1, filledWith: 10)
        XCTAssertFalse(try ImagePreparation(input: [1, 4, 4]).prepare(dark, source: "dark.pgm").inverted)
        XCTAssertTrue(
            try ImagePreparation(input: [1, 4, 4], inversion: .always).prepare(dark, source: "dark.pgm").inverted)
        let colour = try ImagePreparation(input: [3, 4, 4], inversion: .never).prepare(dark, source: "dark.pgm")
        XCTAssertEqual(colour.planes, [UInt8](repeating: 10, count: 48), "gray repeated in R, G and B planes")
    }

    func testAPhotoStyleCopyOfATestImageIsPreparedBackToTheImageAndPredictedAlike() throws {
        let (bytes, _) = try ExportFixtures.testImages(count: 3)
        let folder = try TemporaryDirectory()
        let model = try ExportFixtures.randomModel(try ExportFixtures.config("quick.json"))
        for index in 0..<3 {
            let original = Array(bytes[(index * 784)..<((index + 1) * 784)])
            // A dark garment on a light background, four times larger, as a PNG.
            let photo = PixelImage(width: 28, height: 28, channels: 1, pixels: original).resized(
                width: 112, height: 112
            ).inverted
            let path = folder.file("garment-\(index).png")
            try PNGFile.write(photo, to: path)
            let prepared = try ImagePreparation(input: [1, 28, 28]).prepare(
                try PixelImage.read(path: path), source: path)
            XCTAssertTrue(prepared.inverted)
            XCTAssertEqual(
                prepared.planes, original, "image \(index): preparation undoes the enlarging and inversion exactly")
            XCTAssertEqual(
                model.predict(imageBytes: prepared.planes, count: 1, top: 3),
                model.predict(imageBytes: original, count: 1, top: 3))
        }
    }

    func testPredictionsRankAllClassesByProbability() throws {
        let model = try ExportFixtures.randomModel(try ExportFixtures.config("logreg.json"))
        let images = (0..<(5 * 784)).map { UInt8(($0 * 37) % 256) }
        let predictions = model.predict(imageBytes: images, count: 5, top: 20)
        for prediction in predictions {
            XCTAssertEqual(prediction.ranked.count, 10, "top is capped at the class count")
            XCTAssertEqual(prediction.ranked.reduce(0) { $0 + $1.probability }, 1, accuracy: 1e-5)
            XCTAssertEqual(prediction.ranked.map(\.probability), prediction.ranked.map(\.probability).sorted(by: >))
            XCTAssertEqual(
                prediction.ranked.map { $0.className }, prediction.ranked.map { FashionMNIST.classNames[$0.label] })
        }
        let logits = ExportFixtures.logits(model, bytes: images, count: 5)
        for (row, prediction) in predictions.enumerated() {
            let scores = Array(logits[(row * 10)..<((row + 1) * 10)])
            XCTAssertEqual(prediction.label, scores.indices.max { scores[$0] < scores[$1] })
        }
    }

    func testAFileThatIsNotAnImageIsRefused() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write(Array("just text\n".utf8), to: "notes.png")
        assertThrowsWeftError(
            try PixelImage.read(path: path),
            containing: ["notes.png: not a PNG, JPEG or PGM image", "convert it to PNG, JPEG or PGM"])
    }
}
