import Foundation

/// The progress line on stderr while an epoch runs: epoch, batch n/N, images/s, loss, ETA.
/// On a terminal it redraws one line with a carriage return; otherwise it prints a plain line
/// about every tenth of the epoch.
public final class Progress {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let epochs: Int
    private var lastDraw: UInt64 = 0
    private var lastPlainStep = -1
    private var lineLength = 0
    /// Whether the progress line is printed.
    public var enabled = true
    /// Prints nothing at all, not even `finish` lines (the ranks other than 0 of an MPI run).
    public var muted = false

    public init(epochs: Int) {
        self.epochs = epochs
    }

    /// Shows the state after `batch` of `batches` in `epoch` (1-based), throttled to ~10 draws a second.
    public func update(
        epoch: Int, batch: Int, batches: Int, images: Int, seconds: Double, loss: Double, accuracy: Double
    ) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let rate = seconds > 0 ? Double(images) / seconds : 0
        let remaining = batch > 0 ? seconds / Double(batch) * Double(batches - batch) : 0
        let text = String(
            format: "epoch %d/%d  batch %d/%d  %.0f img/s  loss %.4f  acc %.2f%%  ETA %@",
            epoch, epochs, batch, batches, rate, loss, 100 * accuracy, Progress.duration(remaining))
        if isTerminal {
            guard now - lastDraw > 100_000_000 || batch == batches else { return }
            lastDraw = now
            let padding = String(repeating: " ", count: max(0, lineLength - text.count))
            lineLength = text.count
            write("\r" + text + padding)
        } else {
            let step = batches >= 10 ? batch * 10 / batches : batch
            guard step != lastPlainStep else { return }
            lastPlainStep = step
            write(text + "\n")
        }
    }

    /// Ends the progress line and prints `line` (an epoch summary or a message) on its own line.
    public func finish(with line: String) {
        if isTerminal && lineLength > 0 && enabled {
            write("\r" + String(repeating: " ", count: lineLength) + "\r")
        }
        lineLength = 0
        lastPlainStep = -1
        write(line + "\n")
    }

    private func write(_ text: String) {
        guard !muted else { return }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// `1:05:03`, `4:07` or `12s`.
    public static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        let hours = total / 3600, minutes = total % 3600 / 60, rest = total % 60
        return hours > 0
            ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}
