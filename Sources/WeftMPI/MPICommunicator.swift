import CMPI
import Dispatch
import Foundation
import Weft

/// `Communicator` on MPI (Open MPI): `MPI_COMM_WORLD` of a job started by `mpirun`.
///
/// MPI is initialised only when the process was launched by an MPI launcher (`mpirun`, `srun`
/// with PMIx), so a plain `weft train` never needs an MPI runtime and behaves exactly as
/// without MPI. Errors of MPI calls are returned (`MPI_ERRORS_RETURN`) and become `WeftError`s.
///
/// Every collective has a deadline, `rankTimeout` seconds: it is started non-blocking
/// (`MPI_Iallreduce`, ...) and polled with `MPI_Test` against the clock. While it waits, the rank
/// answers the probes of other ranks. When the deadline passes, the rank probes every other
/// rank (a one-byte message each, answered by any rank that is waiting in a collective) and
/// throws a `RankTimeout` naming the ranks that did not answer within `probeSeconds`.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    /// Every rank's host name (`MPI_Get_processor_name`), in rank order.
    public let hosts: [String]
    /// Seconds a collective may wait for the other ranks before the job is given up (default 300).
    public var rankTimeout: Double = 300
    /// Seconds the collectives of `duringStartup` (the broadcast of rank 0's weights before the
    /// first step) may wait at least, whatever `rankTimeout` is (default 120): the ranks arrive
    /// there after loading their data, each at its own speed.
    public var startupTimeout: Double = 120
    private let world: MPI_Comm
    private static var initialized = false
    /// Message tags of the probe and its answer (point-to-point, apart from the collectives).
    private static let probeTag: Int32 = 0x7E1, answerTag: Int32 = 0x7E2
    /// The byte a probe and an answer carry; it lives as long as the process (sends may outlive a call).
    private static let signal = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

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
        // Host names, gathered once at the start (fixed-size, NUL-padded).
        let width = Int(weft_mpi_max_processor_name())
        var name = [CChar](repeating: 0, count: width)
        var length: Int32 = 0
        MPI_Get_processor_name(&name, &length)
        var all = [CChar](repeating: 0, count: width * Int(size))
        let status = MPI_Allgather(
            &name, Int32(width), weft_mpi_byte(), &all, Int32(width), weft_mpi_byte(), world)
        hosts = (0..<Int(size)).map { index in
            guard status == weft_mpi_success() else { return "" }
            let bytes = all[(index * width)..<((index + 1) * width)].prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            return String(decoding: bytes, as: UTF8.self)
        }
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
            try complete("MPI_Allreduce") { request in
                MPI_Iallreduce(
                    weft_mpi_in_place(), values + start, length, weft_mpi_float(), weft_mpi_sum(), world, &request)
            }
        }
    }

    public func sumInPlace(_ values: UnsafeMutablePointer<Double>, count: Int) throws {
        try forEachChunk(count) { start, length in
            try complete("MPI_Allreduce") { request in
                MPI_Iallreduce(
                    weft_mpi_in_place(), values + start, length, weft_mpi_double(), weft_mpi_sum(), world, &request)
            }
        }
    }

    public func broadcastFromRankZero(_ bytes: UnsafeMutableRawPointer, count: Int) throws {
        try forEachChunk(count) { start, length in
            try complete("MPI_Bcast") { request in
                MPI_Ibcast(bytes + start, length, weft_mpi_byte(), 0, world, &request)
            }
        }
    }

    public func allGather(_ values: [UInt64]) throws -> [UInt64] {
        var result = [UInt64](repeating: 0, count: values.count * size)
        try values.withUnsafeBufferPointer { source in
            try result.withUnsafeMutableBufferPointer { destination in
                try complete("MPI_Allgather") { request in
                    MPI_Iallgather(
                        source.baseAddress, Int32(values.count), weft_mpi_uint64(),
                        destination.baseAddress, Int32(values.count), weft_mpi_uint64(), world, &request)
                }
            }
        }
        return result
    }

    public func barrier() throws {
        try complete("MPI_Barrier") { request in MPI_Ibarrier(world, &request) }
    }

    // MARK: - Deadlines

    public func duringStartup<T>(_ body: () throws -> T) throws -> T {
        let saved = rankTimeout
        rankTimeout = max(rankTimeout, startupTimeout)
        defer { rankTimeout = saved }
        return try body()
    }

    /// Seconds a collective waits before it also answers probes.
    private static let quietSeconds = 0.1
    /// Seconds the probes after a timeout wait for their answers.
    public var probeSeconds: Double { min(10, max(1, rankTimeout / 4)) }

    /// Starts a non-blocking collective with `start` and polls it to completion, answering
    /// probes meanwhile; past `rankTimeout` seconds, probes the other ranks and throws a
    /// `RankTimeout`.
    private func complete(_ operation: String, _ start: (inout MPI_Request?) -> Int32) throws {
        var request: MPI_Request?
        try check(start(&request), operation)
        let started = Self.now(), deadline = started + rankTimeout
        var done: Int32 = 0
        while true {
            try check(MPI_Test(&request, &done, weft_mpi_status_ignore()), operation)
            if done != 0 { return }
            let now = Self.now()
            // Probes come only from a rank whose own collective timed out, so this one waits
            // too: a collective of normal length polls nothing else.
            if now - started > Self.quietSeconds { answerProbes() }
            if now > deadline { break }
        }
        throw RankTimeout(
            rank: rank, size: size, silentRanks: silentRanks(), hosts: hosts, seconds: rankTimeout,
            operation: operation)
    }

    /// Answers every probe that has arrived from another rank.
    private func answerProbes() {
        var arrived: Int32 = 0
        var status = MPI_Status()
        while MPI_Iprobe(weft_mpi_any_source(), Self.probeTag, world, &arrived, &status) == weft_mpi_success(),
            arrived != 0
        {
            var byte: UInt8 = 0
            MPI_Recv(&byte, 1, weft_mpi_byte(), status.MPI_SOURCE, Self.probeTag, world, weft_mpi_status_ignore())
            var answer: MPI_Request?
            MPI_Isend(Self.signal, 1, weft_mpi_byte(), status.MPI_SOURCE, Self.answerTag, world, &answer)
            MPI_Request_free(&answer)
        }
    }

    /// The other ranks that do not answer a probe within `probeSeconds`.
    private func silentRanks() -> [Int] {
        let others = (0..<size).filter { $0 != rank }
        let answers = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        // Left allocated: a receive that never completes still points into it until the job ends.
        var receives = [MPI_Request?](repeating: nil, count: size)
        for other in others {
            var probe: MPI_Request?
            MPI_Isend(Self.signal, 1, weft_mpi_byte(), Int32(other), Self.probeTag, world, &probe)
            MPI_Request_free(&probe)
            MPI_Irecv(answers + other, 1, weft_mpi_byte(), Int32(other), Self.answerTag, world, &receives[other])
        }
        var answered = Set<Int>()
        let deadline = Self.now() + probeSeconds
        while answered.count < others.count, Self.now() < deadline {
            for other in others where !answered.contains(other) {
                var done: Int32 = 0
                if MPI_Test(&receives[other], &done, weft_mpi_status_ignore()) == weft_mpi_success(), done != 0 {
                    answered.insert(other)
                }
            }
            answerProbes()
        }
        return others.filter { !answered.contains($0) }
    }

    private static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    /// `MPI_Abort`; if it cannot reach the launcher (a cut network) within 10 s, the process
    /// exits by itself, so that its launcher sees it end.
    public func abort(status: Int32) -> Never {
        DispatchQueue.global().asyncAfter(deadline: .now() + 10) { _exit(status) }
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
