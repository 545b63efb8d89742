/// A user-facing failure: one sentence that names the file, the place and the fix. The CLI
/// prints `message` to stderr and exits non-zero; no stack trace.
public struct WeftError: Error, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
