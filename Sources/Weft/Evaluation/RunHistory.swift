import Foundation

/// A run's per-epoch metrics and its final test result, read from the run folder's
/// `metrics.jsonl` or, when that holds no epoch, from a checkpoint's history.
public struct RunHistory: Sendable {
    /// One record per finished epoch, in order.
    public let epochs: [EpochRecord]
    /// The `{"event": "test"}` record's test loss and accuracy, when the run finished.
    public let testLoss: Double?
    public let testAccuracy: Double?
    /// The test record's `testLossTTA` and `testAccuracyTTA` (with `evaluation.tta`).
    public let testLossTTA: Double?
    public let testAccuracyTTA: Double?
    /// Seconds spent training (the sum of the epochs' times).
    public var trainingSeconds: Double { epochs.reduce(0) { $0 + $1.seconds } }
    /// Where the records came from: the metrics log's path or the checkpoint's.
    public let source: String

    public init(
        epochs: [EpochRecord], testLoss: Double? = nil, testAccuracy: Double? = nil, testLossTTA: Double? = nil,
        testAccuracyTTA: Double? = nil, source: String
    ) {
        self.epochs = epochs
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.testLossTTA = testLossTTA
        self.testAccuracyTTA = testAccuracyTTA
        self.source = source
    }

    /// The history of the run in `folder`: its `metrics.jsonl` when that has epoch records,
    /// otherwise `checkpoint`'s history.
    ///
    /// - Throws: `WeftError` when the log is damaged, or when neither holds a finished epoch.
    public static func load(folder: String, checkpoint: Checkpoint) throws -> RunHistory {
        let log = RunLog(directory: folder)
        var epochs: [EpochRecord] = []
        var testLoss: Double?, testAccuracy: Double?, testLossTTA: Double?, testAccuracyTTA: Double?
        for (index, record) in try log.records().enumerated() {
            func number(_ key: String) -> Double? {
                if case .number(let value)? = record[key] { return value }
                return nil
            }
            if case .string("test")? = record["event"] {
                testLoss = number("testLoss")
                testAccuracy = number("testAccuracy")
                testLossTTA = number("testLossTTA")
                testAccuracyTTA = number("testAccuracyTTA")
                continue
            }
            guard let epoch = number("epoch").flatMap({ Int(exactly: $0) }), epoch >= 0, epoch < 1 << 40,
                let trainLoss = number("trainLoss"), let trainAccuracy = number("trainAccuracy")
            else {
                throw WeftError(
                    "\(log.path) line \(index + 1): an epoch record needs epoch, trainLoss and trainAccuracy; the metrics log is damaged — remove the line or the file (the checkpoint's history is used then)"
                )
            }
            epochs.append(
                EpochRecord(
                    epoch: epoch, step: number("step").flatMap { Int(exactly: $0) } ?? 0, trainLoss: trainLoss,
                    trainAccuracy: trainAccuracy, validationLoss: number("validationLoss"),
                    validationAccuracy: number("validationAccuracy"),
                    learningRate: number("learningRate") ?? .nan, seconds: number("seconds") ?? 0,
                    imagesPerSecond: number("imagesPerSecond") ?? 0, validationLossTTA: number("validationLossTTA"),
                    validationAccuracyTTA: number("validationAccuracyTTA")))
        }
        if !epochs.isEmpty {
            return RunHistory(
                epochs: epochs, testLoss: testLoss, testAccuracy: testAccuracy, testLossTTA: testLossTTA,
                testAccuracyTTA: testAccuracyTTA, source: log.path)
        }
        guard !checkpoint.state.history.isEmpty else {
            throw WeftError(
                "\(folder): the run has no finished epoch (\(FileManager.default.fileExists(atPath: log.path) ? "metrics.jsonl holds none" : "no metrics.jsonl") and \(checkpoint.path) records none); train or resume it for at least one epoch, then report"
            )
        }
        return RunHistory(epochs: checkpoint.state.history, source: checkpoint.path)
    }
}
