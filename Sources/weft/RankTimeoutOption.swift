import ArgumentParser
import Foundation

/// `--rank-timeout SECONDS`, shared by the commands that train on several MPI ranks.
struct RankTimeoutOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "On several MPI ranks: seconds a rank waits for the others in one collective before the job ends with an error naming the ranks that did not answer (default 300; the broadcast before the first step waits at least 120).",
            valueName: "seconds"))
    var rankTimeout: Double = 300

    func validate() throws {
        guard rankTimeout.isFinite, rankTimeout > 0 else {
            throw ValidationError("--rank-timeout must be a positive number of seconds, got \(rankTimeout)")
        }
    }
}
