import Foundation

/// Why a checkpoint is due: the end of an epoch (and whether its validation accuracy is the best
/// so far), the `checkpoint.everySteps` interval, or a requested stop (a signal).
public enum CheckpointMoment: Equatable, Sendable {
    case epochEnd(isBest: Bool), stepInterval, interrupted
}

/// Writes a run's checkpoints into its folder: a numbered file per checkpoint
/// (`step-00001234.safetensors`, the last `keepLast` kept), `last.safetensors` (always the newest)
/// and `best.safetensors` (the best validation accuracy, when `keepBest`). Every write is atomic.
public final class CheckpointWriter {
    public let folder: String
    public let settings: CheckpointConfig

    /// Also removes temporary files that a killed run left half-written in `folder`, unless
    /// `removingLeftovers` is false (the ranks other than 0 of an MPI run, which write nothing).
    public init(folder: String, settings: CheckpointConfig, removingLeftovers: Bool = true) {
        self.folder = folder
        self.settings = settings
        guard removingLeftovers else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix(".") && name.contains(".safetensors.tmp-") {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
    }

    /// The path of `last.safetensors`.
    public var lastPath: String { (folder as NSString).appendingPathComponent("last.safetensors") }
    /// The path of `best.safetensors`.
    public var bestPath: String { (folder as NSString).appendingPathComponent("best.safetensors") }

    /// Saves `snapshot` as `step-N.safetensors` of its step and as `last.safetensors`, and at the
    /// end of a best epoch as `best.safetensors`.
    public func write(_ snapshot: TrainingSnapshot, moment: CheckpointMoment) throws {
        let bytes = Checkpoint(snapshot: snapshot).file.encoded()
        let name = String(format: "step-%08d.safetensors", snapshot.state.step)
        let numbered = (folder as NSString).appendingPathComponent(name)
        try AtomicFile.write(bytes, to: numbered)
        try AtomicFile.write(bytes, to: lastPath)
        if case .epochEnd(isBest: true) = moment, settings.keepBest {
            try AtomicFile.write(bytes, to: bestPath)
        }
        try prune()
    }

    /// Removes the oldest numbered checkpoints beyond `keepLast`.
    private func prune() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let numbered = names.filter { $0.hasPrefix("step-") && $0.hasSuffix(".safetensors") }.sorted()
        for name in numbered.dropLast(settings.keepLast) {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
    }
}
