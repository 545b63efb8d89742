import ArgumentParser
import Foundation
import Weft
import WeftMPI

/// The MPI job this process belongs to when `mpirun` started it, else nil (see `MPICommunicator`),
/// its collectives limited to `rankTimeout` seconds.
func startMPIIfLaunched(rankTimeout: RankTimeoutOption) throws -> Communicator? {
    var communicator: MPICommunicator?
    try reportingErrors { communicator = try MPICommunicator.startIfLaunched() }
    communicator?.rankTimeout = rankTimeout.rankTimeout
    return communicator
}

/// Runs `body`; a `WeftError` becomes one line on stderr and exit status 1, with no stack trace.
///
/// In a job of several MPI ranks any error of one rank ends the whole job (`MPI_Abort`) after
/// one line naming the rank: the other ranks would otherwise wait for it forever.
func reportingErrors(_ communicator: Communicator? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as WeftError {
        if let communicator, communicator.size > 1 {
            FileHandle.standardError.write(
                Data("error: rank \(communicator.rank) of \(communicator.size): \(error.message)\n".utf8))
            communicator.abort(status: 1)
        }
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode.failure
    } catch let timeout as RankTimeout {
        // The message names the ranks that did not answer; every rank that waited says it.
        FileHandle.standardError.write(Data("error: \(timeout.message)\n".utf8))
        communicator?.abort(status: 1)
        throw ExitCode.failure
    } catch let exit as ExitCode {
        throw exit
    } catch {
        if let communicator, communicator.size > 1 {
            FileHandle.standardError.write(
                Data("error: rank \(communicator.rank) of \(communicator.size): \(error)\n".utf8))
            communicator.abort(status: 1)
        }
        throw error
    }
}
