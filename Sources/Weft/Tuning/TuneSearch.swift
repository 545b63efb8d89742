import Foundation

/// A candidate's result at one rung: its folds' validation accuracy, mean and standard deviation.
public struct CandidateScore: Equatable, Sendable {
    public var trial: Int
    public var rung: Int
    public var epochs: Int
    public var parameters: [SearchAssignment]
    /// `[k]` the folds' validation accuracies, in fold order.
    public var accuracies: [Double]
    /// Mean over the folds (0 when a fold failed).
    public var mean: Double
    /// Population standard deviation over the folds (NumPy's `std`, as scikit-learn's `std_test_score`).
    public var standardDeviation: Double
    public var meanLoss: Double
    /// Seconds of all folds together.
    public var seconds: Double
    /// The first fold's failure (divergence), if any.
    public var failure: String?

    init(results: [FoldResult]) {
        let first = results[0]
        trial = first.trial
        rung = first.rung
        epochs = first.epochs
        parameters = first.parameters
        accuracies = results.sorted { $0.fold < $1.fold }.map(\.validationAccuracy)
        failure = results.compactMap(\.failure).first
        let count = Double(results.count)
        let values = accuracies
        let average = failure == nil ? values.reduce(0, +) / count : 0
        mean = average
        standardDeviation =
            failure == nil ? (values.reduce(0) { $0 + ($1 - average) * ($1 - average) } / count).squareRoot() : 0
        meanLoss = results.reduce(0) { $0 + $1.validationLoss } / count
        seconds = results.reduce(0) { $0 + $1.seconds }
    }
}

/// A hyperparameter search with stratified k-fold cross-validation and optional successive
/// halving, in a run folder that makes it resumable.
///
/// The search pool is the config's whole training split (after `data.trainLimit`); the
/// validation fraction is replaced by fold membership and the test split is never evaluated.
/// Each (trial, rung, fold) trains a fresh model on the other folds (normalisation from those
/// folds) for the rung's epochs, with the candidate's full schedule over those epochs, and scores
/// the last epoch's validation accuracy on the held-out fold. Candidates that continue to the
/// next rung are retrained from scratch with more epochs rather than resumed from a checkpoint:
/// every score is then exactly what a fresh run of that budget gives (a cosine schedule ends
/// annealed at each rung), at a cost of about 1.5× a resumed halving for η = 3.
///
/// Every finished fold goes to `tune.jsonl` at once (atomically); a search started again in the
/// same folder skips the recorded folds, and since the candidates, folds and training are
/// deterministic (same seed, same thread count), it ends with the same results as a search that
/// never stopped.
public final class TuneSearch {
    public let spec: TuneSpec
    public let folder: String
    /// Trial `t`'s values are `candidates[t − 1]`.
    public let candidates: [[SearchAssignment]]
    /// Trials refused before training, with the reason.
    public private(set) var invalid: [Int: String] = [:]
    public private(set) var plan: SuccessiveHalving
    public let log: TuneLog
    /// `[k]` the folds: indices into the training images.
    public let folds: [[Int]]
    /// Polled between steps, before the signals; true stops the search after the current step
    /// (the fold is dropped), as the first SIGINT or SIGTERM during `run()` does.
    public var shouldStop: () -> Bool = { false }
    /// Receives the live table's lines.
    public var output: (String) -> Void = { print($0) }
    /// Builds the progress display of each fold's training (by default a `Progress` on stderr).
    public var makeProgress: (_ epochs: Int) -> Progress = { Progress(epochs: $0) }

    private let images: TrainingData
    private var foldData: [Int: TrainingData] = [:]

    /// How `run()` ended.
    public enum Outcome: Equatable {
        case finished(best: CandidateScore)
        case interrupted
    }

    /// Prepares the search in `folder` (which must hold `search.json` or be about to): loads the
    /// data, makes the folds, draws the candidates and validates every one of them.
    public init(spec: TuneSpec, folder: String) throws {
        self.spec = spec
        self.folder = folder
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw WeftError(
                "\(folder): cannot create the search's run folder (\(error.localizedDescription)); check --output and permissions"
            )
        }
        var poolConfig = spec.config
        poolConfig.data.validationFraction = 0
        let images = try TrainingData(config: poolConfig, directoryOverride: spec.dataDirectory)
        self.images = images
        let labels = images.train.labels
        let smallestClass = Dictionary(grouping: images.trainIndices, by: { labels[$0] }).values.map(\.count).min() ?? 0
        guard smallestClass >= spec.folds else {
            throw WeftError(
                "\(spec.source): data.trainLimit: the smallest class has \(smallestClass) training images, too few for \(spec.folds) folds; raise data.trainLimit or lower --folds"
            )
        }
        folds = stratifiedFolds(
            of: images.trainIndices, labels: images.train.labels, folds: spec.folds, seed: spec.seed)
        candidates = try spec.candidates()
        log = try TuneLog(folder: folder)
        plan = spec.plan(candidates: candidates.count)
        try validateCandidates()
    }

    /// The valid trial numbers, ascending.
    public var validTrials: [Int] {
        (1...max(candidates.count, 1)).filter { $0 <= candidates.count && invalid[$0] == nil }
    }

    /// Checks every candidate before anything trains: its config, model shapes against the data,
    /// optimiser and schedule at the full epochs and at every rung's epochs. An invalid candidate
    /// is recorded and skipped; a search with no valid candidate is an error.
    private func validateCandidates() throws {
        var checkedEpochs = Set<Int>()
        repeat {
            plan = spec.plan(candidates: validTrials.count)
            let epochs = Set(plan.rungs.map(\.epochs) + [spec.config.training.epochs]).subtracting(checkedEpochs)
            if epochs.isEmpty { break }
            for trial in validTrials {
                for budget in epochs.sorted(by: >) where invalid[trial] == nil {
                    do {
                        let config = try spec.candidateConfig(candidates[trial - 1], epochs: budget)
                        _ = try TrainingRun(
                            config: config, data: data(fold: 0), source: TuneSpec.describe(candidates[trial - 1]),
                            foldFolder: folder, progress: Progress(epochs: budget))
                    } catch let error as WeftError {
                        let reason =
                            budget == spec.config.training.epochs
                            ? error.message : "at \(budget) epochs (a halving rung): \(error.message)"
                        invalid[trial] = reason
                        try log.recordInvalid(trial: trial, parameters: candidates[trial - 1], reason: reason)
                    }
                }
            }
            checkedEpochs.formUnion(epochs)
        } while true
        guard !validTrials.isEmpty else {
            let first = invalid.keys.min().flatMap { invalid[$0] } ?? "no candidates"
            let hint =
                first.contains("(a halving rung)")
                ? "; give --min-epochs so that the first rung trains long enough, or raise training.epochs" : ""
            throw WeftError("every candidate of the search is invalid, e.g. trial 1: \(first)\(hint)")
        }
    }

    /// The training data of `fold`: the other folds train, this one validates.
    func data(fold: Int) -> TrainingData {
        if let cached = foldData[fold] { return cached }
        let split = crossValidationSplit(folds: folds, fold: fold)
        let given = spec.config.data.normalization
        let data = TrainingData(
            images: images, trainIndices: split.train, validationIndices: split.validation, normalization: given)
        foldData[fold] = data
        return data
    }

    /// The score of `trial` at `rung` once all its folds are recorded (or one failed).
    public func score(trial: Int, rung: Int) -> CandidateScore? {
        let results = (0..<spec.folds).compactMap { log.result(trial: trial, rung: rung, fold: $0) }
        guard results.count == spec.folds || results.contains(where: { $0.failure != nil }), !results.isEmpty else {
            return nil
        }
        return CandidateScore(results: results)
    }

    /// The trials that train at each rung, as far as the recorded results decide them.
    public func trialsByRung() -> [[Int]] {
        var active = validTrials
        var result: [[Int]] = []
        for (index, rung) in plan.rungs.enumerated() {
            result.append(active)
            guard index + 1 < plan.rungs.count else { break }
            let scores = active.compactMap { score(trial: $0, rung: index) }
            guard scores.count == active.count else { break }
            active = SuccessiveHalving.promoted(
                Dictionary(uniqueKeysWithValues: scores.map { ($0.trial, $0.mean) }),
                keep: plan.rungs[index + 1].candidates)
            _ = rung
        }
        return result
    }

    /// Runs (or continues) the search: every rung, candidate and fold not yet in `tune.jsonl`.
    /// Each fold trains as a `TrainingRun` (no checkpoints). The first SIGINT or SIGTERM stops the
    /// search after the current step (see `Interruption`); a second one exits at once.
    public func run() throws -> Outcome {
        Interruption.install()
        for (trial, reason) in invalid.sorted(by: { $0.key < $1.key }) {
            output("trial \(trial) skipped, invalid: \(reason)")
        }
        var active = validTrials
        for (rungIndex, rung) in plan.rungs.enumerated() {
            output(
                TuneTable.rungHeading(
                    rung: rungIndex, of: plan.rungs.count, candidates: active.count, epochs: rung.epochs,
                    folds: spec.folds))
            output(TuneTable.header(keys: spec.space.dimensions.map(\.key)))
            var scores: [CandidateScore] = []
            for trial in active {
                for fold in 0..<spec.folds where log.result(trial: trial, rung: rungIndex, fold: fold) == nil {
                    if score(trial: trial, rung: rungIndex) != nil { break }  // a failed fold ends the candidate
                    if stopRequested() { return .interrupted }
                    guard let result = try train(trial: trial, rung: rungIndex, epochs: rung.epochs, fold: fold) else {
                        return .interrupted
                    }
                    try log.record(result)
                }
                guard let score = score(trial: trial, rung: rungIndex) else { return .interrupted }
                scores.append(score)
                output(TuneTable.row(score, keys: spec.space.dimensions.map(\.key)))
                try writeTable()
            }
            if rungIndex + 1 < plan.rungs.count {
                active = SuccessiveHalving.promoted(
                    Dictionary(uniqueKeysWithValues: scores.map { ($0.trial, $0.mean) }),
                    keep: plan.rungs[rungIndex + 1].candidates)
                output(
                    "rung \(rungIndex + 1): trial\(active.count == 1 ? "" : "s") \(active.map(String.init).joined(separator: ", ")) continue\(active.count == 1 ? "s" : "")"
                )
            }
        }
        guard let best = bestScore() else { return .interrupted }
        try writeTable()
        return .finished(best: best)
    }

    /// Whether `shouldStop` or a signal asks the search to stop.
    private func stopRequested() -> Bool {
        shouldStop() || Interruption.isRequested
    }

    /// The best candidate of the last rung, once it is complete.
    public func bestScore() -> CandidateScore? {
        let rungs = trialsByRung()
        guard rungs.count == plan.rungs.count, let last = rungs.last else { return nil }
        let scores = last.compactMap { score(trial: $0, rung: plan.rungs.count - 1) }
        guard scores.count == last.count else { return nil }
        let order = SuccessiveHalving.ranked(Dictionary(uniqueKeysWithValues: scores.map { ($0.trial, $0.mean) }))
        return scores.first { $0.trial == order.first }
    }

    /// Trains one candidate on one fold; nil when interrupted.
    private func train(trial: Int, rung: Int, epochs: Int, fold: Int) throws -> FoldResult? {
        let parameters = candidates[trial - 1]
        let config = try spec.candidateConfig(parameters, epochs: epochs)
        let runFolder = (folder as NSString).appendingPathComponent("trials/trial-\(trial)/rung-\(rung)-fold-\(fold)")
        try? FileManager.default.removeItem(atPath: runFolder)
        do {
            try FileManager.default.createDirectory(atPath: runFolder, withIntermediateDirectories: true)
        } catch {
            throw WeftError(
                "\(runFolder): cannot create the fold's folder (\(error.localizedDescription)); check free disk space and permissions"
            )
        }
        let progress = makeProgress(epochs)
        if progress.enabled {
            progress.finish(
                with:
                    "trial \(trial) (\(TuneSpec.describe(parameters))), rung \(rung + 1), fold \(fold + 1)/\(spec.folds), \(epochs) epoch\(epochs == 1 ? "" : "s")"
            )
        }
        let run = try TrainingRun(
            config: config, data: data(fold: fold), source: TuneSpec.describe(parameters),
            foldFolder: runFolder, progress: progress)
        run.stopsWhen = { [unowned self] _ in self.stopRequested() }
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            if case .interrupted = try run.run() { return nil }
        } catch let error as WeftError where error.message.hasPrefix("training diverged") {
            return FoldResult(
                trial: trial, rung: rung, fold: fold, epochs: epochs, parameters: parameters, validationAccuracy: 0,
                validationLoss: 0, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                failure: error.message)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let last = run.trainer.state.history.last
        return FoldResult(
            trial: trial, rung: rung, fold: fold, epochs: epochs, parameters: parameters,
            validationAccuracy: last?.validationAccuracy ?? 0, validationLoss: last?.validationLoss ?? 0,
            seconds: seconds)
    }

    /// Every candidate's score at every rung it reached, in rung then trial order.
    public func allScores() -> [CandidateScore] {
        trialsByRung().enumerated().flatMap { rung, trials in trials.compactMap { score(trial: $0, rung: rung) } }
    }

    /// Rewrites `tune.csv`.
    private func writeTable() throws {
        let path = (folder as NSString).appendingPathComponent("tune.csv")
        let text = TuneTable.csv(
            scores: allScores(), keys: spec.space.dimensions.map(\.key), rungs: trialsByRung(),
            best: bestScore()?.trial, invalid: invalid, candidates: candidates)
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// The winner's config, ready to train on the whole training split: the full epochs, the
    /// base config's validation fraction, and `checkpoint.directory` inside the search's folder.
    public func bestConfig(_ best: CandidateScore) throws -> TrainingConfig {
        var config = try spec.candidateConfig(best.parameters)
        config.checkpoint.directory = (folder as NSString).appendingPathComponent("best")
        return config
    }
}
