/// The rungs of a successive-halving search: how many candidates train at each rung and for how
/// many epochs. All candidates start with a small budget; after each rung the best `1/η`
/// (rounded up) continue with `η` times the epochs, until one candidate is left or the budget
/// reaches the config's epochs, as scikit-learn's `HalvingGridSearchCV` (resource: epochs,
/// `factor` = η) and Hyperband's inner loop do.
///
/// With `n` candidates, `E` epochs and a minimum of `m` epochs: the candidate counts are
/// `n, ⌈n/η⌉, ⌈⌈n/η⌉/η⌉, …` down to 1; the rungs are as many of them as the budget allows
/// (`⌊E/η^k⌋ ≥ m`); rung `r` of `R` trains `max(m, ⌊E / η^(R−1−r)⌋)` epochs, so the last rung
/// trains the full `E`. A search without halving is one rung: every candidate, `E` epochs.
public struct SuccessiveHalving: Equatable, Sendable {
    /// One rung: the number of candidates that train in it and their epochs.
    public struct Rung: Equatable, Sendable {
        public var candidates: Int
        public var epochs: Int

        public init(candidates: Int, epochs: Int) {
            self.candidates = candidates
            self.epochs = epochs
        }
    }

    public let rungs: [Rung]

    /// The plan for `candidates` candidates and `epochs` epochs with reduction factor `eta` (≥ 2)
    /// and at least `minimumEpochs` epochs a rung (`--min-epochs`, e.g. more than a warm-up);
    /// `halving` false gives one full rung.
    public init(candidates: Int, epochs: Int, eta: Int, halving: Bool, minimumEpochs: Int = 1) {
        precondition(
            eta >= 2 && epochs >= 1 && minimumEpochs >= 1,
            "SuccessiveHalving: eta must be at least 2 and the epochs at least 1")
        guard halving, candidates > 1 else {
            rungs = [Rung(candidates: max(candidates, 0), epochs: epochs)]
            return
        }
        var counts = [candidates]
        while let last = counts.last, last > 1 { counts.append((last + eta - 1) / eta) }
        var budgetRungs = 1, budget = epochs
        while budget / eta >= minimumEpochs { budget /= eta; budgetRungs += 1 }
        let count = min(counts.count, budgetRungs)
        rungs = (0..<count).map { rung in
            var divisor = 1
            for _ in 0..<(count - 1 - rung) { divisor *= eta }
            return Rung(candidates: counts[rung], epochs: max(minimumEpochs, epochs / divisor))
        }
    }

    /// The candidates that continue after a rung: the best `keep` by score (higher is better;
    /// ties go to the earlier trial), in trial order.
    /// - Parameters:
    ///   - scores: trial number → score (mean validation accuracy over the folds).
    ///   - keep: how many continue (the next rung's `candidates`).
    public static func promoted(_ scores: [Int: Double], keep: Int) -> [Int] {
        ranked(scores).prefix(keep).sorted()
    }

    /// Trial numbers from best to worst score; ties go to the earlier trial.
    public static func ranked(_ scores: [Int: Double]) -> [Int] {
        scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
    }
}
