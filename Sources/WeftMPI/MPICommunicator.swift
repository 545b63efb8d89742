import CMPI
import Weft
import Foundation

/// `Communicator` on MPI (Open MPI): `MPI_COMM_WORLD` of a job started by `mpirun`.
///
/// MPI is initialised only when the process was launched by an MPI launcher (`mpirun`, `srun`
/// with PMIx), so a plain `weft train` never needs an MPI runtime and behaves exactly as
/// without MPI. Errors of MPI calls are returned (`MPI_ERRORS_RETURN`) and become `WeftError`s.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    private let world: MPI_Comm
    private static var initialized = false

    /// The environment variables an MPI launcher sets in each process it starts.
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"]

    /// Whether this process was started by an MPI launcher.
    public static var isLaunchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return launcherVariables.contains { environment[$0] != nil }
    }

    /// The communicator of the job when launched by `mpirun` (initialising MPI), else nil.
    public static func startIfLaunched() throws -> MPICommunicator? {
        guard isLaunchedByMPI else { return nil }
        return try MPICommunicator()
    }

    private init() throws {
        var provided: Int32 = 0
        if !MPICommunicator.initialized {
            let status = MPI_Init_thread(nil, nil, weft_mpi_thread_funneled(), &provided)
            guard status == weft_mpi_success() else {
                throw WeftError(
                    "MPI_Init failed (error \(status)); is this run by mpirun of the same Open MPI that Weft was built with?"
                )
            }
            MPICommunicator.initialized = true
            atexit { MPICommunicator.finalize() }
        }
        world = weft_mpi_comm_world()
        MPI_Comm_set_errhandler(world, weft_mpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// `MPI_Finalize`, once, at exit.
    private static func finalize() {
        guard initialized else { return }
        initialized = false
        MPI_Finalize()
    }

    private func check(_ status: Int32, _ what: String) throws {
        guard status != weft_mpi_success() else { return }
        var length: Int32 = 0
        var text = [CChar](repeating: 0, count: 1024)
        MPI_Error_string(status, &text, &length)
        throw WeftError("rank \(rank): \(what) failed: \(String(cString: text)) (another rank has probably failed)")
    }

    public func sumInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
        try forEachChunk(count) { start, length in
            try check(
                MPI_Allreduce(weft_mpi_in_place(), values + start, length, weft_mpi_float(), weft_mpi_sum(), world),
                "MPI_Allreduce")
        }
    }

    public func sumInPlace(_ values: UnsafeMutablePointer<Double>, count: Int) throws {
        try forEachChunk(count) { start, length in
            try check(
                MPI_Allreduce(weft_mpi_in_place(), values + start, length, weft_mpi_double(), weft_mpi_sum(), world),
                "MPI_Allreduce")
        }
    }

    public func broadcastFromRankZero(_ bytes: UnsafeMutableRawPointer, count: Int) throws {
        try forEachChunk(count) { start, length in
            try check(MPI_Bcast(bytes + start, length, weft_mpi_byte(), 0, world), "MPI_Bcast")
        }
    }

    public func allGather(_ values: [UInt64]) throws -> [UInt64] {
        var result = [UInt64](repeating: 0, count: values.count * size)
        try values.withUnsafeBufferPointer { source in
            try result.withUnsafeMutableBufferPointer { destination in
                try check(
                    MPI_Allgather(
                        source.baseAddress, Int32(values.count), weft_mpi_uint64(),
                        destination.baseAddress, Int32(values.count), weft_mpi_uint64(), world), "MPI_Allgather")
            }
        }
        return result
    }

    public func barrier() throws {
        try check(MPI_Barrier(world), "MPI_Barrier")
    }

    public func abort(status: Int32) -> Never {
        MPI_Abort(world, status)
        _exit(status)
    }

    /// MPI counts are 32-bit: larger buffers go in chunks.
    private func forEachChunk(_ count: Int, _ body: (Int, Int32) throws -> Void) throws {
        let chunk = Int(Int32.max / 8)
        var start = 0
        while start < count {
            let length = min(chunk, count - start)
            try body(start, Int32(length))
            start += length
        }
    }
}
