/// The collective operations data-parallel training needs between the processes ("ranks") of one
/// job, as MPI defines them. Every rank must make the same calls in the same order with buffers
/// of the same sizes; results are identical on every rank.
///
/// `MPICommunicator` (target `WeftMPI`, which the command line links) implements it on MPI; the
/// library knows only this protocol, so it builds, is tested and runs without Open MPI. A plain
/// run's `Trainer.replicas` runs on a `SingleProcessCommunicator`.
public protocol Communicator: AnyObject {
    /// This process's index, `0..<size`; rank 0 prints and writes.
    var rank: Int { get }
    /// The number of processes training together.
    var size: Int { get }

    /// Replaces `values` on every rank by their elementwise sum over all ranks
    /// (`MPI_Allreduce(MPI_IN_PLACE, ..., MPI_SUM)`).
    func sumInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) throws
    /// The same for doubles.
    func sumInPlace(_ values: UnsafeMutablePointer<Double>, count: Int) throws
    /// Copies rank 0's `bytes` to every other rank (`MPI_Bcast`).
    func broadcastFromRankZero(_ bytes: UnsafeMutableRawPointer, count: Int) throws
    /// Every rank's `values` (the same count on each), concatenated in rank order (`MPI_Allgather`).
    func allGather(_ values: [UInt64]) throws -> [UInt64]
    /// Returns when every rank has called it (`MPI_Barrier`).
    func barrier() throws
    /// Ends the whole job at once with `status` (`MPI_Abort`): for an error on one rank, which
    /// would otherwise leave the others waiting forever.
    func abort(status: Int32) -> Never
    /// Runs `body`, whose collectives are the first after every rank loaded its data, with a
    /// deadline that allows for ranks that load at different speeds (a cold image cache, a
    /// slower disk): `MPICommunicator` waits at least `startupTimeout` there.
    func duringStartup<T>(_ body: () throws -> T) throws -> T
}

extension Communicator {
    /// `body` as it is: a communicator without deadlines has no startup to allow for.
    public func duringStartup<T>(_ body: () throws -> T) throws -> T {
        try body()
    }

    /// Rank 0's byte string on every rank: its length first, then its bytes.
    public func broadcastFromRankZero(_ bytes: [UInt8]) throws -> [UInt8] {
        var length = UInt64(bytes.count)
        try withUnsafeMutableBytes(of: &length) { try broadcastFromRankZero($0.baseAddress!, count: 8) }
        var result = rank == 0 ? bytes : [UInt8](repeating: 0, count: Int(length))
        if length > 0 {
            try result.withUnsafeMutableBytes { try broadcastFromRankZero($0.baseAddress!, count: Int(length)) }
        }
        return result
    }

    /// Rank 0's `values` on every rank.
    public func broadcastFromRankZero(_ values: inout [Float]) throws {
        let count = values.count
        if count > 0 {
            try values.withUnsafeMutableBytes { try broadcastFromRankZero($0.baseAddress!, count: count * 4) }
        }
    }

    /// The sum over all ranks of `values`.
    public func sum(_ values: [Double]) throws -> [Double] {
        var result = values
        let count = result.count
        try result.withUnsafeMutableBufferPointer { try sumInPlace($0.baseAddress!, count: count) }
        return result
    }
}
