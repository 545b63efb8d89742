import ArgumentParser
import Foundation
import Weft

/// `weft bench`: speed measurements.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and evaluation speed, or the engine's kernels.",
        discussion: """
            weft bench CONFIG times the steady-state training step (batch assembly with the \
            config's augmentation, forward, loss, backward, optimiser update) in windows after a \
            warm-up and prints the median images/s (and min–max), the achieved GFLOP/s (forward \
            FLOPs ×3 per image, convolutions counted as direct ones even where Winograd needs fewer), \
            a 2048³ sgemm's GFLOP/s measured in the same process and the ratio, \
            evaluation images/s at --eval-batch, peak RSS, and the median time of each phase. \
            --profile adds the forward and backward time of every layer.

            weft bench --engine times the reference CNN's convolutions forward and backward next to \
            the sgemm, those that run through Winograd also through im2col + sgemm. GFLOP/s always \
            count the direct convolution's FLOPs, whichever algorithm runs.

            Compare with PyTorch in the same run: Tests/Benchmarks/side_by_side.py.
            """
    )

    @Argument(help: "A JSON config to benchmark, e.g. Configs/cnn-bn.json.")
    var file: String?

    @Flag(help: "Benchmark the engine's convolution kernels against sgemm.")
    var engine = false

    @Option(help: "Images per training batch (default: the config's).")
    var batch: Int?

    @Option(help: "Threads for the engine and OpenBLAS.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Steps per timed window.")
    var steps = 20

    @Option(help: "Timed windows (the median is reported).")
    var windows = 5

    @Option(help: "Images per evaluation batch.")
    var evalBatch = 1000

    @Flag(help: "Print the forward and backward time of every layer.")
    var profile = false

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: "Timed repetitions per kernel measurement with --engine.")
    var repetitions = 15

    @Option(
        name: .customLong("set"),
        help: "Override a config value, e.g. --set training.precision=bf16 (repeatable), as weft train does.")
    var overrides: [String] = []

    func validate() throws {
        guard engine || file != nil else { throw ValidationError("give a config to benchmark, or --engine") }
        for (name, value) in [
            ("--threads", threads), ("--steps", steps), ("--windows", windows), ("--eval-batch", evalBatch),
            ("--repetitions", repetitions), ("--batch", batch ?? 1)
        ] where value <= 0 {
            throw ValidationError("\(name) must be positive, got \(value)")
        }
    }

    func run() throws {
        Parallel.setThreadCount(threads)
        try reportingErrors {
            if engine { runEngine() } else if let file { try runConfig(file) }
        }
    }

    private func runConfig(_ file: String) throws {
        var overrides = overrides
        if let batch { overrides.append("training.batchSize=\(batch)") }
        let config = try TrainingConfig.load(path: file, overrides: overrides)
        var benchmark = TrainingBenchmark(config: config, source: file)
        benchmark.stepsPerWindow = steps
        benchmark.windows = windows
        benchmark.evaluationBatchSize = evalBatch
        benchmark.profile = profile
        let result = try benchmark.run()
        if json {
            var members: [(key: String, value: JSONValue)] = [
                ("config", .string(config.name)), ("batchSize", .number(Double(result.batchSize))),
                ("threads", .number(Double(result.threads))),
                ("trainImagesPerSecond", .number(result.trainImagesPerSecond)),
                ("trainImagesPerSecondWindows", .array(result.trainWindows.map { .number($0) })),
                ("evalImagesPerSecond", .number(result.evalImagesPerSecond)),
                ("trainGflops", .number(result.trainGflops)), ("sgemmGflops", .number(result.sgemmGflops)),
                ("peakRSSMegabytes", .number(result.peakRSSMegabytes)),
                ("convolutionProducts", .string(result.convolutionProducts == .bfloat16 ? "bf16" : "fp32")),
                ("phaseSeconds", .object(result.phases.map { ($0.name, JSONValue.number($0.seconds)) }))
            ]
            if profile {
                members.append(
                    (
                        "layers",
                        .array(
                            result.layers.map {
                                .object([
                                    ("name", .string($0.name)), ("forwardSeconds", .number($0.forward)),
                                    ("backwardSeconds", .number($0.backward))
                                ])
                            })
                    ))
            }
            print(JSONValue.object(members).serialized(pretty: false))
            return
        }
        let windows = result.trainWindows
        if let note = result.precisionNote { print(note) }
        print(
            "\(config.name): batch \(result.batchSize), \(result.threads) thread\(result.threads == 1 ? "" : "s"), \(self.windows) windows of \(steps) steps"
        )
        print(
            String(
                format: "train  %8.0f img/s (median; min %.0f, max %.0f)", result.trainImagesPerSecond,
                windows.min() ?? 0, windows.max() ?? 0))
        print(String(format: "eval   %8.0f img/s at batch %d", result.evalImagesPerSecond, evalBatch))
        print(
            String(
                format:
                    "train arithmetic %.1f GFLOP/s = %.0f%% of sgemm's %.1f GFLOP/s (%.2f MFLOP/image forward, ×3; direct-convolution FLOPs, also where Winograd runs)",
                result.trainGflops, 100 * result.trainGflops / result.sgemmGflops, result.sgemmGflops,
                Double(result.flopsPerImage) / 1e6))
        print(String(format: "peak RSS %.0f MB", result.peakRSSMegabytes))
        let total = result.phases.reduce(0) { $0 + $1.seconds }
        print(
            "step phases (median ms): "
                + result.phases.map { String(format: "%@ %.2f", $0.name, 1000 * $0.seconds) }.joined(separator: ", ")
                + String(format: " (total %.2f)", 1000 * total))
        if profile {
            let name = { (layer: (name: String, forward: Double, backward: Double)) in
                layer.name.isEmpty ? "loss (outside the layers)" : layer.name
            }
            let width = result.layers.map { name($0).count }.max() ?? 10
            print("layer".padding(toLength: width, withPad: " ", startingAt: 0) + "   forward ms  backward ms")
            for layer in result.layers {
                print(
                    name(layer).padding(toLength: width, withPad: " ", startingAt: 0)
                        + String(format: "  %11.3f  %11.3f", 1000 * layer.forward, 1000 * layer.backward))
            }
        }
    }

    private func runEngine() {
        let benchmark = EngineBenchmark(batch: batch ?? 128, repetitions: repetitions)
        let sgemm = benchmark.sgemm()
        print("threads \(threads), batch \(benchmark.batch), median of \(repetitions)")
        print(row(sgemm))
        for convolution in EngineBenchmark.referenceConvolutions {
            for winograd in convolution.hasWinogradPath ? [true, false] : [true] {
                let (forward, backward) = benchmark.run(convolution, winograd: winograd)
                print(row(forward, ceiling: sgemm.gflops))
                print(row(backward, ceiling: sgemm.gflops))
            }
        }
        let (poolForward, poolBackward) = benchmark.runReLUMaxPool()
        print(row(poolForward)); print(row(poolBackward))
    }

    private func row(_ result: EngineBenchmark.Result, ceiling: Double? = nil) -> String {
        let name = result.name.padding(toLength: 46, withPad: " ", startingAt: 0)
        let share = ceiling.map { String(format: "  %5.1f%% of sgemm", 100 * result.gflops / $0) } ?? ""
        return String(format: "%@ %9.3f ms %8.1f GFLOP/s", name, result.seconds * 1000, result.gflops) + share
    }
}
