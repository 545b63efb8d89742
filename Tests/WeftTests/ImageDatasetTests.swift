import Weft
import WeftTestSupport
import XCTest

final class ImageDatasetTests: XCTestCase {
    func testLoadsRankThreeImagesWithOneChannel() throws {
        let directory = try TemporaryDirectory()
        let images = DataFixtures.imageFile(count: 6, height: 4, width: 5)
        let imagesPath = try directory.writeGzip(images.encoded(), to: "images.gz")
        let labelsPath = try directory.write(DataFixtures.labelFile([0, 1, 2, 0, 1, 2]).encoded(), to: "labels")
        let dataset = try ImageDataset.load(imagesPath: imagesPath, labelsPath: labelsPath, classNames: ["a", "b", "c"])
        XCTAssertEqual(dataset.count, 6)
        XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [1, 4, 5])
        XCTAssertEqual(dataset.images, images.bytes)
        XCTAssertEqual(dataset.labels, [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(dataset.classCount, 3)
        XCTAssertEqual(dataset.classCounts(), [2, 2, 2])
        XCTAssertEqual(Array(dataset.imageBytes(at: 1)), Array(images.bytes[20..<40]))
    }

    func testRankFourChannelsLastBecomesChannelsFirst() throws {
        let directory = try TemporaryDirectory()
        // Two 2×3 RGB images, [N, H, W, C]: sample (n, y, x, c) = 100n + 10(y*3+x) + c.
        var bytes = [UInt8]()
        for image in 0..<2 {
            for pixel in 0..<6 { for channel in 0..<3 { bytes.append(UInt8(100 * image + 10 * pixel + channel)) } }
        }
        let imagesPath = try directory.write(IDXFile(dimensions: [2, 2, 3, 3], bytes: bytes).encoded(), to: "rgb")
        let labelsPath = try directory.write(DataFixtures.labelFile([1, 0]).encoded(), to: "labels")
        let dataset = try ImageDataset.load(imagesPath: imagesPath, labelsPath: labelsPath)
        XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [3, 2, 3])
        XCTAssertEqual(dataset.classNames, ["0", "1"])
        for image in 0..<2 {
            for channel in 0..<3 {
                for pixel in 0..<6 {
                    XCTAssertEqual(
                        dataset.images[image * 18 + channel * 6 + pixel], UInt8(100 * image + 10 * pixel + channel))
                }
            }
        }
    }

    func testLabelCountMismatchIsMislabelled() throws {
        let directory = try TemporaryDirectory()
        let imagesPath = try directory.write(DataFixtures.imageFile(count: 4).encoded(), to: "images")
        let labelsPath = try directory.write(DataFixtures.labelFile([0, 1, 2]).encoded(), to: "labels")
        assertThrowsWeftError(
            try ImageDataset.load(imagesPath: imagesPath, labelsPath: labelsPath),
            containing: [labelsPath, imagesPath, "mislabelled", "3 labels", "4 images"])
    }

    func testLabelOutsideTheClassesIsMislabelled() throws {
        let directory = try TemporaryDirectory()
        let imagesPath = try directory.write(DataFixtures.imageFile(count: 3).encoded(), to: "images")
        let labelsPath = try directory.write(DataFixtures.labelFile([0, 7, 1]).encoded(), to: "labels")
        assertThrowsWeftError(
            try ImageDataset.load(imagesPath: imagesPath, labelsPath: labelsPath, classNames: ["a", "b"]),
            containing: [labelsPath, "mislabelled", "image 1", "label 7"])
        assertThrowsWeftError(
            try ImageDataset.load(imagesPath: imagesPath, labelsPath: labelsPath, classCount: 5),
            containing: [labelsPath, "label 7"])
        XCTAssertEqual(try ImageDataset.load(imagesPath: imagesPath, labelsPath: labelsPath).classCount, 8)
    }

    func testSwappedFilesAreRefused() throws {
        let directory = try TemporaryDirectory()
        let imagesPath = try directory.write(DataFixtures.imageFile(count: 3).encoded(), to: "images")
        let labelsPath = try directory.write(DataFixtures.labelFile([0, 1, 1]).encoded(), to: "labels")
        assertThrowsWeftError(
            try ImageDataset.load(imagesPath: labelsPath, labelsPath: imagesPath),
            containing: [labelsPath, "rank 1"])
        assertThrowsWeftError(
            try ImageDataset.load(imagesPath: imagesPath, labelsPath: imagesPath),
            containing: [imagesPath, "labels must have rank 1"])
    }

    func testEmptyDatasetIsRefused() throws {
        let directory = try TemporaryDirectory()
        let imagesPath = try directory.write(IDXFile(dimensions: [0, 28, 28], bytes: []).encoded(), to: "images")
        let labelsPath = try directory.write(DataFixtures.labelFile([]).encoded(), to: "labels")
        assertThrowsWeftError(
            try ImageDataset.load(imagesPath: imagesPath, labelsPath: labelsPath, classNames: ["a"]),
            containing: [imagesPath, "no images"])
    }

    func testIDXDatasetFindsPackedAndUnpackedNames() throws {
        let directory = try TemporaryDirectory()
        try directory.writeGzip(DataFixtures.imageFile(count: 2).encoded(), to: "train-images-idx3-ubyte.gz")
        try directory.write(DataFixtures.labelFile([0, 1]).encoded(), to: "train-labels-idx1-ubyte")
        try directory.write(DataFixtures.imageFile(count: 1).encoded(), to: "t10k-images-idx3-ubyte")
        try directory.writeGzip(DataFixtures.labelFile([1]).encoded(), to: "t10k-labels-idx1-ubyte.gz")
        let dataset = FashionMNIST.dataset(directory: directory.path)
        XCTAssertEqual(try dataset.load(.train).count, 2)
        XCTAssertEqual(try dataset.load(.test).labels, [1])
        XCTAssertEqual(try dataset.load(.test).classNames, FashionMNIST.classNames)
        var unpackedNames = dataset
        unpackedNames.trainImages = "train-images-idx3-ubyte"
        XCTAssertEqual(try unpackedNames.load(.train).count, 2)
    }

    func testMissingDirectoryOrFileSaysHowToGetIt() throws {
        let directory = try TemporaryDirectory()
        let absent = directory.file("nowhere")
        assertThrowsWeftError(
            try FashionMNIST.load(.train, directory: absent),
            containing: [absent, "dataset-fashion-mnist", "--data-dir"])
        try directory.write(DataFixtures.imageFile(count: 1).encoded(), to: "train-images-idx3-ubyte")
        assertThrowsWeftError(
            try FashionMNIST.load(.train, directory: directory.path),
            containing: ["train-labels-idx1-ubyte.gz", "missing", "dataset-fashion-mnist", "--data-dir"])
        let generic = IDXDataset(
            name: "Digits", directory: directory.path, trainImages: "train-images-idx3-ubyte",
            trainLabels: "labels", testImages: "t", testLabels: "u")
        assertThrowsWeftError(try generic.load(.train), containing: [directory.file("labels"), "Digits", "--data-dir"])
    }

    func testRealFashionMNIST() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist): run Tests/setup.sh")
        }
        let train = try FashionMNIST.load(.train)
        let test = try FashionMNIST.load(.test)
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual([train.channels, train.height, train.width], [1, 28, 28])
        XCTAssertEqual(train.classCounts(), [Int](repeating: 6_000, count: 10))
        XCTAssertEqual(test.classCounts(), [Int](repeating: 1_000, count: 10))
        XCTAssertEqual(train.classNames[9], "Ankle boot")
        let statistics = PixelStatistics(dataset: train)
        XCTAssertEqual(statistics.mean, 0.2860, accuracy: 1e-3)
        XCTAssertEqual(statistics.standardDeviation, 0.3530, accuracy: 1e-3)
    }
}
