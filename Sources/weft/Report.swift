import ArgumentParser
import Foundation
import Weft

/// `weft report RUN`: one self-contained HTML page about a run, and its charts as PNG.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report of a run: curves, confusion matrix, mistakes, feature space.",
        discussion: """
            A checkpoint of a run with training.ema is used with its moving average of the \
            weights (its average.* tensors), the model its validation measured.

            Takes a run folder (its last.safetensors, else best.safetensors) or a checkpoint, \
            evaluates the model on the test split and writes one self-contained HTML file (inline \
            SVG charts and base64 images: no scripts, no network) with the run's config, parameter \
            count, epochs, training time and final metrics; loss, accuracy and learning rate per \
            epoch (from metrics.jsonl, or the checkpoint's history); the confusion matrix as a heat \
            map with the per-class table; the most confidently misclassified test images; sample \
            predictions per class; and a PCA projection of the penultimate-layer features of 2,000 \
            test images. confusion.png, curves.png and misclassified.png go beside it.

            weft train writes Models/<name>/report.html at the end of a finished run (--no-report \
            skips it).

            Examples:
              weft report Models/quick
              weft report Models/cnn-bn/best.safetensors --output cnn-bn-best/report.html
            """
    )

    @Argument(
        help: ArgumentHelp(
            "A run folder (Models/quick) or a checkpoint (Models/quick/best.safetensors).",
            valueName: "run-folder-or-checkpoint"))
    var target: String

    @Option(
        help: ArgumentHelp("The HTML file to write (default: report.html in the run folder).", valueName: "file.html"))
    var output: String?

    @Option(help: "The dataset folder (overrides data.directory).")
    var dataDir: String?

    @OptionGroup var threading: ThreadsOption

    func run() throws {
        try reportingErrors {
            threading.apply()
            let path = try output ?? (RunReport.locate(target).folder as NSString).appendingPathComponent("report.html")
            try writeReport(target: target, output: path, dataDirectory: dataDir)
        }
    }
}

/// Builds the report of `target` and writes it to `output` (PNGs beside it), then prints
/// where it went and the headline numbers.
func writeReport(target: String, output: String, dataDirectory: String?) throws {
    try OutputFile.checkWritable(output)
    let report = try RunReport(target: target, dataDirectory: dataDirectory)
    let written = try report.write(to: output)
    let evaluation = report.evaluation
    print(
        String(
            format: "report: %@ (%@ accuracy %.2f%%, top-2 %.2f%%, loss %.4f on %d images)", output,
            report.splitName, 100 * evaluation.accuracy, 100 * evaluation.top2Accuracy, evaluation.loss,
            evaluation.count))
    print("images: " + written.dropFirst().joined(separator: ", "))
}

/// Makes `run` rewrite `report.html` in its folder after every epoch (`LiveReport`: the curves
/// so far). A page that cannot be written is warned about once; the run goes on.
func writeLiveReports(of run: TrainingRun) {
    var warned = false
    let config = run.trainer.config, folder = run.folder, progress = run.progress
    run.afterEpoch = { state in
        do {
            try LiveReport(config: config, folder: folder, epochs: state.history).write()
        } catch {
            guard !warned else { return }
            warned = true
            let message = (error as? WeftError)?.message ?? "\(error)"
            progress.finish(with: "warning: the live report was not written: \(message); training goes on")
        }
    }
}

/// At the end of a finished `weft train`: writes `report.html` into the run folder. A failure
/// (say, a full disk) does not undo the finished run: it is a warning naming the retry command.
func writeFinishedRunReport(folder: String, dataDirectory: String?) {
    do {
        try writeReport(
            target: folder, output: (folder as NSString).appendingPathComponent("report.html"),
            dataDirectory: dataDirectory)
    } catch {
        let message = (error as? WeftError)?.message ?? "\(error)"
        FileHandle.standardError.write(
            Data(
                "warning: the run finished but its report was not written: \(message); retry with weft report \(folder)\n"
                    .utf8))
    }
}
