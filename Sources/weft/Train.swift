import ArgumentParser
import Foundation
import Weft

/// `weft train CONFIG`: train a model from a JSON config.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model from a JSON config.",
        discussion: """
            Shows progress on stderr, one summary line per epoch, and the test accuracy at the end. \
            The run folder (checkpoint.directory, by default Models/<name>/) receives the resolved \
            config.json and metrics.jsonl (one JSON object per epoch; the last holds the test \
            accuracy) and the checkpoints (last.safetensors, best.safetensors, step-N.safetensors). \
            A previous run in that folder is moved aside to <folder>.1, .2, ... \
            One process at a time owns a run folder (weft.lock inside it, released when the \
            process ends, even by kill -9): a second train or resume into a folder in use is \
            refused, naming the pid that holds it. \
            Ctrl-C (or SIGTERM) finishes the current step, saves a checkpoint and prints the \
            `weft resume` command; a second Ctrl-C exits at once. A finished run also gets \
            report.html (see weft report) unless --no-report is given; while it trains, report.html \
            shows the curves of the epochs so far, rewritten after every epoch. With \
            training.ema, validation, the test and the checkpoints' inference weights are the \
            moving average of the weights.

            Examples:
              weft train Configs/cnn-bn.json
              weft train Configs/quick.json --set training.epochs=1 --threads 2
              weft train Configs/mlp.json --data-dir ~/datasets/fashion-mnist
              weft train Configs/digits-finetune.json --init-from Models/cnn-bn

            Data-parallel on several processes or machines (MPI; see the README):
              mpirun -np 2 weft train Configs/cnn-bn.json --threads 1
            Each rank trains its shard of every global batch (training.batchSize); rank 0 \
            alone prints and writes; --threads is per rank. A rank that does not answer within \
            --rank-timeout seconds ends the job with a line naming it and the resume command.
            """
    )

    @Argument(help: "A JSON config, e.g. Configs/cnn-bn.json.")
    var file: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set training.epochs=3 (repeatable).")
    var overrides: [String] = []

    @Option(help: "The dataset folder (overrides data.directory).")
    var dataDir: String?

    @Option(
        help: ArgumentHelp(
            "Fine-tune: start from this checkpoint's (or run folder's last/best checkpoint's) parameters and buffers wherever name and shape match the config's model; the others keep their seeded initial values. Recorded in the run folder's initial-weights.json; weft resume does not apply it again.",
            valueName: "checkpoint"))
    var initFrom: String?

    @OptionGroup var threading: ThreadsOption

    @Flag(help: "Do not write report.html (weft report) into the run folder when the run finishes.")
    var noReport = false

    @OptionGroup var rankTimeout: RankTimeoutOption

    @Flag(help: .hidden)
    var checkReplicas = false

    @Flag(
        help: ArgumentHelp(
            "On several MPI ranks: wait at a barrier before each gradient allreduce, so the epoch line shows the transfer and the waiting for the slowest rank apart (costs one more network latency per step)."
        ))
    var timeAllreduce = false

    func run() throws {
        let communicator = try startMPIIfLaunched(rankTimeout: rankTimeout)
        try reportingErrors(communicator) {
            threading.apply()
            let config = try TrainingConfig.load(path: file, overrides: overrides)
            let data = try loadTrainingData(config, directoryOverride: dataDir)
            let run = try TrainingRun(
                config: config, data: data, source: file, initialWeights: initFrom, communicator: communicator)
            defer { run.release() }
            run.checksReplicas = checkReplicas
            run.separatesAllreduceWaiting = timeAllreduce
            let parameters = run.trainer.parameters.reduce(0) { $0 + $1.tensor.count }
            let ranks =
                run.imagesPerRank.map { images -> String in
                    let shares =
                        images.lowerBound == images.upperBound
                        ? "\(images.upperBound)" : "\(images.lowerBound)–\(images.upperBound)"
                    return ", \(run.ranks) rank\(run.ranks == 1 ? "" : "s") (MPI), \(shares) images per rank and step"
                } ?? ""
            run.progress.finish(
                with:
                    "\(config.name): \(parameters) parameters, \(data.trainIndices.count) training / \(data.validationIndices.count) validation / \(data.testIndices.count) test images, \(threading.threads) thread\(threading.threads == 1 ? "" : "s")\(communicator == nil ? "" : " per rank")\(ranks)"
            )
            if !noReport && run.isLeader { writeLiveReports(of: run) }
            try run.printOutcome(try run.run())
            if !noReport && run.isLeader { writeFinishedRunReport(folder: run.folder, dataDirectory: dataDir) }
        }
    }
}
