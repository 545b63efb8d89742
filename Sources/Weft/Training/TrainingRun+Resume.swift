import Foundation

/// Resuming a run from a checkpoint, with `weft resume`'s policy: the folder is locked before the
/// checkpoint is read, the thread count defaults to the run's, changed rank and thread counts and
/// forced config changes are warned about, and the folder is brought back to the checkpoint's
/// moment (its metrics rewritten, later numbered checkpoints discarded).
extension TrainingRun {
    /// A run that continues `checkpointPath` in the checkpoint's folder, exactly where it stopped.
    ///
    /// In order: rank 0 locks the folder (a missing checkpoint is left to `ResumePlan`'s message)
    /// before any rank reads the checkpoint, since a run still writing there could otherwise
    /// replace it after it was read; the checkpoint and `overrides` make a `ResumePlan` (only
    /// `training.epochs` may change unless `force`); the engine's thread count is set to
    /// `threads`, by default the count the run used (bit-exact results need it); the data is
    /// loaded with the saved normalisation; the trainer is built and restored. Then the notes
    /// (printed through the progress display): a rank count other than the run's, a forced config
    /// change, a thread count other than the run's. Last, rank 0 rewrites `metrics.jsonl` to the
    /// checkpoint's epochs and deletes the numbered checkpoints of later steps.
    /// - Parameters:
    ///   - checkpointPath: a checkpoint written by `weft train` (or `weft import`).
    ///   - overrides: `--set` assignments, e.g. `training.epochs=20`.
    ///   - force: resume even though the overrides change keys other than `training.epochs`.
    ///   - threads: the engine's thread count; nil for the checkpoint's.
    ///   - dataDirectory: replaces the config's `data.directory` (`--data-dir`).
    ///   - communicator: the MPI job this process is a rank of; nil to train alone.
    ///   - progress: the progress display (default: a `Progress` on stderr).
    public convenience init(
        resuming checkpointPath: String, overrides: [String] = [], force: Bool = false,
        threads: Int? = nil, dataDirectory: String? = nil, communicator: Communicator? = nil,
        progress: Progress? = nil
    ) throws {
        var lock: RunFolderLock?
        if (communicator?.rank ?? 0) == 0, FileManager.default.fileExists(atPath: checkpointPath) {
            lock = try RunFolderLock(
                folder: ResumePlan.folder(containing: checkpointPath),
                alternative: "resume a copy of the checkpoint in another folder")
        }
        try communicator?.barrier()
        let plan = try ResumePlan(checkpointPath: checkpointPath, overrides: overrides, force: force)
        let threadCount = threads ?? plan.checkpoint.threads
        Parallel.setThreadCount(threadCount)
        let data = try TrainingData(
            config: plan.config, directoryOverride: dataDirectory,
            normalization: plan.checkpoint.normalization)
        let trainer = try Trainer(
            config: plan.config, data: data, source: checkpointPath, runFolder: plan.folder,
            progress: progress, communicator: communicator)
        try trainer.restore(from: plan.checkpoint.snapshot, source: plan.checkpoint.path)
        var notes: [String] = []
        let savedRanks = max(plan.checkpoint.state.replicaGenerators.count, 1), ranks = communicator?.size ?? 1
        if savedRanks != ranks {
            notes.append(
                "warning: the run trained on \(savedRanks) rank\(savedRanks == 1 ? "" : "s") and resumes on \(ranks); it continues correctly but not bit-identically to an uninterrupted run"
            )
        }
        if let warning = plan.warning { notes.append(warning) }
        if let note = trainer.precisionNote { notes.append(note) }
        if threadCount != plan.checkpoint.threads {
            notes.append(
                "warning: the run used \(plan.checkpoint.threads) threads and resumes on \(threadCount); results will not be bit-identical to an uninterrupted run"
            )
        }
        for note in notes { trainer.progress.finish(with: note) }
        if trainer.isLeader {
            try plan.rewriteMetricsLog()
            try plan.discardLaterCheckpoints()
        }
        self.init(
            trainer: trainer, folder: plan.folder, lock: lock, checkpoints: true, handlesSignals: true,
            notes: notes)
        startCheckpoint = plan.checkpoint.path
    }
}
