import Weft
import XCTest

/// The sentence a rank timeout ends a job with, and what the replica group adds to it; the real
/// timeout (a stopped rank under `mpirun`) is in `MPITrainingTests`.
final class RankTimeoutTests: XCTestCase {
    /// Two ranks whose collectives never complete: each throws the timeout MPI's would.
    final class SilentCommunicator: Communicator {
        let rank = 0, size = 2
        private func timeout(_ operation: String) -> RankTimeout {
            RankTimeout(rank: 0, size: 2, silentRanks: [1], hosts: ["a", "b"], seconds: 20, operation: operation)
        }
        func sumInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) throws { throw timeout("MPI_Allreduce") }
        func sumInPlace(_ values: UnsafeMutablePointer<Double>, count: Int) throws { throw timeout("MPI_Allreduce") }
        func broadcastFromRankZero(_ bytes: UnsafeMutableRawPointer, count: Int) throws { throw timeout("MPI_Bcast") }
        func allGather(_ values: [UInt64]) throws -> [UInt64] { throw timeout("MPI_Allgather") }
        func barrier() throws { throw timeout("MPI_Barrier") }
        func abort(status: Int32) -> Never { fatalError("abort \(status)") }
    }

    func testTheMessageNamesTheRankItsHostTheWaitTheCheckpointAndTheResumeCommand() {
        var timeout = RankTimeout(
            rank: 0, size: 2, silentRanks: [1], hosts: ["a", "b"], seconds: 20, operation: "MPI_Allreduce")
        timeout.during = "the gradient allreduce"
        timeout.position = "step 57 (epoch 2)"
        timeout.knowsCheckpoints = true
        timeout.lastCheckpoint = "Models/cnn-bn/last.safetensors"
        timeout.resumeCommand = "mpirun -np 2 weft resume Models/cnn-bn/last.safetensors"
        XCTAssertEqual(
            timeout.message,
            "rank 1 of 2 (host b) did not answer within 20 s during the gradient allreduce (MPI_Allreduce) at step 57 (epoch 2); the last checkpoint is Models/cnn-bn/last.safetensors; resume with: mpirun -np 2 weft resume Models/cnn-bn/last.safetensors"
        )
        timeout.lastCheckpoint = nil
        timeout.resumeCommand = nil
        XCTAssertTrue(timeout.message.hasSuffix("; no checkpoint was written yet; start the run again"))
    }

    func testSeveralSilentRanksEveryAnswerAndAnUnknownRunAreSaidAsSuch() {
        var timeout = RankTimeout(
            rank: 0, size: 4, silentRanks: [2, 3], hosts: ["a", "a", "c", ""], seconds: 2.5, operation: "MPI_Bcast")
        XCTAssertEqual(
            timeout.message,
            "ranks 2, 3 of 4 (hosts c, unknown) did not answer within 2.5 s during MPI_Bcast; the checkpoints written so far are intact: resume from the newest with mpirun -np 4 weft resume"
        )
        timeout.silentRanks = []
        XCTAssertTrue(
            timeout.message.hasPrefix(
                "every rank answered the probes of rank 0 of 4 (host a), but a collective did not complete within 2.5 s"
            ),
            timeout.message)
    }

    func testTheReplicaGroupSaysWhichCollectiveTimedOut() throws {
        let group = ReplicaGroup(communicator: SilentCommunicator())
        XCTAssertThrowsError(try group.sumStepStatistics(lossSum: 1, correct: 1, images: 1, stopRequested: false)) {
            XCTAssertEqual(($0 as? RankTimeout)?.during, "the sum of the step's loss and accuracy")
        }
        let weight = NamedParameter(name: "w", tensor: Tensor(shape: [2], scalars: [1, 2], requiresGradient: true))
        XCTAssertThrowsError(try group.averageGradients([weight], buffers: [])) {
            XCTAssertEqual(($0 as? RankTimeout)?.during, "the gradient allreduce")
        }
        XCTAssertThrowsError(
            try group.gatherGenerators(dropout: RandomGenerator(seed: 1), augmentation: RandomGenerator(seed: 2))
        ) {
            XCTAssertEqual(($0 as? RankTimeout)?.during, "the gathering of the ranks' generators for a checkpoint")
        }
    }
}
