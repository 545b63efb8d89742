/// Turns images of an `ImageDataset` into normalised float32 batches, in a seeded order that a
/// resumed run can recompute: PyTorch's `DataLoader(shuffle=True, drop_last=False)` over a
/// torchvision pipeline of `RandomCrop`, `RandomHorizontalFlip`, `ToTensor`, `Normalize` and
/// `RandomErasing` (see `AugmentationSettings`).
///
/// Usage for one epoch:
///
///     let order = loader.epochOrder(epoch: epoch)
///     var augment: RandomGenerator? = loader.augmentationGenerator(epoch: epoch)
///     for slice in loader.batches(order: order) {
///         let (images, labels) = loader.batch(indices: slice, augment: &augment)
///     }
///
/// Images are filled in parallel (`Parallel.forEach`), each by one thread, after every random
/// choice of the batch has been drawn in order from `augment`: a batch depends only on its
/// indices and the generator's state, never on the thread count.
public struct BatchLoader: Sendable {
    /// The images and labels batches are made of.
    public let dataset: ImageDataset
    /// The dataset indices this loader serves (e.g. the training part of a split).
    public let indices: [Int]
    /// Images per batch (the last batch may be smaller unless `dropsLastPartialBatch`).
    public let batchSize: Int
    /// How bytes become floats.
    public let normalization: Normalization
    /// The augmentations applied when `batch` is given a generator.
    public let augmentation: AugmentationSettings
    /// The base seed of the epoch orders and augmentation generators.
    public let seed: UInt64
    /// Whether an epoch's last, smaller batch is left out (PyTorch's `drop_last=True`).
    public let dropsLastPartialBatch: Bool
    /// `[C, 256]`: the normalised value of every byte in each channel.
    private let tables: [Float]

    /// - Parameters:
    ///   - dataset: the images and labels.
    ///   - indices: the dataset indices to serve, each in `0..<dataset.count`.
    ///   - batchSize: images per batch, positive.
    ///   - normalization: mean and deviation in pixel/255 units, one or one per channel.
    ///   - augmentation: applied by `batch` when given a generator.
    ///   - seed: base seed of `epochOrder` and `augmentationGenerator`.
    ///   - dropLastPartialBatch: leave out each epoch's last batch when it is smaller.
    public init(
        dataset: ImageDataset, indices: [Int], batchSize: Int, normalization: Normalization,
        augmentation: AugmentationSettings = .none, seed: UInt64, dropLastPartialBatch: Bool = false
    ) {
        precondition(batchSize > 0, "BatchLoader: batchSize must be positive, got \(batchSize)")
        precondition(
            normalization.fits(channels: dataset.channels),
            "BatchLoader: normalization has \(normalization.mean.count) values for \(dataset.channels) channels")
        precondition(
            indices.allSatisfy { $0 >= 0 && $0 < dataset.count }, "BatchLoader: an index is outside the dataset")
        self.dataset = dataset
        self.indices = indices
        self.batchSize = batchSize
        self.normalization = normalization
        self.augmentation = augmentation
        self.seed = seed
        self.dropsLastPartialBatch = dropLastPartialBatch
        self.tables = (0..<dataset.channels).flatMap { normalization.table(channel: $0) }
    }

    /// The number of batches in one epoch.
    public var batchesPerEpoch: Int {
        dropsLastPartialBatch ? indices.count / batchSize : (indices.count + batchSize - 1) / batchSize
    }

    /// The number of images one epoch serves (all of them unless the last batch is dropped).
    public var imagesPerEpoch: Int { min(indices.count, batchesPerEpoch * batchSize) }

    /// `indices` in the order of `epoch`: a shuffle seeded only by `seed` and `epoch`, so it can
    /// be recomputed when a run resumes in the middle of the epoch.
    public func epochOrder(epoch: Int) -> [Int] {
        var order = indices
        var generator = RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .epochOrder, index: UInt64(epoch)))
        generator.shuffle(&order)
        return order
    }

    /// A generator for `epoch`'s augmentations, seeded only by `seed` and `epoch`. To resume in
    /// the middle of an epoch, save its `state` after each batch instead of recreating it.
    public func augmentationGenerator(epoch: Int) -> RandomGenerator {
        RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .augmentation, index: UInt64(epoch)))
    }

    /// `order` cut into consecutive batches of `batchSize` (the last one smaller, or left out
    /// when `dropsLastPartialBatch`). Batch `b` is `order[b*batchSize ..< min((b+1)*batchSize, n)]`.
    public func batches(order: [Int]) -> [ArraySlice<Int>] {
        let count = dropsLastPartialBatch ? order.count / batchSize * batchSize : order.count
        return stride(from: 0, to: count, by: batchSize).map { order[$0..<min($0 + batchSize, count)] }
    }

    /// The batches of `order` as evaluation, prediction and features read them: no augmentation,
    /// each with its dataset indices, made as the loop reaches it.
    public func evaluationBatches(order: [Int]) -> LazyMapSequence<
        [ArraySlice<Int>], (indices: ArraySlice<Int>, images: Tensor, labels: [Int])
    > {
        batches(order: order).lazy.map { indices in
            var none: RandomGenerator? = nil
            let (images, labels) = batch(indices: indices, augment: &none)
            return (indices, images, labels)
        }
    }

    /// Whether `alternatingFlip` mirrors dataset image `image` in `epoch` (0-based): when the
    /// image's seeded bit plus the epoch is odd.
    public func alternatingFlip(image: Int, epoch: Int) -> Bool {
        let bit = SeedDerivation.seed(seed, purpose: .alternatingFlip, index: UInt64(image)) & 1
        return (bit + UInt64(epoch)) % 2 == 1
    }

    /// One batch of images and labels.
    ///
    /// - Parameters:
    ///   - indices: dataset indices of the batch's images, in batch order.
    ///   - augment: the generator the augmentations are drawn from (advanced by the draws);
    ///     nil for none (evaluation). Untouched when `augmentation` is `.none`.
    /// - Returns: `images` `[B, C, H, W]` float32 `(x/255 - mean) / std` (after crop and flip,
    ///   with erased rectangles at 0), and `labels` `[B]`.
    public func batch(indices: ArraySlice<Int>, augment: inout RandomGenerator?, epoch: Int = 0) -> (
        images: Tensor, labels: [Int]
    ) {
        let count = indices.count
        let (channels, height, width) = (dataset.channels, dataset.height, dataset.width)
        let plane = height * width
        let imageBytes = dataset.imageByteCount
        var choices = [ImageAugmentation](repeating: .identity, count: count)
        if var generator = augment, !augmentation.isNone {
            for position in 0..<count {
                choices[position] = ImageAugmentation.draw(
                    settings: augmentation, height: height, width: width, using: &generator)
                if augmentation.alternatingFlip {
                    choices[position].flipped = alternatingFlip(
                        image: indices[indices.startIndex + position], epoch: epoch)
                }
            }
            augment = generator
        }
        let positions = Array(indices)
        precondition(
            positions.allSatisfy { $0 >= 0 && $0 < dataset.count }, "BatchLoader.batch: an index is outside the dataset"
        )
        let images = Tensor(uninitializedShape: [count, channels, height, width])
        let output = images.data
        dataset.images.withUnsafeBufferPointer { pixels in
            tables.withUnsafeBufferPointer { tables in
                choices.withUnsafeBufferPointer { choices in
                    guard let pixels = pixels.baseAddress, let tables = tables.baseAddress else { return }
                    Parallel.forEach(count, grain: 16) { position in
                        let source = pixels + positions[position] * imageBytes
                        let destination = output + position * imageBytes
                        let choice = choices[position]
                        for channel in 0..<channels {
                            let table = tables + channel * 256
                            let sourcePlane = source + channel * plane
                            let destinationPlane = destination + channel * plane
                            if choice.movesPixels {
                                for row in 0..<height {
                                    for column in 0..<width {
                                        let offset = choice.sourceOffset(
                                            row: row, column: column, height: height, width: width)
                                        destinationPlane[row * width + column] =
                                            table[Int(offset.map { sourcePlane[$0] } ?? 0)]
                                    }
                                }
                            } else {
                                for pixel in 0..<plane {
                                    destinationPlane[pixel] = table[Int(sourcePlane[pixel])]
                                }
                            }
                        }
                        choice.eraseNormalized(destination, channels: channels, height: height, width: width)
                    }
                }
            }
        }
        return (images, positions.map { dataset.labels[$0] })
    }
}
