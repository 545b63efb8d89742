import Weft
import XCTest

/// The pieces of data-parallel training that need no MPI: how a global batch is shared, how a
/// step's gradients are weighted, per-rank seeds, and the checkpoint's per-rank generators.
final class ReplicaGroupTests: XCTestCase {
    /// A communicator of `size` ranks seen from `rank`, whose collectives act as if every other
    /// rank held the same values (enough for arithmetic checks; it never talks to anyone).
    final class MirrorCommunicator: Communicator {
        let rank: Int, size: Int
        init(rank: Int, size: Int) { self.rank = rank; self.size = size }
        func sumInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
            for i in 0..<count { values[i] *= Float(size) }
        }
        func sumInPlace(_ values: UnsafeMutablePointer<Double>, count: Int) throws {
            for i in 0..<count { values[i] *= Double(size) }
        }
        func allGather(_ values: [UInt64]) throws -> [UInt64] {
            Array([[UInt64]](repeating: values, count: size).joined())
        }
        func barrier() throws {}
        func abort(status: Int32) -> Never { fatalError("abort \(status)") }
        /// Broadcasts made inside and outside `duringStartup`.
        private(set) var broadcastsAtStartup = 0, broadcastsLater = 0
        private var inStartup = false
        func duringStartup<T>(_ body: () throws -> T) throws -> T {
            inStartup = true
            defer { inStartup = false }
            return try body()
        }
        func broadcastFromRankZero(_ bytes: UnsafeMutableRawPointer, count: Int) throws {
            if inStartup { broadcastsAtStartup += 1 } else { broadcastsLater += 1 }
        }
    }

    /// The broadcast of rank 0's state before the first step is the one collective made with the
    /// startup deadline (`MPICommunicator` waits at least `startupTimeout` there).
    func testTheFirstBroadcastRunsWithTheStartupDeadline() throws {
        let communicator = MirrorCommunicator(rank: 0, size: 2)
        let weight = Tensor(shape: [3], scalars: [1, 2, 3], requiresGradient: true)
        let parameters = [NamedParameter(name: "w", tensor: weight)]
        try ReplicaGroup(communicator: communicator).broadcastFromRankZero(
            parameters: parameters, buffers: [], optimizer: try SGD())
        XCTAssertGreaterThan(communicator.broadcastsAtStartup, 0)
        XCTAssertEqual(communicator.broadcastsLater, 0, "every broadcast of the start is inside duringStartup")
    }

    func testEveryImageOfAGlobalBatchGoesToExactlyOneRankInOrder() {
        let batch = Array(100..<164)[5..<42]  // 37 images, a slice not starting at 0
        for size in [1, 2, 3, 4, 7] {
            let shards = (0..<size).map {
                ReplicaGroup(communicator: MirrorCommunicator(rank: $0, size: size)).shard(of: batch)
            }
            XCTAssertEqual(Array(shards.joined()), Array(batch), "\(size) ranks")
            let counts = shards.map(\.count)
            XCTAssertLessThanOrEqual(
                (counts.max() ?? 0) - (counts.min() ?? 0), 1, "\(size) ranks: balanced shards \(counts)")
        }
    }

    func testGradientsAreWeightedByTheShardAndBuffersAveraged() throws {
        let group = ReplicaGroup(communicator: MirrorCommunicator(rank: 1, size: 4))
        let weight = Tensor(shape: [3], scalars: [1, 2, 3], requiresGradient: true)
        weight.gradient = Tensor(shape: [3], scalars: [4, 8, -12])
        let running = Tensor(shape: [2], scalars: [0.5, 7])
        group.beginStep(shardCount: 16, globalCount: 64)
        let reduced = try group.averageGradients(
            [NamedParameter(name: "w", tensor: weight)], buffers: [NamedParameter(name: "r", tensor: running)])
        XCTAssertEqual(reduced, 5)
        // Every mirrored rank holds the same shard gradient g: Σ_r (16/64)·g = g; buffers: mean = itself.
        XCTAssertEqual(weight.gradient?.scalars, [4, 8, -12])
        XCTAssertEqual(running.scalars, [0.5, 7])
        XCTAssertEqual(weight.scalars, [1, 2, 3], "parameters are untouched")
    }

    func testRankZeroKeepsTheSeedAndOtherRanksGetTheirOwn() {
        XCTAssertEqual(SeedDerivation.seed(1234, replica: 0), 1234, "rank 0 draws what a run without MPI draws")
        let seeds = Set((0..<64).map { SeedDerivation.seed(1234, replica: $0) })
        XCTAssertEqual(seeds.count, 64)
    }

    func testPerRankGeneratorsRoundTripThroughTheCheckpointState() throws {
        var state = TrainingState(seed: 5)
        state.replicaGenerators = (0..<3).map {
            ReplicaGenerators(
                dropout: RandomGenerator(seed: UInt64($0)), augmentation: RandomGenerator(seed: UInt64(100 + $0)))
        }
        let text = state.json.serialized(pretty: false)
        XCTAssertTrue(text.contains("\"ranks\""))
        let read = try TrainingState(json: try JSONParser.parse(text, source: "state"), source: "test")
        XCTAssertEqual(read, state)
        XCTAssertFalse(
            TrainingState(seed: 5).json.serialized(pretty: false).contains("ranks"),
            "a run on one process writes the state exactly as before")
    }
}
