import Dispatch
import Foundation

/// What a finished child process left: its exit status, stdout and stderr.
public struct ProcessOutcome {
    public let status: Int32
    public let output: String
    public let errors: String
}

/// Runs `executable` with `arguments` to completion, capturing stdout and stderr.
///
/// Both pipes are drained at the same time (stderr on another thread): reading one to its end
/// first would deadlock on a child that fills the other pipe's buffer (64 KiB) and waits.
public func runProcess(_ executable: URL, _ arguments: [String]) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let drained = DrainedPipe(errors.fileHandleForReading)
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let problems = String(decoding: drained.wait(), as: UTF8.self)
    process.waitUntilExit()
    return ProcessOutcome(status: process.terminationStatus, output: text, errors: problems)
}

/// A pipe read to its end on a background thread.
private final class DrainedPipe: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchGroup()

    init(_ handle: FileHandle) {
        done.enter()
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.leave()
        }
    }

    /// Everything the pipe carried, once its writer has closed it.
    func wait() -> Data {
        done.wait()
        return data
    }
}
