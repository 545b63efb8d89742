import ArgumentParser
import Foundation
import Weft

/// `weft bench`: speed measurements.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine's speed.",
        discussion: """
            --engine times the forward and backward passes of the reference CNN's convolutions \
            (im2col + sgemm) and a large square sgemm in the same process, and prints GFLOP/s.
            """
    )

    @Flag(help: "Benchmark the engine's convolution kernels against sgemm.")
    var engine = false

    @Option(help: "Images per batch.")
    var batch = 128

    @Option(help: "Threads for the engine and OpenBLAS.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Timed repetitions per measurement (the median is reported).")
    var repetitions = 15

    func validate() throws {
        guard engine else { throw ValidationError("choose what to benchmark: --engine") }
        guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
        guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
        guard repetitions > 0 else { throw ValidationError("--repetitions must be positive, got \(repetitions)") }
    }

    func run() throws {
        Parallel.setThreadCount(threads)
        let benchmark = EngineBenchmark(batch: batch, repetitions: repetitions)
        let sgemm = benchmark.sgemm()
        print("threads \(threads), batch \(batch), median of \(repetitions)")
        print(row(sgemm))
        for convolution in EngineBenchmark.referenceConvolutions {
            let (forward, backward) = benchmark.run(convolution)
            print(row(forward, ceiling: sgemm.gflops))
            print(row(backward, ceiling: sgemm.gflops))
        }
    }

    private func row(_ result: EngineBenchmark.Result, ceiling: Double? = nil) -> String {
        let name = result.name.padding(toLength: 36, withPad: " ", startingAt: 0)
        let share = ceiling.map { String(format: "  %5.1f%% of sgemm", 100 * result.gflops / $0) } ?? ""
        return String(format: "%@ %9.3f ms %8.1f GFLOP/s", name, result.seconds * 1000, result.gflops) + share
    }
}
