import Foundation

/// The text forms of a search's results: the live table's lines and `tune.csv`.
public enum TuneTable {
    /// `rung 1/3: 9 candidates × 3 folds, 1 epoch each`.
    public static func rungHeading(rung: Int, of count: Int, candidates: Int, epochs: Int, folds: Int) -> String {
        "\nrung \(rung + 1)/\(count): \(candidates) candidate\(candidates == 1 ? "" : "s") × \(folds) folds, \(epochs) epoch\(epochs == 1 ? "" : "s") each"
    }

    /// The column names: trial, one per searched key (its last path component), the score.
    public static func header(keys: [String]) -> String {
        let names = keys.map { pad(shortName($0), width: columnWidth($0)) }
        return (["trial"] + names + ["val accuracy (mean ± std)", "epochs", "seconds"]).joined(separator: "  ")
    }

    /// One candidate's line: `    3  0.003  1e-4  87.12% ± 0.41%  3  42.1`.
    public static func row(_ score: CandidateScore, keys: [String]) -> String {
        let values = keys.map { key in
            pad(score.parameters.first { $0.key == key }.map { format($0.value) } ?? "-", width: columnWidth(key))
        }
        let accuracy =
            score.failure == nil
            ? String(format: "%6.2f%% ± %5.2f%%", 100 * score.mean, 100 * score.standardDeviation)
            : "diverged"
        return
            ([pad(String(score.trial), width: 5, right: true)] + values
            + [
                pad(accuracy, width: 25), pad(String(score.epochs), width: 6, right: true),
                String(format: "%7.1f", score.seconds)
            ])
            .joined(separator: "  ")
    }

    /// `tune.csv`: a line per candidate and rung (then one per invalid candidate) with
    /// `trial`, the searched keys, `rung`, `epochs`, `folds`, `mean_validation_accuracy`,
    /// `std_validation_accuracy`, `mean_validation_loss`, `fold_accuracies` (`;`-separated),
    /// `seconds` and `status` (`continued`, `stopped`, `best`, `diverged`, `invalid`, or
    /// `pending` while the search runs).
    public static func csv(
        scores: [CandidateScore], keys: [String], rungs: [[Int]], best: Int?, invalid: [Int: String],
        candidates: [[SearchAssignment]]
    ) -> String {
        var lines = [
            (["trial"] + keys + [
                "rung", "epochs", "folds", "mean_validation_accuracy", "std_validation_accuracy",
                "mean_validation_loss", "fold_accuracies", "seconds", "status"
            ]).map(field).joined(separator: ",")
        ]
        for score in scores {
            let next = score.rung + 1 < rungs.count ? rungs[score.rung + 1] : nil
            let status: String
            if score.failure != nil {
                status = "diverged"
            } else if let next {
                status = next.contains(score.trial) ? "continued" : "stopped"
            } else if best == score.trial {
                status = "best"
            } else {
                status = best == nil ? "pending" : "stopped"
            }
            let values = keys.map { key in score.parameters.first { $0.key == key }.map { format($0.value) } ?? "" }
            let numbers = [
                String(score.rung + 1), String(score.epochs), String(score.accuracies.count),
                String(format: "%.6f", score.mean), String(format: "%.6f", score.standardDeviation),
                String(format: "%.6f", score.meanLoss),
                score.accuracies.map { String(format: "%.6f", $0) }.joined(separator: ";"),
                String(format: "%.1f", score.seconds), status
            ]
            lines.append(([String(score.trial)] + values + numbers).map(field).joined(separator: ","))
        }
        for (trial, reason) in invalid.sorted(by: { $0.key < $1.key }) {
            let values = keys.map { key in candidates[trial - 1].first { $0.key == key }.map { format($0.value) } ?? ""
            }
            lines.append(
                ([String(trial)] + values + ["", "", "", "", "", "", "", "", "invalid: \(reason)"]).map(field).joined(
                    separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A value as the table shows it: numbers compactly (`0.001`, `3e-05`), strings bare.
    public static func format(_ value: JSONValue) -> String {
        switch value {
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
            return String(format: "%g", number)
        case .string(let text): return text
        default: return value.serialized(pretty: false)
        }
    }

    /// The last component of a config path: `learningRate` of `training.optimizer.learningRate`,
    /// `layers[0].filters` for `model.layers[0].filters`.
    public static func shortName(_ key: String) -> String {
        let parts = key.split(separator: ".")
        guard let last = parts.last else { return key }
        if parts.count >= 2, parts[parts.count - 2].hasSuffix("]") { return parts[parts.count - 2] + "." + last }
        return String(last)
    }

    static func columnWidth(_ key: String) -> Int { max(shortName(key).count, 10) }

    static func pad(_ text: String, width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }

    /// A CSV field, quoted when it holds a comma, quote or newline (RFC 4180).
    static func field(_ text: String) -> String {
        guard text.contains(where: { ",\"\n".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
