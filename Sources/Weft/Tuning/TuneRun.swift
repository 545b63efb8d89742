import Foundation

/// A whole `weft tune` job, as `TrainingRun` is one training's: the search's run folder and its
/// lock, a fresh start or the continuation of an interrupted search, and the files written at
/// the end (`best-config.json`, `tune-report.html`). Each fold of the search is a `TrainingRun`.
public final class TuneRun {
    public let search: TuneSearch
    /// The search's run folder.
    public var folder: String { search.folder }
    /// What the job said while it was prepared (where a previous search was moved, a thread
    /// count that differs from the search's), in order.
    public let notes: [String]
    private var lock: RunFolderLock?

    /// How a search ended.
    public enum Outcome: Equatable {
        /// Every fold of every rung trained: the best candidate, its ready-to-train config and
        /// the report (nil when not written).
        case finished(best: CandidateScore, bestConfig: String, report: String?)
        /// A signal stopped it; every finished fold is in `tune.jsonl`. `resumeCommand` continues it.
        case interrupted(resumeCommand: String, exitStatus: Int32)
    }

    /// A new search of `spec` in `folder`: claims the folder (a previous run there is moved aside)
    /// and stores the spec as `search.json`.
    public init(spec: TuneSpec, folder: String) throws {
        _ = try spec.candidates()
        let claimed = try TuneSearch.prepare(spec: spec, folder: folder)
        lock = claimed.lock
        notes = claimed.previous.map { ["moved the previous run in \(folder) to \($0)"] } ?? []
        search = try TuneSearch(spec: spec, folder: folder)
    }

    /// The search stored in `folder` (its `search.json`), continued after its finished folds, on
    /// `threads` threads and, when given, with the dataset in `dataDirectory`.
    public init(resuming folder: String, threads: Int, dataDirectory: String?) throws {
        var spec = try TuneSpec.load(folder: folder)
        lock = try RunFolderLock(folder: folder, alternative: nil)
        if let dataDirectory { spec.dataDirectory = dataDirectory }
        var notes: [String] = []
        if spec.threads != threads {
            notes.append(
                "note: the search started with --threads \(spec.threads); with \(threads) the new folds' results may differ in the last digits"
            )
        }
        self.notes = notes
        search = try TuneSearch(spec: spec, folder: folder)
    }

    /// Releases the run folder's lock. Idempotent.
    public func release() {
        lock?.release()
        lock = nil
    }

    /// Runs the search to its end or to a signal; writes `best-config.json` when it finished and
    /// `tune-report.html` (as the search stands) when `writesReport`.
    public func run(writesReport: Bool) throws -> Outcome {
        guard case .finished(let best) = try search.run() else {
            if writesReport { _ = try? search.writeReport(bestConfigPath: nil) }
            return .interrupted(resumeCommand: "weft tune --resume \(folder)", exitStatus: Interruption.exitStatus)
        }
        let bestConfig = try search.writeBestConfig(best)
        let report = writesReport ? try search.writeReport(bestConfigPath: bestConfig) : nil
        return .finished(best: best, bestConfig: bestConfig, report: report)
    }
}
