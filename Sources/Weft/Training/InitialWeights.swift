import Foundation

/// Fine-tuning's starting point (`weft train CONFIG --init-from CHECKPOINT`): the parameters and
/// buffers of a Weft checkpoint copied into a freshly initialised model wherever name and shape
/// agree (`WeightMatch` in `.partial` mode), the rest left at their initial values.
///
/// A run applies them after the model's own seeded initialisation and before its first step, so
/// the same seed and the same checkpoint give a bit-identical run. The run folder records where
/// they came from in `initial-weights.json` (`json`): the path and the checkpoint's two CRC-32s
/// (`dataCrc32` of its tensors, `headerCrc32` of its header; see `Models/README.md`), verified
/// when it was read. `weft resume` does not apply them again: its checkpoint holds the weights.
public struct InitialWeights {
    /// The name of the record in the run folder.
    public static let fileName = "initial-weights.json"

    /// The argument as given: a checkpoint or a run folder.
    public let target: String
    /// The checkpoint read (for a run folder, its `last.safetensors`, else `best.safetensors`).
    public let checkpoint: String
    /// The checkpoint's stored CRC-32s (eight hex digits each).
    public let dataCrc32: String
    public let headerCrc32: String
    /// The model tensors copied, in model order, with their shapes.
    public let copied: [(name: String, shape: [Int])]
    /// Whether they came from the checkpoint's moving average (`average.*`, a run with
    /// `training.ema`) rather than its weights.
    public let fromAverage: Bool
    /// The model tensors left at their initial values: none saved under the name (`missing`) or
    /// one of another shape (`wrongShape`).
    public let left: [WeightMismatch]
    /// The checkpoint's tensors that no parameter or buffer of the model wants (`unexpected`).
    public let unused: [WeightMismatch]

    /// Reads `target` (a checkpoint or a run folder) and copies its fitting tensors into `targets`.
    /// - Parameter targets: the model's parameters and buffers.
    /// - Throws: `WeftError` when `target` is no run folder or readable checkpoint, or when none
    ///   of its tensors fits the model (then nothing is copied).
    public init(loading target: String, into targets: [NamedParameter]) throws {
        let path = try RunFolder.locateCheckpoint(target, purpose: "to initialise from").checkpoint
        let checkpoint = try Checkpoint(path: path)
        let snapshot = checkpoint.snapshot
        let saved = snapshot.inferenceModel
        let match = WeightMatch(targets: targets, saved: saved, mode: .partial)
        guard !match.pairs.isEmpty else {
            throw WeftError(
                "\(path): none of its \(saved.count) tensors matches a parameter or buffer of the config's model by name and shape, so there is nothing to fine-tune from; pass a checkpoint of a model with the same first layers (compare them with weft inspect)"
            )
        }
        match.copy()
        self.target = target
        self.checkpoint = path
        fromAverage = !snapshot.averagedModel.isEmpty
        dataCrc32 = checkpoint.file.metadata("dataCrc32") ?? ""
        headerCrc32 = checkpoint.file.metadata("headerCrc32") ?? ""
        copied = match.pairs.map { ($0.target.name, $0.target.tensor.shape.dimensions) }
        left = match.left
        unused = match.unused
    }

    /// What the run prints: what was copied, what kept its initial value (with both shapes for a
    /// changed layer), and what of the checkpoint went unused.
    public var lines: [String] {
        var lines = [
            "initial weights from \(checkpoint)\(fromAverage ? "'s moving average" : "") (data CRC-32 \(dataCrc32)): copied \(copied.count) tensor\(copied.count == 1 ? "" : "s"): "
                + copied.map(\.name).joined(separator: ", ")
        ]
        if !left.isEmpty {
            lines.append(
                "left at their initial values: "
                    + left.map { mismatch -> String in
                        switch mismatch {
                        case .wrongShape(let name, let saved, let needed):
                            return "\(name) \(Shape(needed)) (the checkpoint's is \(Shape(saved)))"
                        case .missing(let name, let shape):
                            return "\(name) \(Shape(shape)) (not in the checkpoint)"
                        case .unexpected(let name, _):
                            return name
                        }
                    }.joined(separator: ", "))
        }
        if !unused.isEmpty {
            lines.append(
                "unused tensors of the checkpoint: "
                    + unused.map { mismatch -> String in
                        if case .unexpected(let name, let shape) = mismatch { return "\(name) \(Shape(shape))" }
                        return ""
                    }.joined(separator: ", "))
        }
        return lines
    }

    /// The record written to the run folder as `initial-weights.json`.
    public var json: JSONValue {
        func shape(_ dimensions: [Int]) -> JSONValue { .array(dimensions.map { .number(Double($0)) }) }
        return .object([
            ("from", .string(target)), ("checkpoint", .string(checkpoint)),
            ("dataCrc32", .string(dataCrc32)), ("headerCrc32", .string(headerCrc32)),
            ("weights", .string(fromAverage ? "movingAverage" : "weights")),
            ("copied", .array(copied.map { .object([("name", .string($0.name)), ("shape", shape($0.shape))]) })),
            (
                "left",
                .array(
                    left.map { mismatch in
                        switch mismatch {
                        case .wrongShape(let name, let saved, let needed):
                            return .object([
                                ("name", .string(name)), ("shape", shape(needed)), ("checkpointShape", shape(saved))
                            ])
                        case .missing(let name, let needed), .unexpected(let name, let needed):
                            return .object([("name", .string(name)), ("shape", shape(needed))])
                        }
                    })
            ),
            (
                "unused",
                .array(
                    unused.map { mismatch in
                        guard case .unexpected(let name, let saved) = mismatch else { return .null }
                        return .object([("name", .string(name)), ("shape", shape(saved))])
                    })
            )
        ])
    }
}
