import ArgumentParser
import Foundation
import Weft

/// `weft resume CHECKPOINT`: continue an interrupted or finished run exactly where it stopped.
struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue training from a checkpoint, exactly where it stopped.",
        discussion: """
            Everything comes from the checkpoint: config, weights, optimiser state, position in \
            the epoch, random generators and metric history. With the same thread count the \
            result is bit-identical to a run that never stopped. The run continues in the \
            checkpoint's folder and appends to its metrics.jsonl; while another process (a run \
            still training there) owns that folder, resume is refused, naming its pid.

            --set training.epochs=N extends (or shortens) the run; with a cosine or one-cycle \
            schedule the learning rate then follows the new length. Any other change is refused \
            unless --force is given.

            Examples:
              weft resume Models/cnn-bn/last.safetensors
              weft resume Models/cnn-bn/last.safetensors --set training.epochs=20
              mpirun -np 2 weft resume Models/cnn-bn/last.safetensors --threads 1

            A checkpoint of a run on K MPI ranks resumes bit-exactly on K ranks (and the same \
            threads per rank); on another rank count it continues correctly but not bit-identically. \
            Every rank reads the checkpoint, so on several machines its folder must be shared.
            """
    )

    @Argument(help: "A checkpoint written by weft train, e.g. Models/cnn-bn/last.safetensors.")
    var checkpoint: String

    @Option(name: .customLong("set"), help: "Change a config value, e.g. --set training.epochs=20 (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Resume even though the config changed in keys other than training.epochs.")
    var force = false

    @Option(help: "The dataset folder (overrides data.directory).")
    var dataDir: String?

    @Option(help: "Threads for the engine and OpenBLAS (default: the count the run used, for bit-exact results).")
    var threads: Int?

    @Flag(help: .hidden)
    var checkReplicas = false

    func validate() throws {
        if let threads, !(1...Parallel.maximumThreadCount).contains(threads) { throw ValidationError("--threads must be from 1 to \(Parallel.maximumThreadCount), got \(threads)") }
    }

    func run() throws {
        let communicator = try startMPIIfLaunched()
        try reportingErrors(communicator) {
            // Rank 0 takes the run folder before any rank reads the checkpoint: a run still writing
            // there could otherwise replace it after it was read. A missing checkpoint is left to
            // ResumePlan's message.
            let folder = ResumePlan.folder(containing: checkpoint)
            var lock: RunFolderLock?
            defer { lock?.release() }
            if communicator.map({ $0.rank == 0 }) ?? true, FileManager.default.fileExists(atPath: checkpoint) {
                lock = try RunFolderLock(folder: folder,
                                         alternative: "resume a copy of the checkpoint in another folder")
            }
            try communicator?.barrier()
            let plan = try ResumePlan(checkpointPath: checkpoint, overrides: overrides, force: force)
            let threadCount = threads ?? plan.checkpoint.threads
            Parallel.setThreadCount(threadCount)
            let data = try TrainingData(config: plan.config, directoryOverride: dataDir, normalization: plan.checkpoint.normalization)
            let trainer = try Trainer(config: plan.config, data: data, source: checkpoint, runFolder: plan.folder,
                                      communicator: communicator)
            try plan.checkpoint.restore(into: trainer)
            let savedRanks = max(plan.checkpoint.state.replicaGenerators.count, 1), ranks = communicator?.size ?? 1
            if savedRanks != ranks {
                trainer.progress.finish(with: "warning: the run trained on \(savedRanks) rank\(savedRanks == 1 ? "" : "s") and resumes on \(ranks); it continues correctly but not bit-identically to an uninterrupted run")
            }
            if let warning = plan.warning { trainer.progress.finish(with: warning) }
            if threadCount != plan.checkpoint.threads {
                trainer.progress.finish(with: "warning: the run used \(plan.checkpoint.threads) threads and resumes on \(threadCount); results will not be bit-identical to an uninterrupted run")
            }
            if trainer.isLeader {
                try plan.rewriteMetricsLog()
                try plan.discardLaterCheckpoints()
            }
            let state = trainer.state
            trainer.progress.finish(with: "resuming \(plan.config.name) at epoch \(state.epoch + 1), batch \(state.batchInEpoch), step \(state.step) in \(plan.folder)")
            try runWithCheckpoints(trainer, folder: plan.folder, checkReplicas: checkReplicas)
        }
    }
}
