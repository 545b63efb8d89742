/// Everything about a run's progress that a checkpoint must hold to continue exactly: where the
/// run is, the generators' states, the partial sums of the current epoch, and the history.
public struct TrainingState: Equatable, Sendable {
    /// The epoch under way or next, 0-based.
    public var epoch = 0
    /// Batches of `epoch` already trained (its shuffle order is recomputed from the seed).
    public var batchInEpoch = 0
    /// Optimiser steps taken over the whole run.
    public var step = 0
    /// Dropout's generator.
    public var dropoutGenerator: RandomGenerator
    /// The augmentation generator of the epoch under way.
    public var augmentationGenerator: RandomGenerator
    /// The current epoch's running training loss sum, correct count and image count.
    public var epochLossSum: Double = 0
    public var epochCorrect = 0
    public var epochImages = 0
    /// Seconds spent training in this epoch before an interruption.
    public var epochSeconds: Double = 0
    /// One record per finished epoch.
    public var history: [EpochRecord] = []
    /// The best validation accuracy so far and the epoch (1-based) it came from.
    public var bestValidationAccuracy: Double?
    public var bestEpoch: Int?
    /// Every rank's generators at the last checkpoint of a run on several ranks (MPI), in rank
    /// order; empty for a run on one process. `dropoutGenerator` and `augmentationGenerator`
    /// are rank 0's.
    public var replicaGenerators: [ReplicaGenerators] = []

    public init(seed: UInt64) {
        dropoutGenerator = RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .dropout))
        augmentationGenerator = RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .augmentation))
    }
}

/// What one epoch achieved.
public struct EpochRecord: Equatable, Sendable {
    /// 1-based.
    public var epoch: Int
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
    public var imagesPerSecond: Double
    /// With test-time augmentation (`evaluation.tta`): the validation loss and accuracy of the
    /// probabilities averaged over the views; `validationLoss` and `validationAccuracy` stay the
    /// plain network's.
    public var validationLossTTA: Double? = nil
    public var validationAccuracyTTA: Double? = nil

    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("epoch", .number(Double(epoch))), ("step", .number(Double(step))),
            ("trainLoss", .number(trainLoss)), ("trainAccuracy", .number(trainAccuracy))
        ]
        if let validationLoss, let validationAccuracy {
            members += [
                ("validationLoss", .number(validationLoss)), ("validationAccuracy", .number(validationAccuracy))
            ]
        }
        if let validationLossTTA, let validationAccuracyTTA {
            members += [
                ("validationLossTTA", .number(validationLossTTA)),
                ("validationAccuracyTTA", .number(validationAccuracyTTA))
            ]
        }
        members += [
            ("learningRate", .number(learningRate)), ("seconds", .number(seconds)),
            ("imagesPerSecond", .number(imagesPerSecond))
        ]
        return .object(members)
    }
}

/// One rank's generators, as a checkpoint of a multi-rank run stores them.
public struct ReplicaGenerators: Equatable, Sendable {
    public var dropout: RandomGenerator
    public var augmentation: RandomGenerator

    public init(dropout: RandomGenerator, augmentation: RandomGenerator) {
        self.dropout = dropout
        self.augmentation = augmentation
    }
}
