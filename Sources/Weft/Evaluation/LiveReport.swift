import Foundation

/// The page a running job keeps as its `report.html`: the curves and the table of the epochs
/// finished so far, rewritten (atomically) after every epoch, so that reloading the page in a
/// browser shows the run as it goes. The page asks the browser to reload it every 30 s. When the
/// run finishes, `weft train` replaces it with the full `RunReport`. Nothing is evaluated for
/// it: it costs a few milliseconds per epoch.
public struct LiveReport {
    public let config: TrainingConfig
    /// The run folder.
    public let folder: String
    /// The finished epochs, in order.
    public let epochs: [EpochRecord]
    public let updatedAt: Date

    public init(config: TrainingConfig, folder: String, epochs: [EpochRecord], updatedAt: Date = Date()) {
        self.config = config
        self.folder = folder
        self.epochs = epochs
        self.updatedAt = updatedAt
    }

    /// `report.html` in `folder`.
    public static func path(folder: String) -> String {
        (folder as NSString).appendingPathComponent("report.html")
    }

    /// The whole page: a header with the progress, the loss, accuracy and learning-rate charts
    /// as inline SVG, the epoch table and the resolved config.
    public func html() -> String {
        let name = HTML.escape(config.name), total = config.training.epochs
        let done = epochs.last?.epoch ?? 0
        let seconds = epochs.reduce(0) { $0 + $1.seconds }
        var facts = [
            "epoch \(done) of \(total) finished", "\(Progress.duration(seconds)) of training",
            "updated \(RunReport.timestamp(updatedAt))"
        ]
        if let best = epochs.compactMap(\.validationAccuracy).max() {
            facts.insert("best validation accuracy \(RunReport.percent(best))", at: 1)
        }
        let title = "Weft: \(config.name) (training, epoch \(done) of \(total))"
        return """
            \(HTML.pageStart(title: title, style: RunReport.style, extraHead: "<meta http-equiv=\"refresh\" content=\"30\">"))
            <header>
            <h1>\(name): training</h1>
            <p>\(HTML.escape(facts.joined(separator: " · ")))</p>
            <p class="muted">Run folder <code>\(HTML.escape(folder))</code>. Weft \(Weft.version) rewrites this page after every epoch (the browser reloads it every 30 s); when the run finishes, the full report with the test set replaces it.</p>
            </header>
            <section>
            <h2>Training so far</h2>
            <div class="charts">
            \(RunReport.svg(RunReport.lossChart(epochs, test: nil)))
            \(RunReport.svg(RunReport.accuracyChart(epochs, test: nil)))
            \(RunReport.svg(RunReport.learningRateChart(epochs)))
            \(RunReport.epochTable(epochs))
            </div>
            </section>
            <section>
            <h2>Resolved config</h2>
            <pre>\(HTML.escape(config.json.serialized()))</pre>
            </section>
            </main>
            </body>
            </html>

            """
    }

    /// Writes the page atomically to `report.html` in the run folder.
    public func write() throws {
        try OutputFile.write(html(), to: LiveReport.path(folder: folder))
    }
}
