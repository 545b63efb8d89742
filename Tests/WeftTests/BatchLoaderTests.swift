import Weft
import WeftTestSupport
import XCTest

final class BatchLoaderTests: XCTestCase {
    private let normalization = Normalization(mean: 0.25, standardDeviation: 0.5)

    private func loader(
        count: Int = 10, batchSize: Int = 4, augmentation: AugmentationSettings = .none,
        seed: UInt64 = 1, dropLast: Bool = false, channels: Int = 1
    ) throws -> BatchLoader {
        let dataset = try DataFixtures.dataset(count: count, channels: channels, height: 4, width: 5, classCount: 3)
        return BatchLoader(
            dataset: dataset, indices: Array(0..<count), batchSize: batchSize, normalization: normalization,
            augmentation: augmentation, seed: seed, dropLastPartialBatch: dropLast)
    }

    func testShapesLabelsAndNormalisedValues() throws {
        let loader = try loader()
        var augment: RandomGenerator? = nil
        let (images, labels) = loader.batch(indices: [7, 2, 5][...], augment: &augment)
        XCTAssertEqual(images.shape, [3, 1, 4, 5])
        XCTAssertEqual(labels, [1, 2, 2])
        for (position, index) in [7, 2, 5].enumerated() {
            for pixel in 0..<20 {
                let byte = loader.dataset.images[index * 20 + pixel]
                XCTAssertEqual(images.data[position * 20 + pixel], (Float(byte) / 255 - 0.25) / 0.5)
            }
        }
    }

    /// `"horizontalFlip": "alternate"`: every image is mirrored in exactly one of any two epochs
    /// running, about half of them in each, the same for every generator, and the mirrored bytes
    /// are the random flip's.
    func testAlternatingFlipMirrorsEveryImageOnAlternateEpochs() throws {
        let count = 200
        let alternating = try loader(count: count, augmentation: AugmentationSettings(alternatingFlip: true))
        let plain = try loader(count: count)
        let indices = Array(0..<count)[...]
        func images(_ loader: BatchLoader, epoch: Int, seed: UInt64 = 3) -> Tensor {
            var generator: RandomGenerator? = RandomGenerator(seed: seed)
            return loader.batch(indices: indices, augment: &generator, epoch: epoch).images
        }
        var none: RandomGenerator? = nil
        let original = plain.batch(indices: indices, augment: &none).images
        func mirrored(_ image: Int, in batch: Tensor) -> Bool {
            let base = image * 20
            let same = (0..<20).allSatisfy { batch.data[base + $0] == original.data[base + $0] }
            let mirror = (0..<20).allSatisfy { pixel in
                let (row, column) = (pixel / 5, pixel % 5)
                return batch.data[base + pixel] == original.data[base + row * 5 + 4 - column]
            }
            XCTAssertTrue(same || mirror, "image \(image) is either itself or its mirror")
            return !same
        }
        for epoch in 0..<3 {
            let first = images(alternating, epoch: epoch), second = images(alternating, epoch: epoch + 1)
            var flipped = 0
            for image in 0..<count {
                let now = alternating.alternatingFlip(image: image, epoch: epoch)
                XCTAssertNotEqual(now, alternating.alternatingFlip(image: image, epoch: epoch + 1))
                let symmetric = (0..<20).allSatisfy {
                    original.data[image * 20 + $0] == original.data[image * 20 + ($0 / 5) * 5 + 4 - $0 % 5]
                }
                if !symmetric {
                    XCTAssertEqual(mirrored(image, in: first), now, "image \(image), epoch \(epoch)")
                    XCTAssertNotEqual(mirrored(image, in: first), mirrored(image, in: second))
                }
                if now { flipped += 1 }
            }
            XCTAssertTrue((70...130).contains(flipped), "about half of \(count) flipped, got \(flipped)")
        }
        XCTAssertEqual(
            images(alternating, epoch: 1).scalars, images(alternating, epoch: 1, seed: 99).scalars,
            "the generator does not choose the flips")
    }

    func testHorizontalFlipTakesTrueFalseOrAlternate() throws {
        func augment(_ value: String) throws -> DataConfig.AugmentConfig {
            let text = """
                { "name": "a", "data": { "dataset": "fashion-mnist", "augment": { "horizontalFlip": \(value) } },
                  "model": { "input": [1, 28, 28], "layers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ] },
                  "training": { "epochs": 1, "batchSize": 8, "optimizer": { "type": "sgd", "learningRate": 0.1 } } }
                """
            let config = try TrainingConfig(json: try JSONParser.parse(text, source: "a.json"), source: "a.json")
            let again = try TrainingConfig(json: config.json, source: "a.json")
            XCTAssertEqual(again.data.augment, config.data.augment, "the resolved config reads back")
            return config.data.augment
        }
        XCTAssertEqual(try augment("\"alternate\"").alternatingFlip, true)
        XCTAssertEqual(try augment("\"alternate\"").horizontalFlip, false)
        XCTAssertEqual(try augment("true").horizontalFlip, true)
        XCTAssertEqual(try augment("false").isEnabled, false)
        XCTAssertThrowsError(try augment("\"sometimes\"")) {
            XCTAssertTrue(
                ($0 as? WeftError)?.message.contains(
                    "a.json: data.augment.horizontalFlip: must be true, false or \"alternate\", got \"sometimes\"")
                    == true,
                "\($0)")
        }
    }

    func testPerChannelNormalisation() throws {
        let dataset = try DataFixtures.dataset(count: 2, channels: 3, height: 2, width: 2)
        let perChannel = Normalization(mean: [0.1, 0.2, 0.3], standardDeviation: [0.5, 0.25, 2])
        let loader = BatchLoader(dataset: dataset, indices: [0, 1], batchSize: 2, normalization: perChannel, seed: 0)
        var augment: RandomGenerator? = nil
        let images = loader.batch(indices: [1][...], augment: &augment).images
        for channel in 0..<3 {
            for pixel in 0..<4 {
                let byte = dataset.images[12 + channel * 4 + pixel]
                XCTAssertEqual(
                    images.data[channel * 4 + pixel],
                    (Float(byte) / 255 - perChannel.mean[channel]) / perChannel.standardDeviation[channel])
            }
        }
    }

    func testLastPartialBatchIsKeptOrDropped() throws {
        let keeping = try loader(count: 10, batchSize: 4)
        XCTAssertEqual(keeping.batchesPerEpoch, 3)
        XCTAssertEqual(keeping.batches(order: keeping.epochOrder(epoch: 0)).map(\.count), [4, 4, 2])
        let dropping = try loader(count: 10, batchSize: 4, dropLast: true)
        XCTAssertEqual(dropping.batchesPerEpoch, 2)
        XCTAssertEqual(dropping.imagesPerEpoch, 8)
        XCTAssertEqual(dropping.batches(order: dropping.epochOrder(epoch: 0)).map(\.count), [4, 4])
    }

    func testEpochOrdersArePermutationsThatDifferByEpochAndRepeatBySeed() throws {
        let loader = try loader(count: 50, seed: 5)
        let first = loader.epochOrder(epoch: 0)
        let second = loader.epochOrder(epoch: 1)
        XCTAssertEqual(first.sorted(), Array(0..<50))
        XCTAssertEqual(second.sorted(), Array(0..<50))
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(loader.epochOrder(epoch: 1), second)
        XCTAssertEqual(try self.loader(count: 50, seed: 5).epochOrder(epoch: 1), second)
        XCTAssertNotEqual(try self.loader(count: 50, seed: 6).epochOrder(epoch: 1), second)
    }

    func testSameSeedGivesSameAugmentedBatches() throws {
        let settings = AugmentationSettings(randomCropPadding: 2, horizontalFlip: true, randomErasing: 0.5)
        func epoch(_ loader: BatchLoader) -> [[Float]] {
            var augment: RandomGenerator? = loader.augmentationGenerator(epoch: 3)
            return loader.batches(order: loader.epochOrder(epoch: 3)).map {
                loader.batch(indices: $0, augment: &augment).images.scalars
            }
        }
        let first = epoch(try loader(count: 40, batchSize: 8, augmentation: settings, seed: 9))
        XCTAssertEqual(epoch(try loader(count: 40, batchSize: 8, augmentation: settings, seed: 9)), first)
        XCTAssertNotEqual(epoch(try loader(count: 40, batchSize: 8, augmentation: settings, seed: 10)), first)
    }

    func testBatchesDoNotDependOnTheThreadCount() throws {
        let settings = AugmentationSettings(randomCropPadding: 3, horizontalFlip: true, randomErasing: 0.7)
        let loader = try loader(count: 200, batchSize: 128, augmentation: settings, channels: 3)
        let saved = Parallel.threadCount
        defer { Parallel.setThreadCount(saved) }
        var results = [[Float]]()
        for threads in [1, 2, 4] {
            Parallel.setThreadCount(threads)
            var augment: RandomGenerator? = RandomGenerator(seed: 4)
            results.append(
                loader.batch(indices: loader.epochOrder(epoch: 0)[0..<128], augment: &augment).images.scalars)
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }

    func testAugmentationNeedsAGenerator() throws {
        let plain = try loader()
        let augmented = try loader(augmentation: AugmentationSettings(randomCropPadding: 2, horizontalFlip: true))
        var none: RandomGenerator? = nil
        XCTAssertEqual(
            augmented.batch(indices: [0, 1, 2][...], augment: &none).images.scalars,
            plain.batch(indices: [0, 1, 2][...], augment: &none).images.scalars)
        var generator: RandomGenerator? = RandomGenerator(seed: 1)
        _ = plain.batch(indices: [0, 1, 2][...], augment: &generator)
        XCTAssertEqual(generator, RandomGenerator(seed: 1), "no augmentation draws nothing")
        _ = augmented.batch(indices: [0, 1, 2][...], augment: &generator)
        XCTAssertNotEqual(generator, RandomGenerator(seed: 1), "the draws advance the caller's generator")
    }

    func testAugmentedBatchMatchesTheDrawnChoices() throws {
        let settings = AugmentationSettings(randomCropPadding: 2, horizontalFlip: true, randomErasing: 1)
        let loader = try loader(count: 6, augmentation: settings)
        let dataset = loader.dataset
        var augment: RandomGenerator? = RandomGenerator(seed: 21)
        var replay = RandomGenerator(seed: 21)
        let indices = [4, 0, 3]
        let images = loader.batch(indices: indices[...], augment: &augment).images
        var erasedSeen = 0
        for (position, index) in indices.enumerated() {
            let choice = ImageAugmentation.draw(settings: settings, height: 4, width: 5, using: &replay)
            let moved = choice.movedBytes(dataset.imageBytes(at: index), channels: 1, height: 4, width: 5)
            for row in 0..<4 {
                for column in 0..<5 {
                    let value = images.data[position * 20 + row * 5 + column]
                    if let rectangle = choice.erased,
                        (rectangle.top..<(rectangle.top + rectangle.height)).contains(row),
                        (rectangle.left..<(rectangle.left + rectangle.width)).contains(column)
                    {
                        XCTAssertEqual(value, 0, "erased to the normalised zero (the dataset mean)")
                        erasedSeen += 1
                    } else {
                        XCTAssertEqual(value, (Float(moved[row * 5 + column]) / 255 - 0.25) / 0.5)
                    }
                }
            }
        }
        XCTAssertEqual(augment, replay)
        XCTAssertGreaterThan(erasedSeen, 0)
    }

    func testRealBatchOf128() throws {
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            throw missing("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist): run Tests/setup.sh")
        }
        let train = try FashionMNIST.load(.train)
        let split = stratifiedSplit(labels: train.labels, validationFraction: 0.1, seed: 42)
        let loader = BatchLoader(
            dataset: train, indices: split.train, batchSize: 128, normalization: FashionMNIST.normalization,
            augmentation: AugmentationSettings(randomCropPadding: 2, horizontalFlip: true), seed: 42)
        XCTAssertEqual(loader.batchesPerEpoch, 422)  // 54,000 / 128 = 421.9
        var augment: RandomGenerator? = loader.augmentationGenerator(epoch: 0)
        let (images, labels) = loader.batch(
            indices: loader.batches(order: loader.epochOrder(epoch: 0))[0], augment: &augment)
        XCTAssertEqual(images.shape, [128, 1, 28, 28])
        XCTAssertEqual(labels.count, 128)
        let values = images.scalars
        XCTAssertEqual(values.min() ?? 0, (0 - 0.2860) / 0.3530, accuracy: 1e-6)
        XCTAssertLessThanOrEqual(values.max() ?? 0, (1 - 0.2860) / 0.3530 + 1e-6)
    }
}
