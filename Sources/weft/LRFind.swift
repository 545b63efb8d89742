import ArgumentParser
import Foundation
import Weft

/// `weft lr-find CONFIG`: the learning-rate range test on a config's model and data.
struct LRFind: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lr-find",
        abstract: "Find a learning rate: train briefly with a growing rate and suggest one (range test).",
        discussion: """
            Smith's learning-rate range test (arXiv 1506.01186), as fastai's lr_find and PyTorch \
            Lightning's Tuner.lr_find run it. Builds the model, data, augmentation and optimiser \
            exactly as weft train would (the config's schedule is ignored), trains --steps steps \
            with the rate of step i (from 0) start·(end/start)^(i/(steps−1)), continuing into the \
            next epoch's order when an epoch runs out, and records each step's loss, smoothed by \
            a bias-corrected moving average (beta 0.98). It stops early when the smoothed loss \
            exceeds 4 × its best so far or a loss is not finite.

            The suggested rate is where the smoothed loss falls fastest per decade of rate (the \
            most negative gradient against log(rate), leaving out the first 10 and the last 1 \
            points: Lightning's suggestion()). It is a starting point for \
            training.optimizer.learningRate (or a one-cycle schedule's maxLearningRate), not a \
            guarantee.

            Writes only --output (an HTML page with the curve as inline SVG) and the PNG of the \
            same chart beside it (lr-find.html → lr-find.png): no run folder, checkpoint or \
            config.json; the probed model is thrown away. Runs on one process.

            Examples:
              weft lr-find Configs/cnn-bn.json
              weft lr-find Configs/quick.json --steps 60 --end 1 --output quick.html
              weft lr-find Configs/mlp.json --set training.batchSize=256 --json
            """
    )

    @Argument(help: "A JSON config, e.g. Configs/cnn-bn.json.")
    var file: String

    @Option(help: "Steps to train at most (at least 2).")
    var steps = 100

    @Option(help: "The learning rate of the first step (positive).")
    var start = 1e-7

    @Option(help: "The learning rate of the last step (above --start).")
    var end = 10.0

    @Option(
        help: ArgumentHelp("The HTML page to write; the PNG goes beside it with the same name.", valueName: "file.html")
    )
    var output = "lr-find.html"

    @Flag(
        help:
            "Print the rates, losses, smoothed losses and the suggestion as JSON on stdout (the other lines go to stderr)."
    )
    var json = false

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set training.batchSize=64 (repeatable).")
    var overrides: [String] = []

    @Option(help: "The dataset folder (overrides data.directory).")
    var dataDir: String?

    @OptionGroup var threading: ThreadsOption

    func run() throws {
        try reportingErrors {
            try checkFlags()
            threading.apply()
            try OutputFile.checkWritable(output)
            try OutputFile.checkWritable(LearningRateFinderReport.pngPath(forPage: output))
            let config = try TrainingConfig.load(path: file, overrides: overrides)
            let data = try loadTrainingData(config, directoryOverride: dataDir, notesToStandardError: json)
            let progress = Progress(epochs: config.training.epochs)
            progress.enabled = false
            let trainer = try Trainer(config: config, data: data, source: file, progress: progress)
            let finder = LearningRateFinder(steps: steps, start: start, end: end)
            let optimizer = config.training.optimizer
            say(
                "\(config.name): \(data.trainIndices.count) training images, batches of \(config.training.batchSize), \(optimizer.type) (the config's rate \(LearningRateFinderReport.rate(Double(optimizer.learningRate))) and schedule ignored), rates \(LearningRateFinderReport.rate(start)) to \(LearningRateFinderReport.rate(end)) over \(steps) steps, \(threading.threads) thread\(threading.threads == 1 ? "" : "s")"
            )
            let line = StepLine(steps: steps)
            let result = try finder.run(trainer: trainer) { point, index in line.show(point, index: index) }
            line.end()
            let written = try LearningRateFinderReport(result: result, configName: config.name, source: file)
                .write(to: output)
            say(result.stopDescription)
            if let rate = result.suggestedRate, let index = result.suggestionIndex {
                say(
                    "suggested learning rate: \(LearningRateFinderReport.rate(rate)) (the steepest fall of the smoothed loss, step \(index + 1))"
                )
            } else {
                say(
                    "no suggestion: \(result.points.count) points leave fewer than 2 after skipping the first \(finder.skipStart) and the last \(finder.skipEnd); raise --steps or lower --end"
                )
            }
            say("wrote \(written.joined(separator: ", "))")
            if json {
                guard case .object(let members) = result.json else { return }
                let document = JSONValue.object(
                    [("config", .string(file))] + members + [("outputs", .array(written.map(JSONValue.string)))])
                print(document.serialized(pretty: false))
            }
        }
    }

    /// One sentence per wrong flag, before anything is loaded.
    private func checkFlags() throws {
        guard steps >= 2 else {
            throw WeftError("--steps must be at least 2 (a first and a last rate), got \(steps); try --steps 100")
        }
        guard start.isFinite, start > 0 else {
            throw WeftError("--start must be a positive learning rate, got \(start); try --start 1e-7")
        }
        guard end.isFinite, start < end else {
            throw WeftError(
                "--start (\(start)) must be below --end (\(end)); give a growing range such as --start 1e-7 --end 10")
        }
        guard LearningRateFinderReport.pngPath(forPage: output) != output else {
            throw WeftError(
                "--output must name the HTML page (e.g. lr-find.html), got \(output); its PNG goes beside it")
        }
    }

    /// A line for the user: stdout, or stderr with `--json` (stdout then holds the JSON alone).
    private func say(_ line: String) {
        if json {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            print(line)
            fflush(stdout)
        }
    }
}

/// The progress of the range test on stderr: redrawn in place on a terminal (about ten times
/// a second), else one plain line every tenth of the steps.
private final class StepLine {
    private let steps: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDraw: UInt64 = 0
    private var drawn = false

    init(steps: Int) {
        self.steps = steps
    }

    func show(_ point: LearningRateFinder.Point, index: Int) {
        let text = String(
            format: "lr-find step %d/%d  lr %.2e  loss %.4f  smoothed %.4f", index + 1, steps, point.rate, point.loss,
            point.smoothedLoss)
        if isTerminal {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now - lastDraw > 100_000_000 || index + 1 == steps else { return }
            lastDraw = now
            drawn = true
            FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
        } else if (index + 1) % max(steps / 10, 1) == 0 {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// Ends the redrawn line.
    func end() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
