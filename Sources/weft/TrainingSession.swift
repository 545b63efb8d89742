import ArgumentParser
import Foundation
import Weft

/// The MPI job this process belongs to when `mpirun` started it, else nil (see `MPICommunicator`).
func startMPIIfLaunched() throws -> Communicator? {
    var communicator: Communicator?
    try reportingErrors { communicator = try MPICommunicator.startIfLaunched() }
    return communicator
}

/// `weft` with the arguments of a run on `ranks` ranks: `mpirun -np K weft` when K > 1.
func weftCommand(ranks: Int) -> String {
    ranks > 1 ? "mpirun -np \(ranks) weft" : "weft"
}

/// Runs a prepared trainer with checkpoints and signal handling, and reports how it ended.
/// An interrupted run exits with 128 + the signal's number after saying how to resume.
/// On several ranks only rank 0 writes checkpoints; every rank takes part in gathering them.
func runWithCheckpoints(_ trainer: Trainer, folder: String, checkReplicas: Bool = false, timeAllreduce: Bool = false) throws {
    let ranks = trainer.replicas?.size ?? 1
    let writer = CheckpointWriter(folder: folder, settings: trainer.config.checkpoint, removingLeftovers: trainer.isLeader)
    if trainer.isLeader {
        trainer.onCheckpoint = { trainer, moment in try writer.write(trainer, moment: moment) }
    }
    trainer.replicas?.checksReplicas = checkReplicas
    trainer.replicas?.separatesWaiting = timeAllreduce
    Interruption.install()
    trainer.shouldStop = { Interruption.isRequested }
    let outcome = try trainer.train()
    if case .interrupted = outcome {
        trainer.progress.finish(with: "interrupted at epoch \(trainer.state.epoch + 1), step \(trainer.state.step): saved \(writer.lastPath)")
        trainer.progress.finish(with: "resume with: \(weftCommand(ranks: ranks)) resume \(writer.lastPath)")
        throw ExitCode(Interruption.exitStatus)
    }
    if let replicas = trainer.replicas, replicas.checksReplicas {
        trainer.progress.finish(with: "replica check: the weights, buffers and optimiser state of all \(replicas.size) ranks were bit-identical after each of \(replicas.checkedSteps) steps")
    }
    let best = FileManager.default.fileExists(atPath: writer.bestPath) ? ", \(writer.bestPath)" : ""
    trainer.progress.finish(with: "checkpoints: \(writer.lastPath)\(best)")
}
