import Foundation

/// The report as one self-contained HTML page: inline CSS, inline SVG charts, images as
/// base64 `data:` URIs, no scripts and nothing fetched from the network.
extension RunReport {
    /// The whole page.
    public func html() -> String {
        let name = HTML.escape(model.config.name)
        return """
            \(HTML.pageStart(title: "Weft report: \(model.config.name)", style: RunReport.style))
            <header>
            <h1>\(name)</h1>
            <p class="muted">Weft report of <code>\(HTML.escape(checkpoint.path))</code> · generated \(HTML.escape(RunReport.timestamp(generatedAt))) by Weft \(Weft.version)</p>
            </header>
            \(summarySection)
            \(runSection)
            \(trainingSection)
            \(testSection)
            \(mistakesSection)
            \(samplesSection)
            \(projectionSection)
            <footer class="muted">Self-contained page: no scripts, no network. The PNG files confusion.png, curves.png and misclassified.png beside it hold the same charts.</footer>
            </main>
            </body>
            </html>

            """
    }

    static func percent(_ value: Double) -> String { String(format: "%.2f%%", 100 * value) }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    /// `12,345`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }

    private var summarySection: String {
        let state = checkpoint.state
        var cards: [(String, String, String)] = [
            (
                "\(splitName) accuracy", RunReport.percent(evaluation.accuracy),
                "\(RunReport.grouped(evaluation.count)) \(splitName) images"
            ),
            ("top-2 accuracy", RunReport.percent(evaluation.top2Accuracy), "label among the two best guesses"),
            ("\(splitName) loss", String(format: "%.4f", evaluation.loss), "mean cross-entropy")
        ]
        if let tta = evaluation.testTimeAugmentation, let accuracy = evaluation.ttaAccuracy {
            cards.insert(
                (
                    "\(splitName) accuracy (\(tta.label))", RunReport.percent(accuracy),
                    "probabilities averaged over \(tta.views.count) views"
                ), at: 1)
        }
        if let best = state.bestValidationAccuracy, let epoch = state.bestEpoch {
            cards.append(("best validation accuracy", RunReport.percent(best), "epoch \(epoch)"))
        }
        cards += [
            ("parameters", RunReport.grouped(parameterCount), "\(model.model.layers.count) layers"),
            (
                "epochs", "\(history.epochs.count) / \(model.config.training.epochs)",
                "\(RunReport.grouped(state.step)) steps"
            ),
            (
                "training time", Progress.duration(history.trainingSeconds),
                String(
                    format: "%.0f images/s",
                    history.epochs.isEmpty
                        ? 0 : history.epochs.reduce(0) { $0 + $1.imagesPerSecond } / Double(history.epochs.count))
            )
        ]
        let items = cards.map { title, value, note in
            "<div class=\"card\"><div class=\"label\">\(HTML.escape(title))</div><div class=\"value\">\(HTML.escape(value))</div><div class=\"note\">\(HTML.escape(note))</div></div>"
        }
        return "<section class=\"cards\">\n" + items.joined(separator: "\n") + "\n</section>"
    }

    private var runSection: String {
        let config = model.config, training = config.training
        let input = config.model.input.map(String.init).joined(separator: "×")
        var schedule = training.schedule.type
        if training.schedule.warmupEpochs > 0 {
            schedule += String(
                format: " after %g warm-up epoch%@", training.schedule.warmupEpochs,
                training.schedule.warmupEpochs == 1 ? "" : "s")
        }
        let last = history.epochs.last
        var rows: [(String, String)] = [
            ("run folder", folder),
            ("checkpoint", "\(checkpoint.path) (after epoch \(checkpoint.state.epoch), step \(checkpoint.state.step))"),
            ("dataset", "\(config.data.dataset), \(data.test.classCount) classes, \(input) images"),
            (
                "images",
                "\(RunReport.grouped(data.trainIndices.count)) train · \(RunReport.grouped(data.validationIndices.count)) validation · \(RunReport.grouped(data.testIndices.count)) test"
            ),
            ("model", "\(config.model.layers.count) layers, \(RunReport.grouped(parameterCount)) parameters"),
            (
                "optimiser",
                "\(training.optimizer.type), learning rate \(training.optimizer.learningRate), weight decay \(training.optimizer.weightDecay)"
            ),
            ("schedule", schedule),
            ("batch size · seed · threads", "\(training.batchSize) · \(training.seed) · \(checkpoint.threads)"),
            (
                "training time",
                "\(Progress.duration(history.trainingSeconds)) over \(history.epochs.count) epoch\(history.epochs.count == 1 ? "" : "s")"
            )
        ]
        if let last {
            rows.append(
                (
                    "last epoch",
                    String(
                        format: "train loss %.4f, accuracy %@", last.trainLoss, RunReport.percent(last.trainAccuracy))
                        + (last.validationLoss.map { String(format: "; validation loss %.4f", $0) } ?? "")
                        + (last.validationAccuracy.map { ", accuracy \(RunReport.percent($0))" } ?? "")
                ))
        }
        rows.append(
            (
                "\(splitName) (this report)",
                String(
                    format: "loss %.4f, accuracy %@, top-2 accuracy %@", evaluation.loss,
                    RunReport.percent(evaluation.accuracy), RunReport.percent(evaluation.top2Accuracy))
            ))
        if let tta = evaluation.testTimeAugmentation, let loss = evaluation.ttaLoss,
            let accuracy = evaluation.ttaAccuracy, let top2 = evaluation.ttaTop2Accuracy
        {
            rows.append(
                (
                    "\(splitName) with \(tta.label) (\(tta.views.count) views)",
                    String(
                        format: "loss %.4f, accuracy %@, top-2 accuracy %@", loss, RunReport.percent(accuracy),
                        RunReport.percent(top2))
                ))
        }
        if let accuracy = history.testAccuracy, let loss = history.testLoss {
            let tta = history.testAccuracyTTA.map { " (TTA: \(RunReport.percent($0)))" } ?? ""
            rows.append(
                (
                    "test (end of training)",
                    String(format: "loss %.4f, accuracy %@", loss, RunReport.percent(accuracy)) + tta
                ))
        }
        rows.append(("metrics from", history.source))
        let table = rows.map { "<tr><th>\(HTML.escape($0.0))</th><td>\(HTML.escape($0.1))</td></tr>" }.joined(
            separator: "\n")
        return """
            <section>
            <h2>Run</h2>
            <div class="columns">
            <table class="facts">
            \(table)
            </table>
            <div class="config"><h3>Resolved config</h3><pre>\(HTML.escape(config.json.serialized()))</pre></div>
            </div>
            </section>
            """
    }

    private var trainingSection: String {
        """
        <section>
        <h2>Training</h2>
        <p class="muted">Per epoch, from \(HTML.escape(history.source)); the green point is this report's \(splitName) result for the checkpoint.</p>
        <div class="charts">
        \(RunReport.svg(lossChart))
        \(RunReport.svg(accuracyChart))
        \(RunReport.svg(learningRateChart))
        \(RunReport.epochTable(history.epochs))
        </div>
        </section>
        """
    }

    /// The table of `epochs`: losses, accuracies, rate, seconds and speed of each.
    static func epochTable(_ epochs: [EpochRecord]) -> String {
        let rows = epochs.map { record -> String in
            func optional(_ value: Double?, _ format: (Double) -> String) -> String { value.map(format) ?? "–" }
            return
                "<tr><td>\(record.epoch)</td><td>\(String(format: "%.4f", record.trainLoss))</td><td>\(RunReport.percent(record.trainAccuracy))</td>"
                + "<td>\(optional(record.validationLoss) { String(format: "%.4f", $0) })</td><td>\(optional(record.validationAccuracy, RunReport.percent))</td>"
                + "<td>\(String(format: "%.3g", record.learningRate))</td><td>\(String(format: "%.1f", record.seconds))</td><td>\(String(format: "%.0f", record.imagesPerSecond))</td></tr>"
        }
        return """
            <div class="scroll"><table class="numbers epochs">
            <thead><tr><th>epoch</th><th>train loss</th><th>train acc.</th><th>val. loss</th><th>val. acc.</th><th>learning rate</th><th>seconds</th><th>images/s</th></tr></thead>
            <tbody>
            \(rows.joined(separator: "\n"))
            </tbody>
            </table></div>
            """
    }

    private var testSection: String {
        let report = evaluation.report
        func row(_ name: String, _ metrics: ClassMetrics, classIndex: Int? = nil) -> String {
            let swatch =
                classIndex.map { "<span class=\"swatch\" style=\"background:\(Color.category($0).css)\"></span>" } ?? ""
            return
                "<tr><th>\(swatch)\(HTML.escape(name))</th><td>\(String(format: "%.4f", metrics.precision))</td><td>\(String(format: "%.4f", metrics.recall))</td><td>\(String(format: "%.4f", metrics.f1))</td><td>\(metrics.support)</td></tr>"
        }
        let classRows = zip(report.classNames, report.perClass).enumerated().map {
            row($0.element.0, $0.element.1, classIndex: $0.offset)
        }
        return """
            <section>
            <h2>\(splitName.prefix(1).uppercased() + splitName.dropFirst()) set</h2>
            <p class="muted">\(RunReport.grouped(evaluation.count)) images: accuracy <strong>\(RunReport.percent(evaluation.accuracy))</strong>, top-2 accuracy \(RunReport.percent(evaluation.top2Accuracy)), loss \(String(format: "%.4f", evaluation.loss)). Cells count images; their shade is the share of the true class (the row).</p>
            <div class="charts">
            \(confusionSVG)
            <table class="numbers report">
            <thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead>
            <tbody>
            \(classRows.joined(separator: "\n"))
            </tbody>
            <tfoot>
            <tr><th>accuracy</th><td></td><td></td><td>\(String(format: "%.4f", report.accuracy))</td><td>\(report.macroAverage.support)</td></tr>
            \(row("macro avg", report.macroAverage))
            \(row("weighted avg", report.weightedAverage))
            </tfoot>
            </table>
            </div>
            <p class="muted small">As scikit-learn's classification_report; a class never predicted has precision 0 (zero_division=0).</p>
            </section>
            """
    }

    /// One captioned image of the test set.
    private func figure(_ item: GalleryItem, caption: String) -> String {
        let bytes =
            (try? PNGFile.encode(ReportGallery.picture(of: evaluation.split.dataset(in: data), index: item.index)))
            ?? []
        let source = "data:image/png;base64," + Data(bytes).base64EncodedString()
        let title = "\(splitName) image \(item.index): true class \(model.classNames[item.label])"
        return
            "<figure class=\"\(item.isCorrect ? "right" : "wrong")\"><img src=\"\(source)\" alt=\"\(HTML.escape(title))\" title=\"\(HTML.escape(title))\"><figcaption>\(HTML.escape(caption))</figcaption></figure>"
    }

    private var mistakesSection: String {
        let figures = misclassified.map { figure($0, caption: $0.caption(classNames: model.classNames)) }
        return """
            <section>
            <h2>Most confident mistakes</h2>
            <p class="muted">The \(misclassified.count) misclassified \(splitName) images the model was surest about, captioned <em>predicted (true) probability</em>.</p>
            <div class="gallery">
            \(figures.isEmpty ? "<p>No \(splitName) image is misclassified.</p>" : figures.joined(separator: "\n"))
            </div>
            </section>
            """
    }

    private var samplesSection: String {
        let rows = samples.enumerated().map { label, items -> String in
            let figures = items.map {
                figure($0, caption: String(format: "%@ %.2f", model.classNames[$0.predicted], $0.probability))
            }
            let correct = items.filter(\.isCorrect).count
            return
                "<tr><th><span class=\"swatch\" style=\"background:\(Color.category(label).css)\"></span>\(HTML.escape(model.classNames[label]))<div class=\"note\">\(correct) of \(items.count) right</div></th><td><div class=\"strip\">\(figures.joined())</div></td></tr>"
        }
        return """
            <section>
            <h2>Sample predictions by class</h2>
            <p class="muted">A few \(splitName) images of each class with the predicted class and its probability; red frames are mistakes.</p>
            <table class="samples">
            \(rows.joined(separator: "\n"))
            </table>
            </section>
            """
    }

    private var projectionSection: String {
        let layer = projection.layerIndex
        return """
            <section>
            <h2>Feature space</h2>
            <p class="muted">The input of layer \(layer) (the classifier) for \(RunReport.grouped(projection.indices.count)) \(splitName) images — \(projection.dimension) features each — projected on their first two principal components (eigenvectors of the features' covariance), coloured by true class.</p>
            \(projectionSVG)
            </section>
            """
    }

    static let style = """
        :root { color-scheme: light; }
        body { margin: 0; background: #f4f6f8; color: #1d232b; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; }
        main { max-width: 1160px; margin: 0 auto; padding: 20px 24px 40px; }
        h1 { font-size: 28px; margin: 8px 0 2px; }
        h2 { font-size: 20px; margin: 0 0 6px; }
        h3 { font-size: 14px; margin: 0 0 6px; color: #5b6570; font-weight: 600; }
        code { font-size: 13px; }
        .muted { color: #5b6570; }
        .small { font-size: 13px; }
        section { background: #fff; border: 1px solid #e1e5ea; border-radius: 10px; padding: 16px 20px; margin: 16px 0; }
        section.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; background: none; border: 0; padding: 0; }
        .card { background: #fff; border: 1px solid #e1e5ea; border-radius: 10px; padding: 10px 14px; }
        .card .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #5b6570; }
        .card .value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
        .card .note, .note { font-size: 12px; color: #5b6570; font-weight: 400; }
        .columns { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
        .columns > * { flex: 1 1 420px; min-width: 0; }
        table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
        th, td { padding: 4px 10px; border-bottom: 1px solid #edf0f3; vertical-align: top; }
        table.facts th { text-align: left; color: #5b6570; font-weight: 500; white-space: nowrap; }
        table.facts td { word-break: break-word; }
        table.numbers td { text-align: right; }
        table.numbers thead th { text-align: right; font-size: 13px; color: #5b6570; font-weight: 500; }
        table.numbers thead th:first-child, table.numbers tbody th, table.numbers tfoot th { text-align: left; }
        table.numbers tfoot tr:first-child > * { border-top: 2px solid #d5dae0; }
        table.numbers tbody th { font-weight: 500; white-space: nowrap; }
        table.report { align-self: flex-start; }
        pre { margin: 0; max-height: 360px; overflow: auto; background: #f6f8fa; border: 1px solid #e1e5ea; border-radius: 6px; padding: 10px; font-size: 12px; line-height: 1.35; }
        .charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
        .charts > table, .charts > .scroll { flex: 1 1 420px; }
        .scroll { overflow-x: auto; }
        table.epochs { font-size: 13px; }
        table.epochs td, table.epochs th { white-space: nowrap; padding: 4px 7px; }
        svg { max-width: 100%; height: auto; display: block; }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 7px; }
        .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(172px, 1fr)); gap: 12px 10px; }
        figure { margin: 0; text-align: center; }
        figure img { width: 84px; height: 84px; image-rendering: pixelated; border: 2px solid #e1e5ea; border-radius: 4px; display: block; margin: 0 auto; }
        figure.wrong img { border-color: #d62728; }
        figcaption { font-size: 12.5px; margin-top: 3px; }
        table.samples th { text-align: left; white-space: nowrap; font-weight: 500; width: 150px; }
        .strip { display: flex; flex-wrap: wrap; gap: 8px; }
        .strip figure { width: 100px; }
        .strip figure img { width: 56px; height: 56px; }
        footer { margin-top: 8px; font-size: 13px; }
        """
}
