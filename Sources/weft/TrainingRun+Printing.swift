import ArgumentParser
import Foundation
import Weft

/// What `weft train` and `weft resume` print when a run ends.
extension TrainingRun {
    /// Prints how the run ended: for an interrupted run where its checkpoint went and how to
    /// resume it, then exits with 128 + the signal's number; else the replica check (with
    /// `--check-replicas`) and the checkpoints' paths.
    func printOutcome(_ outcome: Outcome) throws {
        if case .interrupted(let stop) = outcome {
            for line in stop.message { progress.finish(with: line) }
            throw ExitCode(stop.exitStatus)
        }
        if trainer.replicas.checksReplicas {
            let replicas = trainer.replicas
            progress.finish(
                with:
                    "replica check: the weights, buffers and optimiser state of all \(replicas.size) ranks were bit-identical after each of \(replicas.checkedSteps) steps"
            )
        }
        progress.finish(with: "checkpoints: \(lastCheckpoint ?? folder)\(bestCheckpoint.map { ", \($0)" } ?? "")")
    }
}
