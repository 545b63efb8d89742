import Foundation

/// Signals received since `Interruption.install()`; written only by the signal handler.
nonisolated(unsafe) private var receivedSignals: sig_atomic_t = 0
nonisolated(unsafe) private var lastSignal: sig_atomic_t = 0

/// Ctrl-C and SIGTERM handling for a training run: the first signal only sets a flag that the
/// trainer polls after each step (it then saves a checkpoint and stops); a second one exits at
/// once. The handler does no I/O and takes no lock. The job installs it: `TrainingRun.run()`, or
/// `TuneSearch.run()` for all the folds of a search.
public enum Interruption {
    /// Installs the handler for SIGINT and SIGTERM.
    public static func install() {
        receivedSignals = 0
        lastSignal = 0
        let handler: @convention(c) (Int32) -> Void = { signal in
            receivedSignals += 1
            lastSignal = signal
            if receivedSignals >= 2 { _exit(128 + signal) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// Whether a stop was requested.
    public static var isRequested: Bool { receivedSignals > 0 }

    /// The exit status for the signal received (128 + its number), 130 if none.
    public static var exitStatus: Int32 { 128 + (lastSignal == 0 ? SIGINT : lastSignal) }
}
