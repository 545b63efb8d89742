import ArgumentParser
import Foundation
import Weft

/// `weft tune CONFIG --search FILE | --grid KEY=[...]`: hyperparameter search with stratified
/// k-fold cross-validation and optional successive halving; `--resume RUN_FOLDER` continues one.
struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search hyperparameters with stratified k-fold cross-validation (and successive halving).",
        discussion: """
            Every key is a config path (training.optimizer.learningRate, model.layers[0].filters, \
            training.batchSize, data.augment.horizontalFlip); its values are a list, or a range \
            {"min": 1e-4, "max": 1e-1, "log": true} (add "integer": true for whole numbers) for a \
            random search. A search file is a JSON object of such keys; --grid KEY=[v1,v2,...] \
            adds one (repeatable). Without --trials the candidates are the full grid of the lists; \
            with --trials N, N candidates are drawn (lists uniformly, ranges on their scale), \
            seeded by --seed.

            Each candidate trains on K-1 folds of the training split and is scored by the mean \
            validation accuracy on the held-out fold (the test split is never used; \
            data.validationFraction is replaced by the folds). --halving trains every candidate \
            a few epochs (at least --min-epochs) and lets the best 1/eta continue with eta times \
            the epochs, up to training.epochs (each rung trains afresh). Every candidate is validated first; \
            invalid ones are reported and skipped.

            The run folder (--output, by default checkpoint.directory + "-tune") receives \
            search.json, tune.jsonl (every finished fold, written atomically), tune.csv, \
            best-config.json (the winner, ready for weft train) and tune-report.html. \
            Ctrl-C stops after the current step; weft tune --resume RUN_FOLDER skips every \
            finished fold and ends with the same results. One process at a time owns a run \
            folder: a second search (or --resume) into a folder in use is refused, naming its pid.

            Examples:
              weft tune Configs/cnn-bn.json --search search.json --folds 3 --halving
              weft tune Configs/quick.json --grid training.batchSize=[32,64] --set training.epochs=1
              weft tune --resume Models/quick-tune
            """
    )

    @Argument(help: "The base JSON config, e.g. Configs/cnn-bn.json (not with --resume).")
    var file: String?

    @Option(help: "A JSON search file: {\"config.key\": [values] or {\"min\": a, \"max\": b, \"log\": true}}.")
    var search: String?

    @Option(
        name: .customLong("grid"),
        help: "A searched key and its values, e.g. --grid training.batchSize=[64,128] (repeatable).")
    var grids: [String] = []

    @Option(help: "Draw this many random candidates instead of the full grid.")
    var trials: Int?

    @Option(help: "K of the stratified K-fold cross-validation.")
    var folds = 3

    @Option(help: "Seeds the folds and the random trials (default: the config's training.seed).")
    var seed: Int?

    @Flag(help: "Successive halving: all candidates train a few epochs, the best 1/eta continue.")
    var halving = false

    @Option(help: "Successive halving's reduction factor.")
    var eta = 3

    @Option(help: "The fewest epochs a halving rung trains (e.g. more than the schedule's warm-up).")
    var minEpochs = 1

    @Option(
        name: .customLong("set"), help: "Override a base config value, e.g. --set data.trainLimit=6000 (repeatable).")
    var overrides: [String] = []

    @Option(help: "The dataset folder (overrides data.directory).")
    var dataDir: String?

    @Option(help: "The search's run folder (default: the config's checkpoint.directory + \"-tune\").")
    var output: String?

    @Option(help: "Continue the search in this run folder (it holds search.json and tune.jsonl).")
    var resume: String?

    @OptionGroup var threading: ThreadsOption

    @Flag(help: "Do not write tune-report.html.")
    var noReport = false

    func validate() throws {
        if resume != nil {
            guard file == nil, search == nil, grids.isEmpty, trials == nil, seed == nil, !halving, overrides.isEmpty,
                output == nil,
                minEpochs == 1, eta == 3, folds == 3
            else {
                throw ValidationError(
                    "--resume takes the search as it was started; give only --resume RUN_FOLDER (and --threads, --data-dir)"
                )
            }
        } else {
            guard file != nil else {
                throw ValidationError("give a config file (weft tune CONFIG --search FILE) or --resume RUN_FOLDER")
            }
            guard search != nil || !grids.isEmpty else {
                throw ValidationError("nothing to search: give --search FILE or --grid KEY=[v1,v2,...]")
            }
        }
        if let seed, seed < 0 { throw ValidationError("--seed must not be negative, got \(seed)") }
    }

    func run() throws {
        try reportingErrors {
            threading.apply()
            let job: TuneRun
            if let resume {
                job = try TuneRun(resuming: resume, threads: threading.threads, dataDirectory: dataDir)
            } else {
                guard let file else { return }
                let config = try TrainingConfig.load(path: file, overrides: overrides)
                var space = SearchSpace(dimensions: [])
                if let search { space = try SearchSpace.load(path: search) }
                space = try space.merged(with: SearchSpace(gridOptions: grids))
                let spec = try TuneSpec(
                    source: file, config: config, space: space, folds: folds, trials: trials,
                    seed: seed.map(UInt64.init) ?? config.training.seed, halving: halving, eta: eta,
                    minimumEpochs: minEpochs, dataDirectory: dataDir, threads: threading.threads)
                job = try TuneRun(spec: spec, folder: output ?? config.checkpoint.directory + "-tune")
            }
            defer { job.release() }
            for note in job.notes { FileHandle.standardError.write(Data((note + "\n").utf8)) }
            let search = job.search, spec = search.spec
            let plan = search.plan.rungs.map { "\($0.candidates)×\($0.epochs) epoch\($0.epochs == 1 ? "" : "s")" }
                .joined(separator: " → ")
            print(
                "\(spec.config.name): \(search.candidates.count) candidate\(search.candidates.count == 1 ? "" : "s") (\(search.invalid.count) invalid), \(spec.folds) folds of \(search.folds.map(\.count).reduce(0, +)) training images, rungs \(plan), \(threading.threads) thread\(threading.threads == 1 ? "" : "s"); run folder \(job.folder)"
            )
            setvbuf(stdout, nil, _IOLBF, 0)
            switch try job.run(writesReport: !noReport) {
            case let .interrupted(resumeCommand, exitStatus):
                FileHandle.standardError.write(
                    Data(
                        "interrupted: every finished fold is saved in \(job.folder)/tune.jsonl\nresume with: \(resumeCommand)\n"
                            .utf8))
                throw ExitCode(exitStatus)
            case let .finished(best, bestConfig, report):
                print(
                    String(
                        format:
                            "\nbest: trial %d (%@): validation accuracy %.2f%% ± %.2f%% over %d folds at %d epoch%@",
                        best.trial, TuneSpec.describe(best.parameters), 100 * best.mean,
                        100 * best.standardDeviation, spec.folds, best.epochs, best.epochs == 1 ? "" : "s"))
                print("results: \(job.folder)/tune.csv, \(job.folder)/tune.jsonl" + (report.map { ", \($0)" } ?? ""))
                print("train it on the whole training split and test it: weft train \(bestConfig)")
            }
        }
    }
}
