import ArgumentParser
import Foundation
import Weft

/// Runs a prepared trainer with checkpoints and signal handling, and reports how it ended.
/// An interrupted run exits with 128 + the signal's number after saying how to resume.
func runWithCheckpoints(_ trainer: Trainer, folder: String) throws {
    let writer = CheckpointWriter(folder: folder, settings: trainer.config.checkpoint)
    trainer.onCheckpoint = { trainer, moment in try writer.write(trainer, moment: moment) }
    Interruption.install()
    trainer.shouldStop = { Interruption.isRequested }
    let outcome = try trainer.train()
    if case .interrupted = outcome {
        trainer.progress.finish(with: "interrupted at epoch \(trainer.state.epoch + 1), step \(trainer.state.step): saved \(writer.lastPath)")
        trainer.progress.finish(with: "resume with: weft resume \(writer.lastPath)")
        throw ExitCode(Interruption.exitStatus)
    }
    let best = FileManager.default.fileExists(atPath: writer.bestPath) ? ", \(writer.bestPath)" : ""
    trainer.progress.finish(with: "checkpoints: \(writer.lastPath)\(best)")
}
