import Weft
import XCTest

final class PixelStatisticsTests: XCTestCase {
    func testMeanAndDeviationOfKnownPixels() throws {
        // Two 1×1×2 images: pixels 0, 255 and 51, 102 → /255: 0, 1, 0.2, 0.4.
        let dataset = try ImageDataset(
            images: [0, 255, 51, 102], labels: [1, 0], channels: 1, height: 1, width: 2,
            classNames: ["a", "b", "c"])
        let statistics = PixelStatistics(dataset: dataset)
        let values = [0.0, 1.0, 0.2, 0.4]
        let mean = values.reduce(0, +) / 4
        let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4).squareRoot()
        XCTAssertEqual(statistics.imageCount, 2)
        XCTAssertEqual(statistics.classCounts, [1, 1, 0])
        XCTAssertEqual(statistics.mean, mean, accuracy: 1e-12)
        XCTAssertEqual(statistics.standardDeviation, deviation, accuracy: 1e-12)

        let second = PixelStatistics(dataset: dataset, indices: [1])
        XCTAssertEqual(second.classCounts, [1, 0, 0])
        XCTAssertEqual(second.mean, 0.3, accuracy: 1e-12)
        XCTAssertEqual(second.standardDeviation, 0.1, accuracy: 1e-12)
    }

    func testPerChannelStatistics() throws {
        // One 2-channel image of 1×2: channel 0 all 255, channel 1 is 0 and 255.
        let dataset = try ImageDataset(
            images: [255, 255, 0, 255], labels: [0], channels: 2, height: 1, width: 2,
            classNames: ["only"])
        let statistics = PixelStatistics(dataset: dataset)
        XCTAssertEqual(statistics.channelMeans, [1, 0.5])
        XCTAssertEqual(statistics.channelStandardDeviations, [0, 0.5])
        XCTAssertEqual(statistics.mean, 0.75, accuracy: 1e-12)
    }

    func testSameResultWithAnyThreadCount() throws {
        let dataset = try DataFixtures.dataset(count: 2000, channels: 3, height: 6, width: 7, classCount: 4)
        let saved = Parallel.threadCount
        defer { Parallel.setThreadCount(saved) }
        Parallel.setThreadCount(1)
        let single = PixelStatistics(dataset: dataset)
        Parallel.setThreadCount(3)
        XCTAssertEqual(PixelStatistics(dataset: dataset), single)
    }
}
