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

    @OptionGroup var rankTimeout: RankTimeoutOption

    @Flag(help: .hidden)
    var checkReplicas = false

    @Flag(
        help:
            "Do not rewrite report.html (the curves so far) after every epoch, nor write the full report (weft report) when the run finishes."
    )
    var noReport = false

    func validate() throws {
        if let threads, !(1...Parallel.maximumThreadCount).contains(threads) {
            throw ValidationError("--threads must be from 1 to \(Parallel.maximumThreadCount), got \(threads)")
        }
    }

    func run() throws {
        let communicator = try startMPIIfLaunched(rankTimeout: rankTimeout)
        try reportingErrors(communicator) {
            let run = try TrainingRun(
                resuming: checkpoint, overrides: overrides, force: force, threads: threads,
                dataDirectory: dataDir, communicator: communicator)
            defer { run.release() }
            run.checksReplicas = checkReplicas
            let state = run.trainer.state
            run.progress.finish(
                with:
                    "resuming \(run.trainer.config.name) at epoch \(state.epoch + 1), batch \(state.batchInEpoch), step \(state.step) in \(run.folder)"
            )
            if !noReport && run.isLeader { writeLiveReports(of: run) }
            try run.printOutcome(try run.run())
            if !noReport && run.isLeader { writeFinishedRunReport(folder: run.folder, dataDirectory: dataDir) }
        }
    }
}
