import ArgumentParser
import Foundation
import Weft

/// Runs `body`; a `WeftError` becomes one line on stderr and exit status 1, with no stack trace.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as WeftError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode.failure
    }
}
