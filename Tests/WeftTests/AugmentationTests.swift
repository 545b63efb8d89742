import Weft
import XCTest

final class AugmentationTests: XCTestCase {
    /// One 2-channel 3×4 image: sample (c, y, x) = 100c + 10y + x + 1 (no zeros, so padding shows).
    private let image: [UInt8] = (0..<24).map { (offset: Int) -> UInt8 in
        let channel = offset / 12, row = offset / 4 % 3, column = offset % 4
        return UInt8(100 * channel + 10 * row + column + 1)
    }

    private func sample(_ bytes: [UInt8], channel: Int, row: Int, column: Int) -> UInt8 {
        bytes[channel * 12 + row * 4 + column]
    }

    func testFlipReversesEveryRow() {
        let flipped = ImageAugmentation(flipped: true).movedBytes(image[...], channels: 2, height: 3, width: 4)
        for channel in 0..<2 {
            for row in 0..<3 {
                let original = (0..<4).map { sample(image, channel: channel, row: row, column: $0) }
                XCTAssertEqual(
                    (0..<4).map { sample(flipped, channel: channel, row: row, column: $0) }, original.reversed())
            }
        }
    }

    func testCropKeepsTheSizeAndShiftsWithZeroPadding() {
        // Output (y, x) = input (y + 1, x - 2): content moves up one row and right two columns.
        let moved = ImageAugmentation(rowShift: 1, columnShift: -2).movedBytes(
            image[...], channels: 2, height: 3, width: 4)
        XCTAssertEqual(moved.count, image.count)
        for channel in 0..<2 {
            for row in 0..<3 {
                for column in 0..<4 {
                    let sourceRow = row + 1, sourceColumn = column - 2
                    let expected: UInt8 =
                        (0..<3).contains(sourceRow) && (0..<4).contains(sourceColumn)
                        ? sample(image, channel: channel, row: sourceRow, column: sourceColumn) : 0
                    XCTAssertEqual(
                        sample(moved, channel: channel, row: row, column: column), expected,
                        "(\(channel), \(row), \(column))")
                }
            }
        }
    }

    func testCropThenFlipMatchesTorchvisionOrder() {
        // RandomCrop first, then RandomHorizontalFlip: flip(crop(x)).
        let cropped = ImageAugmentation(rowShift: -1, columnShift: 1).movedBytes(
            image[...], channels: 2, height: 3, width: 4)
        let expected = ImageAugmentation(flipped: true).movedBytes(cropped[...], channels: 2, height: 3, width: 4)
        let both = ImageAugmentation(rowShift: -1, columnShift: 1, flipped: true).movedBytes(
            image[...], channels: 2, height: 3, width: 4)
        XCTAssertEqual(both, expected)
    }

    func testIdentityChangesNothing() {
        XCTAssertEqual(ImageAugmentation.identity.movedBytes(image[...], channels: 2, height: 3, width: 4), image)
    }

    func testDrawnCropsCoverTheirRangeAndFlipsHalfTheTime() {
        var generator = RandomGenerator(seed: 9)
        let settings = AugmentationSettings(randomCropPadding: 2, horizontalFlip: true)
        var shifts = Set<Int>(), flips = 0
        for _ in 0..<4000 {
            let choice = ImageAugmentation.draw(settings: settings, height: 28, width: 28, using: &generator)
            shifts.insert(choice.rowShift)
            shifts.insert(choice.columnShift)
            if choice.flipped { flips += 1 }
            XCTAssertNil(choice.erased)
        }
        XCTAssertEqual(shifts, Set(-2...2))
        XCTAssertEqual(Double(flips) / 4000, 0.5, accuracy: 0.03)
    }

    func testErasingRectanglesFollowTorchvisionRanges() {
        var generator = RandomGenerator(seed: 10)
        let settings = AugmentationSettings(randomErasing: 0.5)
        var erased = 0
        for _ in 0..<4000 {
            let choice = ImageAugmentation.draw(settings: settings, height: 28, width: 28, using: &generator)
            XCTAssertEqual(choice.rowShift, 0)
            XCTAssertFalse(choice.flipped)
            guard let rectangle = choice.erased else { continue }
            erased += 1
            XCTAssertLessThan(rectangle.height, 28)
            XCTAssertLessThan(rectangle.width, 28)
            XCTAssertLessThanOrEqual(rectangle.top + rectangle.height, 28)
            XCTAssertLessThanOrEqual(rectangle.left + rectangle.width, 28)
            let share = Double(rectangle.height * rectangle.width) / 784
            XCTAssertGreaterThan(share, 0.01)
            XCTAssertLessThan(share, 0.4)
        }
        // p = 0.5, and a few draws find no fitting rectangle in 10 tries, as in torchvision.
        XCTAssertEqual(Double(erased) / 4000, 0.5, accuracy: 0.04)
    }

    func testDrawingIsDeterministicPerGenerator() {
        let settings = AugmentationSettings(randomCropPadding: 4, horizontalFlip: true, randomErasing: 0.5)
        var first = RandomGenerator(seed: 77), second = RandomGenerator(seed: 77)
        for _ in 0..<100 {
            XCTAssertEqual(
                ImageAugmentation.draw(settings: settings, height: 32, width: 32, using: &first),
                ImageAugmentation.draw(settings: settings, height: 32, width: 32, using: &second))
        }
    }

    func testEraseNormalizedZeroesTheRectangleInEveryChannel() {
        var values = [Float](repeating: 0.5, count: 2 * 3 * 4)
        let choice = ImageAugmentation(erased: .init(top: 1, left: 1, height: 2, width: 2))
        values.withUnsafeMutableBufferPointer {
            choice.eraseNormalized($0.baseAddress!, channels: 2, height: 3, width: 4)
        }
        for channel in 0..<2 {
            for row in 0..<3 {
                for column in 0..<4 {
                    let inside = (1...2).contains(row) && (1...2).contains(column)
                    XCTAssertEqual(values[channel * 12 + row * 4 + column], inside ? 0 : 0.5)
                }
            }
        }
    }

    func testNoneSettings() {
        XCTAssertTrue(AugmentationSettings.none.isNone)
        XCTAssertTrue(AugmentationSettings(randomCropPadding: 0, randomErasing: 0).isNone)
        XCTAssertFalse(AugmentationSettings(horizontalFlip: true).isNone)
    }
}
