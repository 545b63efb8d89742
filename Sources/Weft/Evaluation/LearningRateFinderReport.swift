import Foundation

/// What `weft lr-find` writes: a self-contained HTML page with the smoothed loss against the
/// learning rate (log axis, the suggestion marked) as inline SVG, and the same chart as a PNG
/// beside it, both drawn from one `LineChart` as the run report draws its curves.
public struct LearningRateFinderReport {
    /// The range test's points, stop and suggestion.
    public let result: LearningRateFinder.Result
    /// The config's `name` and the file it came from, shown on the page.
    public let configName: String
    public let source: String

    public init(result: LearningRateFinder.Result, configName: String, source: String) {
        self.result = result
        self.configName = configName
        self.source = source
    }

    static let lossColor = Color.category(0), suggestionColor = Color.category(3)

    /// The points the chart shows: all but the last of a run that diverged (its smoothed loss
    /// passed the divergence limit and would flatten the rest of the curve).
    public var chartedPoints: [LearningRateFinder.Point] {
        result.stop == .diverged ? Array(result.points.dropLast()) : result.points
    }

    /// The smoothed loss of each step against its rate (log axis; `chartedPoints`), and the
    /// suggested point with a vertical line through it.
    public var chart: LineChart {
        var series = [
            LineChart.Series(
                name: "smoothed loss", color: LearningRateFinderReport.lossColor,
                points: chartedPoints.map { .init(x: $0.rate, y: $0.smoothedLoss) }, markers: false)
        ]
        var chart = LineChart(
            title: "Learning-rate range test: \(configName)", xLabel: "learning rate (log scale)",
            yLabel: "training loss (smoothed)", series: series)
        if let index = result.suggestionIndex {
            let point = result.points[index]
            series.append(
                .init(
                    name: "suggested \(LearningRateFinderReport.rate(point.rate))",
                    color: LearningRateFinderReport.suggestionColor,
                    points: [.init(x: point.rate, y: point.smoothedLoss)], markers: true))
            chart.series = series
            chart.verticalLines = [.init(x: point.rate, color: LearningRateFinderReport.suggestionColor)]
        }
        chart.logarithmicX = true
        chart.width = 640
        chart.height = 360
        return chart
    }

    /// `3.02e-03`: a rate with three significant digits.
    public static func rate(_ value: Double) -> String { String(format: "%.2e", value) }

    /// The chart as a PNG image at twice its logical size.
    public func png() -> PixelImage {
        let chart = chart
        var canvas = RasterCanvas(width: chart.width, height: chart.height)
        chart.draw(on: &canvas)
        return canvas.image
    }

    /// The PNG's path for the page `htmlPath`: the same name with `.png` (`lr-find.html` →
    /// `lr-find.png`).
    public static func pngPath(forPage htmlPath: String) -> String {
        ((htmlPath as NSString).deletingPathExtension as NSString).appendingPathExtension("png")
            ?? htmlPath + ".png"
    }

    /// Writes the page to `path` and the PNG beside it (`pngPath(forPage:)`).
    /// - Returns: the two paths written, the page first.
    @discardableResult
    public func write(to path: String) throws -> [String] {
        let png = LearningRateFinderReport.pngPath(forPage: path)
        try OutputFile.checkWritable(path)
        try OutputFile.checkWritable(png)
        try OutputFile.write(try PNGFile.encode(self.png()), to: png)
        try OutputFile.write(html(pngName: (png as NSString).lastPathComponent), to: path)
        return [path, png]
    }

    /// The whole page: inline CSS and SVG, no scripts, nothing fetched.
    public func html(pngName: String = "lr-find.png") -> String {
        let chart = chart
        var canvas = SVGCanvas(width: chart.width, height: chart.height)
        chart.draw(on: &canvas)
        let finder = result.finder
        let suggestion =
            result.suggestedRate.map { LearningRateFinderReport.rate($0) }
            ?? "none: too few points (\(result.points.count)) after skipping the first \(finder.skipStart) and the last \(finder.skipEnd)"
        let facts: [(String, String)] = [
            ("config", "\(configName) (\(source))"),
            ("suggested learning rate", suggestion),
            (
                "rates",
                "\(LearningRateFinderReport.rate(finder.start)) to \(LearningRateFinderReport.rate(finder.end)), "
                    + "growing exponentially over \(finder.steps) steps"
            ),
            ("steps run", "\(result.points.count): \(result.stopDescription)")
        ]
        let hidden = result.points.count - chartedPoints.count
        let offChart =
            hidden == 0
            ? ""
            : " The chart leaves out the last \(hidden == 1 ? "point" : "\(hidden) points"), whose smoothed loss passed \(JSONValue.format(finder.divergenceFactor)) × the best (see the table)."
        let rows = facts.map { "<tr><th>\(HTML.escape($0.0))</th><td>\(HTML.escape($0.1))</td></tr>" }
            .joined(separator: "\n")
        let points = result.points.enumerated().map { index, point in
            let marked = index == result.suggestionIndex ? " class=\"suggested\"" : ""
            return String(
                format: "<tr%@><td>%d</td><td>%.3e</td><td>%.4f</td><td>%.4f</td></tr>", marked, index + 1, point.rate,
                point.loss, point.smoothedLoss)
        }.joined(separator: "\n")
        let style = RunReport.style + "\ntr.suggested td { font-weight: 650; background: #fdecea; }"
        return """
            \(HTML.pageStart(title: "Weft learning-rate range test: \(configName)", style: style))
            <header>
            <h1>Learning-rate range test: \(HTML.escape(configName))</h1>
            <p class="muted">weft lr-find (Smith, arXiv 1506.01186, as fastai's lr_find and Lightning's Tuner.lr_find) · Weft \(Weft.version)</p>
            </header>
            <section>
            <table class="facts">
            \(rows)
            </table>
            </section>
            <section>
            \(canvas.svg(title: chart.title))
            <p class="note">The suggestion is the rate where the smoothed loss falls fastest per decade of rate (the most negative gradient with respect to log(rate), leaving out the first \(finder.skipStart) and the last \(finder.skipEnd) points). It is a starting point: a rate somewhat below the loss's minimum, often near the suggestion, usually trains well.\(HTML.escape(offChart))</p>
            </section>
            <section>
            <details>
            <summary>Every step</summary>
            <table class="numbers">
            <thead><tr><th>step</th><th>rate</th><th>loss</th><th>smoothed</th></tr></thead>
            <tbody>
            \(points)
            </tbody>
            </table>
            </details>
            </section>
            <footer class="muted">Self-contained page: no scripts, no network. \(HTML.escape(pngName)) beside it holds the same chart.</footer>
            </main>
            </body>
            </html>

            """
    }
}
