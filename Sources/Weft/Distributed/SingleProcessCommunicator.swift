import Foundation

/// The `Communicator` of a run on one process: one rank, and every collective leaves the values
/// as they are (a sum, broadcast or gather over one rank is the rank's own values). A `Trainer`
/// without MPI runs its `ReplicaGroup` on it, so one loop serves both.
public final class SingleProcessCommunicator: Communicator {
    public let rank = 0
    public let size = 1

    public init() {}

    public func sumInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) throws {}
    public func sumInPlace(_ values: UnsafeMutablePointer<Double>, count: Int) throws {}
    public func broadcastFromRankZero(_ bytes: UnsafeMutableRawPointer, count: Int) throws {}
    public func allGather(_ values: [UInt64]) throws -> [UInt64] { values }
    public func barrier() throws {}

    public func abort(status: Int32) -> Never {
        exit(status)
    }
}
