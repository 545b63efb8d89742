import Dispatch
import Foundation

/// What a finished child process left: its exit status, stdout and stderr.
public struct ProcessOutcome {
    public let status: Int32
    public let output: String
    public let errors: String
    /// Whether the child ran past its time limit and was stopped (`status` is then the signal's
    /// number). `runProcess` returns only outcomes that did not: a timed-out one comes in the
    /// `ProcessTimedOut` it throws.
    public let timedOut: Bool
}

/// A child process that ran past its time limit and was stopped. Thrown out of a test, XCTest
/// records it as a failure whose message names the command.
public struct ProcessTimedOut: Error, CustomStringConvertible {
    /// The executable's path and its arguments, as one line.
    public let command: String
    public let timeLimit: TimeInterval
    /// What the child wrote before it was stopped; `timedOut` is true.
    public let outcome: ProcessOutcome

    public var description: String {
        let tail = outcome.errors.suffix(2000)
        return "\(command) ran past its time limit of \(timeLimit) s and was stopped"
            + (tail.isEmpty ? "" : "; the end of its stderr:\n\(tail)")
    }
}

/// Runs `executable` with `arguments` to completion, capturing stdout and stderr.
///
/// Both pipes are drained at the same time (each on a thread of its own): reading one to its
/// end first would deadlock on a child that fills the other pipe's buffer (64 KiB) and waits.
///
/// A child still running (or a pipe still open) after `timeLimit` seconds is sent SIGTERM, then
/// SIGKILL 5 s later if it is still there, together with its process group (Foundation starts
/// each child as a group of its own, so a shell's children go too), and `ProcessTimedOut` is
/// thrown with what it wrote: a hung command fails its test naming the command instead of
/// hanging the suite.
public func runProcess(
    _ executable: URL, _ arguments: [String], timeLimit: TimeInterval = 600
) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    let pid = process.processIdentifier
    let leadsGroup = getpgid(pid) == pid  // Foundation starts each child as a process group of its own
    let deadline = DispatchTime.now() + timeLimit
    let drainedOutput = DrainedPipe(output.fileHandleForReading)
    let drainedErrors = DrainedPipe(errors.fileHandleForReading)
    var hasExited = exited.wait(timeout: deadline) == .success
    let timedOut = !hasExited || !drainedOutput.wait(until: deadline) || !drainedErrors.wait(until: deadline)
    if timedOut {
        /// Sends `signal` to the child's group (its own children too), or to the child alone.
        func send(_ signal: Int32) {
            if leadsGroup { kill(-pid, signal) } else if !hasExited { kill(pid, signal) }
        }
        if !hasExited {
            send(SIGTERM)
            hasExited = exited.wait(timeout: .now() + 5) == .success
        }
        send(SIGKILL)  // the child if it is still there, and what is left of its group
        if !hasExited { exited.wait() }
        // Something outside the group may still hold a pipe open: take what came so far.
        _ = drainedOutput.wait(until: .now() + 2)
        _ = drainedErrors.wait(until: .now() + 2)
    }
    process.waitUntilExit()
    let outcome = ProcessOutcome(
        status: process.terminationStatus, output: String(decoding: drainedOutput.data, as: UTF8.self),
        errors: String(decoding: drainedErrors.data, as: UTF8.self), timedOut: timedOut)
    if timedOut {
        throw ProcessTimedOut(
            command: ([executable.path] + arguments).joined(separator: " "), timeLimit: timeLimit, outcome: outcome)
    }
    return outcome
}

/// A pipe read to its end on a thread of its own.
private final class DrainedPipe: @unchecked Sendable {
    private var read = Data()
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { read.append(chunk) }
            }
            done.signal()
        }
    }

    /// Waits until the pipe's writers have all closed it or `deadline` passes; whether they did.
    func wait(until deadline: DispatchTime) -> Bool {
        guard done.wait(timeout: deadline) == .success else { return false }
        done.signal()  // later waits return at once
        return true
    }

    /// What the pipe has carried so far: everything, once `wait` has returned true.
    var data: Data { lock.withLock { read } }
}
