import Weft
import WeftTestSupport
import XCTest

final class SampleGridTests: XCTestCase {
    func testFontCoversPrintableASCII() {
        for code in 33...126 {
            let character = Character(UnicodeScalar(UInt8(code)))
            let lit = (0..<7).flatMap { row in (0..<5).map { BitmapFont.isSet(character, row: row, column: $0) } }
            XCTAssertTrue(lit.contains(true), "\(character) has no pixels")
        }
        XCTAssertFalse((0..<7).contains { row in (0..<5).contains { BitmapFont.isSet(" ", row: row, column: $0) } })
        XCTAssertEqual(BitmapFont.width(of: "ab", scale: 2), 22)
    }

    func testDrawnTextStaysInsideItsBox() {
        var image = PixelImage(width: 40, height: 20, channels: 3, filledWith: 0)
        BitmapFont.draw("Hi!", into: &image, top: 2, left: 3, scale: 2, color: [255, 0, 0])
        var lit = 0
        for y in 0..<20 {
            for x in 0..<40 where image.pixels[(y * 40 + x) * 3] == 255 {
                lit += 1
                XCTAssertTrue((2..<16).contains(y) && (3..<(3 + BitmapFont.width(of: "Hi!", scale: 2))).contains(x))
                XCTAssertEqual(image.pixels[(y * 40 + x) * 3 + 1], 0)
            }
        }
        XCTAssertGreaterThan(lit, 0)
        BitmapFont.draw("clipped", into: &image, top: 15, left: 30, scale: 3)  // partly outside: no crash
    }

    func testGridLayoutAndSamples() throws {
        let dataset = try DataFixtures.dataset(count: 30, height: 4, width: 5, classCount: 3)
        let samples = SampleGrid.sampleIndices(dataset: dataset, samplesPerClass: 4, seed: 2)
        XCTAssertEqual(samples.map(\.count), [4, 4, 4])
        for (label, members) in samples.enumerated() {
            XCTAssertTrue(members.allSatisfy { dataset.labels[$0] == label })
        }
        XCTAssertEqual(SampleGrid.sampleIndices(dataset: dataset, samplesPerClass: 4, seed: 2), samples)
        let grid = SampleGrid.render(dataset: dataset, samplesPerClass: 4, scale: 3, seed: 2, title: "test")
        XCTAssertEqual(grid.channels, 1)
        XCTAssertGreaterThanOrEqual(grid.width, 4 * 15)
        // The first sample of class 0 is pasted enlarged 3×: its top-left pixel fills a 3×3 block.
        let first = dataset.images[samples[0][0] * 20]
        let blocks = (0..<grid.height).flatMap { y in (0..<grid.width).map { x in (y, x) } }
            .filter { grid.pixels[$0.0 * grid.width + $0.1] == first }
        XCTAssertGreaterThanOrEqual(blocks.count, 9)
    }

    func testGridOfRealDataWritesAPNG() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist): run Tests/setup.sh")
        }
        let test = try FashionMNIST.load(.test)
        let grid = SampleGrid.render(dataset: test, samplesPerClass: 8, scale: 2, seed: 1)
        let directory = try TemporaryDirectory()
        let path = directory.file("grid.png")
        try PNGFile.write(grid, to: path)
        XCTAssertEqual(try PNGFile.read(path: path), grid)
        XCTAssertGreaterThan(grid.height, 10 * 56)
    }
}
