import ArgumentParser
import Foundation
import Weft

/// `--threads N`, shared by the commands that compute: threads for the engine and OpenBLAS.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Threads for the engine and OpenBLAS (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard (1...Parallel.maximumThreadCount).contains(threads) else {
            throw ValidationError("--threads must be from 1 to \(Parallel.maximumThreadCount), got \(threads)")
        }
    }

    /// Sets the engine's thread count.
    func apply() {
        Parallel.setThreadCount(threads)
    }
}
