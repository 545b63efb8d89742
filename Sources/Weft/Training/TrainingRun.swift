import Foundation

/// A whole training job as `weft train`, `weft resume` and `weft tune` run it: a `Trainer` and
/// everything around its loop (the run folder and its lock, the checkpoints, Ctrl-C and SIGTERM,
/// the resume policy), run by `run()` to an `Outcome`.
///
/// - A fresh run (`init(config:data:source:communicator:progress:)`) claims
///   `checkpoint.directory` (`RunFolder.prepareFresh`: locked, a previous run there moved aside)
///   and writes the resolved `config.json` into it.
/// - A resumed run (`init(resuming:...)`, in `TrainingRun+Resume.swift`) locks the checkpoint's
///   folder, restores the checkpoint and continues there.
/// - A fold of `weft tune` (`init(config:data:source:foldFolder:progress:)`) writes only its
///   `metrics.jsonl`, into a folder its search owns.
///
/// The checkpoints are written from the trainer's `TrainingSnapshot` by a `CheckpointWriter`
/// (`last.safetensors`, `best.safetensors`, `step-N.safetensors`). The first SIGINT or SIGTERM
/// during `run()` stops the run after the current step with a checkpoint (see `Interruption`).
///
/// In a data-parallel job every rank makes its run with the job's `communicator`; rank 0 alone
/// takes the lock, writes and prints. The lock is held until `release()` or until the run is freed.
public final class TrainingRun {
    public let trainer: Trainer
    /// The run folder: `config.json`, `metrics.jsonl` and the checkpoints.
    public let folder: String
    /// What the run said while it was prepared (where a previous run was moved, resume warnings),
    /// in order; each was printed through `progress` as it happened.
    public let notes: [String]
    /// Polled after every step with the training state, before the signals; true stops the run
    /// as a signal does (after that step, with a checkpoint). Tests stop runs at a chosen step.
    public var stopsWhen: (TrainingState) -> Bool = { _ in false }
    /// Called on rank 0 after each finished epoch with the training state (the epoch's record is
    /// the last of its history): `weft train` and `weft resume` rewrite the live report there.
    public var afterEpoch: ((TrainingState) -> Void)? {
        get { trainer.onEpochEnd }
        set { trainer.onEpochEnd = newValue }
    }

    private let writer: CheckpointWriter?
    private var lock: RunFolderLock?
    /// Whether `run()` installs the SIGINT and SIGTERM handler (not for a fold of a search,
    /// whose search handles the signals).
    private let handlesSignals: Bool

    /// How a run ended.
    public enum Outcome: Equatable, Sendable {
        /// Every configured epoch trained; the test split's result (0 images for a fold).
        case finished(test: EvaluationResult)
        /// Early stopping ended the run; the test split's result.
        case earlyStopped(test: EvaluationResult)
        /// A signal or `stopsWhen` stopped the run after a step.
        case interrupted(Interrupted)
    }

    /// Where an interrupted run stopped, the checkpoint it wrote and how to continue it.
    public struct Interrupted: Equatable, Sendable {
        /// The epoch under way (1-based) and the steps taken.
        public var epoch: Int
        public var step: Int
        /// `last.safetensors`, written at the stop; nil for a fold of a search (no checkpoints).
        public var checkpoint: String?
        /// The command that continues the run (`weft resume CHECKPOINT`, under `mpirun -np K`
        /// for K ranks); nil without a checkpoint.
        public var resumeCommand: String?
        /// 128 + the number of the signal that stopped the run (130 when none did).
        public var exitStatus: Int32

        public init(epoch: Int, step: Int, checkpoint: String?, resumeCommand: String?, exitStatus: Int32) {
            self.epoch = epoch
            self.step = step
            self.checkpoint = checkpoint
            self.resumeCommand = resumeCommand
            self.exitStatus = exitStatus
        }

        /// The lines that say so: `interrupted at epoch E, step S: saved CHECKPOINT` and
        /// `resume with: COMMAND`.
        public var message: [String] {
            ["interrupted at epoch \(epoch), step \(step)" + (checkpoint.map { ": saved \($0)" } ?? "")]
                + (resumeCommand.map { ["resume with: \($0)"] } ?? [])
        }
    }

    init(
        trainer: Trainer, folder: String, lock: RunFolderLock?, checkpoints: Bool, handlesSignals: Bool,
        notes: [String]
    ) {
        self.trainer = trainer
        self.folder = folder
        self.lock = lock
        self.handlesSignals = handlesSignals
        self.notes = notes
        writer =
            checkpoints
            ? CheckpointWriter(folder: folder, settings: trainer.config.checkpoint, removingLeftovers: trainer.isLeader)
            : nil
    }

    /// A new run of `config` in its `checkpoint.directory`. The trainer is built (and the config
    /// checked against the data) and, to fine-tune, the initial weights are copied in before the
    /// folder is touched; then rank 0 claims the folder (locked; a previous run there moved aside
    /// to `<folder>.1`, ..., which is noted) and writes `config.json` (and
    /// `initial-weights.json`).
    /// - Parameters:
    ///   - source: the config's file, named in errors.
    ///   - initialWeights: a checkpoint or run folder whose tensors of matching name and shape
    ///     replace the seeded initial values (`InitialWeights`; what was copied and what was
    ///     left is noted); nil: train from the seeded initialisation.
    ///   - communicator: the MPI job this process is a rank of; nil to train alone.
    ///   - progress: the progress display (default: a `Progress` on stderr).
    public convenience init(
        config: TrainingConfig, data: TrainingData, source: String, initialWeights: String? = nil,
        communicator: Communicator? = nil, progress: Progress? = nil
    ) throws {
        let trainer = try Trainer(
            config: config, data: data, source: source, progress: progress,
            communicator: communicator)
        // Every rank copies them: rank 0 broadcasts its weights before the first step anyway.
        let initial = try initialWeights.map {
            try InitialWeights(loading: $0, into: trainer.parameters + trainer.model.buffers)
        }
        // The moving average starts from the weights the run starts from.
        if initial != nil { trainer.averaging?.copySources() }
        let folder = RunFolder(path: config.checkpoint.directory)
        var lock: RunFolderLock?
        var notes: [String] = []
        if trainer.isLeader {
            let claimed = try folder.prepareFresh()
            lock = claimed.lock
            if let previous = claimed.previous {
                notes.append("moved the previous run in \(folder.path) to \(previous)")
                trainer.progress.finish(with: notes[notes.count - 1])
            }
            try folder.writeConfig(config)
            var lines = initial?.lines ?? []
            if let initial { try folder.writeInitialWeights(initial) }
            if !trainer.frozen.isEmpty {
                let values = trainer.parameters.filter { trainer.frozen.names.contains($0.name) }
                    .reduce(0) { $0 + $1.tensor.count }
                lines.append(
                    "frozen (training.freeze): \(trainer.frozen.names.joined(separator: ", ")) (\(values) values)")
            }
            if let note = trainer.precisionNote { lines.append(note) }
            notes += lines
            for line in lines { trainer.progress.finish(with: line) }
        }
        self.init(
            trainer: trainer, folder: folder.path, lock: lock, checkpoints: true, handlesSignals: true,
            notes: notes)
        self.initialWeights = initial
    }

    /// Where a fresh fine-tuning run's initial weights came from and what was copied; nil for a
    /// run from the seeded initialisation, a resumed run and a fold of a search.
    public private(set) var initialWeights: InitialWeights?

    /// One fold of a search: a new run of `config` that writes only its `metrics.jsonl`, into
    /// `foldFolder`, which its caller owns (no lock, no `config.json`, no checkpoints), and that
    /// leaves the signals to its caller: only `stopsWhen` stops it.
    public convenience init(
        config: TrainingConfig, data: TrainingData, source: String, foldFolder: String,
        progress: Progress? = nil
    ) throws {
        let trainer = try Trainer(config: config, data: data, source: source, runFolder: foldFolder, progress: progress)
        self.init(trainer: trainer, folder: foldFolder, lock: nil, checkpoints: false, handlesSignals: false, notes: [])
    }

    deinit {
        release()
    }

    /// The progress display the run prints through (muted on the ranks other than 0).
    public var progress: Progress { trainer.progress }
    /// Whether this process prints and writes: always, except on the ranks other than 0.
    public var isLeader: Bool { trainer.isLeader }
    /// The ranks training together (1 without MPI).
    public var ranks: Int { trainer.replicas.size }

    /// The fewest and the most images of each global batch a rank trains; nil without MPI.
    public var imagesPerRank: ClosedRange<Int>? {
        let replicas = trainer.replicas
        return replicas.isDataParallel
            ? ReplicaGroup.shardSizes(batchSize: trainer.config.training.batchSize, ranks: replicas.size) : nil
    }

    /// Whether every step checks that all ranks hold bit-identical weights, buffers and optimiser
    /// state (`ReplicaGroup.checksReplicas`); false and ignored without MPI.
    public var checksReplicas: Bool {
        get { trainer.replicas.checksReplicas }
        set { trainer.replicas.checksReplicas = newValue && trainer.replicas.isDataParallel }
    }

    /// Whether each step waits at a barrier before the gradient allreduce, so that the epoch line
    /// shows the transfer and the waiting apart (`ReplicaGroup.separatesWaiting`).
    public var separatesAllreduceWaiting: Bool {
        get { trainer.replicas.separatesWaiting }
        set { trainer.replicas.separatesWaiting = newValue && trainer.replicas.isDataParallel }
    }

    /// The path of `last.safetensors` (the newest checkpoint); nil for a fold of a search.
    public var lastCheckpoint: String? { writer?.lastPath }
    /// The checkpoint a resumed run started from.
    public internal(set) var startCheckpoint: String?
    /// The path of `best.safetensors` when that file exists.
    public var bestCheckpoint: String? {
        writer.map(\.bestPath).flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    }

    /// Releases the run folder's lock (rank 0 of a fresh or resumed run holds it). Idempotent.
    public func release() {
        lock?.release()
        lock = nil
    }

    /// Trains to the end: every epoch, until early stopping, or until a signal or `stopsWhen`
    /// stops it after a step. Rank 0 writes the checkpoints the config asks for and one at a stop;
    /// every rank takes part in gathering them.
    public func run() throws -> Outcome {
        if let writer, trainer.isLeader {
            trainer.onCheckpoint = { snapshot, moment in try writer.write(snapshot, moment: moment) }
        }
        if handlesSignals { Interruption.install() }
        trainer.shouldStop = { [weak self] in
            guard let self else { return false }
            return self.stopsWhen(self.trainer.state) || (self.handlesSignals && Interruption.isRequested)
        }
        let outcome: Trainer.Outcome
        do {
            outcome = try trainer.train()
        } catch var timeout as RankTimeout {
            timeout.position = "step \(trainer.state.step + 1) (epoch \(trainer.state.epoch + 1))"
            timeout.knowsCheckpoints = true
            timeout.lastCheckpoint = trainer.checkpointsMade > 0 ? lastCheckpoint : startCheckpoint
            timeout.resumeCommand = timeout.lastCheckpoint.map { "mpirun -np \(ranks) weft resume \($0)" }
            throw timeout
        }
        switch outcome {
        case .finished(let test):
            return .finished(test: test)
        case .earlyStopped(let test):
            return .earlyStopped(test: test)
        case .interrupted:
            let command = lastCheckpoint.map { "\(ranks > 1 ? "mpirun -np \(ranks) weft" : "weft") resume \($0)" }
            return .interrupted(
                Interrupted(
                    epoch: trainer.state.epoch + 1, step: trainer.state.step,
                    checkpoint: lastCheckpoint, resumeCommand: command,
                    exitStatus: Interruption.exitStatus))
        }
    }
}
