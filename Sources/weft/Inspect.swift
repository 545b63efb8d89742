import ArgumentParser
import Foundation
import Weft

/// `weft inspect FILE`: a config's layer table, or a checkpoint's contents.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a config and print its layer table, or describe a checkpoint.",
        discussion: """
            For a config (.json): the layers with output shapes, parameters and FLOPs, and the \
            fusion plan: which layers run as one op and which algorithm each convolution uses; \
            nothing is trained or allocated. FLOPs count the multiply-adds (×2) of convolutions and \
            dense layers for one image's forward pass; a training step costs about three times that.

            For a checkpoint (.safetensors): format version, integrity (both CRC-32s), the run's \
            name and progress, the best validation accuracy, and every tensor with its shape.
            """
    )

    @Argument(help: "A JSON config (Configs/cnn-bn.json) or a checkpoint (Models/cnn-bn/last.safetensors).")
    var file: String

    @Option(
        name: .customLong("set"),
        help: "Override a config value, e.g. --set training.epochs=3 (repeatable; configs only).")
    var overrides: [String] = []

    func run() throws {
        try reportingErrors {
            if file.hasSuffix(".json") {
                try inspectConfig()
            } else {
                try inspectCheckpoint()
            }
        }
    }

    private func inspectConfig() throws {
        let config = try TrainingConfig.load(path: file, overrides: overrides)
        let builder = try ModelBuilder(config: config.model, source: file)
        print("\(config.name): \(file)")
        print(builder.layerTable)
        print(
            "\(builder.parameterCount) parameters, \(ModelBuilder.megaflops(builder.flopsPerImage)) MFLOP per image forward"
        )
        print("fusion plan (how the layers run):")
        print(ModelBuilder.planDescription(config.model.layers, input: config.model.input).joined(separator: "\n"))
    }

    private func inspectCheckpoint() throws {
        let checkpoint = try Checkpoint(path: file)
        let state = checkpoint.state, config = checkpoint.config
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        print(
            "\(file): Weft checkpoint, format version \(checkpoint.file.metadata("formatVersion") ?? "?"), written by Weft \(checkpoint.file.metadata("weftVersion") ?? "?"), \(size) bytes"
        )
        print("integrity: header and data CRC-32 verified")
        print(
            "run: \(config.name), \(config.training.epochs) epochs of batch \(config.training.batchSize), \(config.training.optimizer.type) at \(config.training.optimizer.learningRate), seed \(config.training.seed), \(checkpoint.threads) thread\(checkpoint.threads == 1 ? "" : "s")"
        )
        let position =
            state.batchInEpoch == 0
            ? "after epoch \(state.epoch)" : "inside epoch \(state.epoch + 1) after batch \(state.batchInEpoch)"
        print("progress: step \(state.step), \(position)")
        if let best = state.bestValidationAccuracy, let epoch = state.bestEpoch {
            print(String(format: "best validation accuracy: %.2f%% (epoch %d)", 100 * best, epoch))
        }
        if let last = state.history.last {
            print(
                String(format: "last epoch: train loss %.4f, accuracy %.2f%%", last.trainLoss, 100 * last.trainAccuracy)
            )
        }
        print("classes: \(checkpoint.classNames.joined(separator: ", "))")
        print("tensors:")
        let width = checkpoint.file.entries.map(\.name.count).max() ?? 0
        for entry in checkpoint.file.entries {
            print(
                "  " + entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + ModelBuilder.describe(entry.shape))
        }
    }
}
