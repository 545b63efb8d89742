import Foundation

/// What `weft resume` will do: the checkpoint, the config it continues with (the saved one with
/// any `--set` overrides), and the config keys that changed. Only `training.epochs` may change
/// freely; any other change needs `force`.
public struct ResumePlan {
    public let checkpoint: Checkpoint
    public let config: TrainingConfig
    /// Config paths whose value differs from the saved config.
    public let changedKeys: [String]
    /// The folder the checkpoint lies in, where the run continues.
    public var folder: String { ResumePlan.folder(containing: checkpoint.path) }

    /// The folder a checkpoint file lies in (`.` for a bare file name).
    public static func folder(containing checkpointPath: String) -> String {
        let folder = (checkpointPath as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Keys that may change on resume without `--force`.
    public static let freelyChangeable: Set<String> = ["training.epochs"]

    public init(checkpointPath: String, overrides: [String], force: Bool) throws {
        checkpoint = try Checkpoint(path: checkpointPath)
        var json = checkpoint.config.json
        for override in overrides { json = try ConfigOverride(override).apply(to: json) }
        config = try TrainingConfig(json: json, source: "\(checkpointPath) (with --set)")
        changedKeys = config.json.differingPaths(from: checkpoint.config.json)
        let refused = changedKeys.filter { !ResumePlan.freelyChangeable.contains($0) }
        if !refused.isEmpty && !force {
            throw WeftError(
                "\(checkpointPath): resuming would change \(refused.joined(separator: ", ")) from the saved config; only training.epochs may change (pass --force to resume with the changed config anyway)"
            )
        }
    }

    /// A one-line warning for changes allowed by `--force`, or nil.
    public var warning: String? {
        let forced = changedKeys.filter { !ResumePlan.freelyChangeable.contains($0) }
        return forced.isEmpty
            ? nil
            : "warning: resuming with a changed config (\(forced.joined(separator: ", "))); the result will differ from an uninterrupted run"
    }

    /// Deletes the numbered checkpoints of steps after this one (a trajectory the resumed run
    /// abandons), so the kept `keepLast` files all belong to the run that continues.
    public func discardLaterCheckpoints() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix("step-") && name.hasSuffix(".safetensors") {
            guard let step = Int(name.dropFirst("step-".count).dropLast(".safetensors".count)),
                step > checkpoint.state.step
            else { continue }
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
    }

    /// Rewrites the run's `metrics.jsonl` to the epochs the checkpoint knows, dropping records of
    /// epochs trained after it was written (they will be trained again).
    public func rewriteMetricsLog() throws {
        let log = RunLog(directory: folder)
        let text = checkpoint.state.history.map { $0.json.serialized(pretty: false) + "\n" }.joined()
        try AtomicFile.write(Array(text.utf8), to: log.path)
    }
}
