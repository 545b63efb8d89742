import Foundation

/// A search's report (`tune-report.html` in its run folder): one self-contained HTML page with the
/// winner, the halving plan, the results table, and SVG charts of the mean validation accuracy
/// per trial and, for every searched numeric key that takes more than one value, per value of
/// that key (a log axis when the values span a factor of 10 or more). Points are coloured by rung.
public struct TuneReport {
    public var spec: TuneSpec
    public var scores: [CandidateScore]
    public var rungs: [SuccessiveHalving.Rung]
    public var best: CandidateScore?
    public var invalid: [Int: String]
    public var bestConfigPath: String?

    public init(
        spec: TuneSpec, scores: [CandidateScore], rungs: [SuccessiveHalving.Rung], best: CandidateScore?,
        invalid: [Int: String], bestConfigPath: String?
    ) {
        self.spec = spec
        self.scores = scores
        self.rungs = rungs
        self.best = best
        self.invalid = invalid
        self.bestConfigPath = bestConfigPath
    }

    /// The report of the search in `search`'s folder, as it stands.
    public init(search: TuneSearch, bestConfigPath: String?) {
        self.init(
            spec: search.spec, scores: search.allScores(), rungs: search.plan.rungs, best: search.bestScore(),
            invalid: search.invalid, bestConfigPath: bestConfigPath)
    }

    /// The legend names of the rungs: `rung 1 (1 epoch)`.
    private var rungNames: [String] {
        rungs.enumerated().map {
            "rung \($0.offset + 1) (\($0.element.epochs) epoch\($0.element.epochs == 1 ? "" : "s"))"
        }
    }

    /// The chart of mean validation accuracy (%) per trial.
    public func trialChart() -> ScatterChart {
        var chart = ScatterChart(
            x: scores.map { Double($0.trial) }, y: scores.map { 100 * $0.mean }, labels: scores.map(\.rung),
            classNames: rungNames, title: "Validation accuracy per trial (mean over \(spec.folds) folds)",
            xLabel: "trial", yLabel: "validation accuracy (%)")
        chart.width = 760
        chart.height = 380
        chart.pointRadius = 5
        chart.pointOpacity = 0.8
        chart.integerX = true
        return chart
    }

    /// One chart per searched key with more than one numeric value: accuracy against the value.
    public func parameterCharts() -> [ScatterChart] {
        spec.space.dimensions.compactMap { dimension in
            let points = scores.compactMap { score -> (Double, Double, Int)? in
                guard case .number(let value) = score.parameters.first(where: { $0.key == dimension.key })?.value else {
                    return nil
                }
                return (value, 100 * score.mean, score.rung)
            }
            let values = Set(points.map(\.0))
            guard values.count > 1 else { return nil }
            let logarithmic = (values.min() ?? 0) > 0 && (values.max() ?? 0) / (values.min() ?? 1) >= 10
            var chart = ScatterChart(
                x: points.map { logarithmic ? Foundation.log10($0.0) : $0.0 }, y: points.map(\.1),
                labels: points.map(\.2), classNames: rungNames,
                title: "Validation accuracy by \(TuneTable.shortName(dimension.key))",
                xLabel: logarithmic ? "log10(\(dimension.key))" : dimension.key, yLabel: "validation accuracy (%)")
            chart.width = 760
            chart.height = 380
            chart.pointRadius = 5
            chart.pointOpacity = 0.8
            return chart
        }
    }

    /// The whole page.
    public func html() -> String {
        var charts = [trialChart()] + parameterCharts()
        charts = charts.filter { !$0.x.isEmpty }
        let svgs = charts.map { chart -> String in
            var canvas = SVGCanvas(width: chart.width, height: chart.height)
            chart.draw(on: &canvas)
            return "<figure>" + canvas.svg(title: chart.title) + "</figure>"
        }
        let keys = spec.space.dimensions.map(\.key)
        let headerCells =
            (["trial"] + keys.map(TuneTable.shortName) + ["rung", "epochs", "mean ± std", "folds", "seconds"])
            .map { "<th>\(HTML.escape($0))</th>" }.joined()
        let rows = scores.sorted { ($0.rung, $0.trial) < ($1.rung, $1.trial) }.map { score -> String in
            let values = keys.map { key in
                HTML.escape(score.parameters.first { $0.key == key }.map { TuneTable.format($0.value) } ?? "")
            }
            let accuracy =
                score.failure == nil
                ? String(format: "%.2f%% ± %.2f%%", 100 * score.mean, 100 * score.standardDeviation) : "diverged"
            let folds = score.accuracies.map { String(format: "%.2f", 100 * $0) }.joined(separator: ", ")
            let cells =
                [String(score.trial)] + values + [
                    String(score.rung + 1), String(score.epochs), accuracy, folds, String(format: "%.1f", score.seconds)
                ]
            let mark = score.trial == best?.trial && score.rung == rungs.count - 1 ? " class=\"best\"" : ""
            return "<tr\(mark)>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }.joined(separator: "\n")
        let invalidItems = invalid.sorted { $0.key < $1.key }.map {
            "<li>trial \($0.key): \(HTML.escape($0.value))</li>"
        }.joined()
        let plan = rungs.enumerated().map {
            "rung \($0.offset + 1): \($0.element.candidates) candidate\($0.element.candidates == 1 ? "" : "s") × \($0.element.epochs) epoch\($0.element.epochs == 1 ? "" : "s")"
        }
        .joined(separator: " → ")
        let winner =
            best.map { best in
                "<p><strong>Best: trial \(best.trial)</strong> (\(HTML.escape(TuneSpec.describe(best.parameters)))), validation accuracy \(String(format: "%.2f%% ± %.2f%%", 100 * best.mean, 100 * best.standardDeviation)) over \(spec.folds) folds at \(best.epochs) epoch\(best.epochs == 1 ? "" : "s")."
                    + (bestConfigPath.map {
                        " Train it on the whole training split and test it: <code>weft train \(HTML.escape($0))</code></p>"
                    } ?? "</p>")
            } ?? "<p>The search has not finished.</p>"
        return """
            \(HTML.pageStart(title: "Weft search: \(spec.config.name)", style: RunReport.style + " tr.best td { font-weight: bold; }"))
            <header>
            <h1>Search: \(HTML.escape(spec.config.name))</h1>
            <p class="muted">\(HTML.escape(spec.source)) · \(spec.folds)-fold stratified cross-validation on the training split (the test split is not used) · seed \(spec.seed) · \(spec.trials.map { "\($0) random trials" } ?? "grid") · \(HTML.escape(plan))</p>
            </header>
            <section>
            \(winner)
            \(svgs.joined(separator: "\n"))
            </section>
            <section>
            <h2>Results</h2>
            <table><thead><tr>\(headerCells)</tr></thead><tbody>
            \(rows)
            </tbody></table>
            \(invalidItems.isEmpty ? "" : "<h2>Invalid candidates</h2><ul>\(invalidItems)</ul>")
            </section>
            </main>
            </body>
            </html>

            """
    }
}
