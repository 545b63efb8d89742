import Foundation

/// What a finished child process left: its exit status, stdout and stderr.
public struct ProcessOutcome {
    public let status: Int32
    public let output: String
    public let errors: String
}

/// Runs `executable` with `arguments` to completion, capturing stdout and stderr.
public func runProcess(_ executable: URL, _ arguments: [String]) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return ProcessOutcome(status: process.terminationStatus, output: text, errors: problems)
}
