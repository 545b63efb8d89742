import Foundation

/// A Weft checkpoint: a safetensors file (see `SafetensorsFile` and `Models/README.md`) holding
/// the model's parameters and buffers under their dotted names, the optimiser's state under
/// `optimizer.<parameter>.<slot>`, and in `__metadata__` the resolved config, the training
/// state (epoch, step, position in the epoch, generators, partial sums, history, best score),
/// the data normalisation and class names, and two CRC-32s.
public struct Checkpoint {
    /// The format written by this version.
    public static let formatVersion = 1
    public static let formatName = "weft-checkpoint"

    public let file: SafetensorsFile
    public let path: String
    public let config: TrainingConfig
    public let state: TrainingState
    public let optimizerStepCount: Int
    public let normalization: Normalization
    public let classNames: [String]
    /// The thread count the run used (bit-exact resumption needs the same).
    public let threads: Int

    /// Captures `trainer`'s whole state.
    public init(trainer: Trainer) {
        var entries: [SafetensorsFile.Entry] = []
        for named in trainer.parameters + trainer.model.buffers {
            entries.append(.init(name: named.name, shape: named.tensor.shape.dimensions, values: named.tensor.scalars))
        }
        for (name, tensor) in trainer.optimizer.stateTensors().sorted(by: { $0.key < $1.key }) {
            entries.append(.init(name: "optimizer.\(name)", shape: tensor.shape.dimensions, values: tensor.scalars))
        }
        self.init(config: trainer.config, state: trainer.state, optimizerStepCount: trainer.optimizer.stepCount,
                  normalization: trainer.data.normalization, classNames: trainer.data.train.classNames, entries: entries)
    }

    /// A checkpoint of a model that has not been trained by Weft (an imported one): its weights
    /// and buffers, a fresh training state (epoch 0, step 0, the generators of the config's
    /// seed) and no optimiser state. `weft resume` on it trains the config from these weights.
    public init(untrained model: TrainedModel) {
        let entries = (model.model.parameters + model.model.buffers).map {
            SafetensorsFile.Entry(name: $0.name, shape: $0.tensor.shape.dimensions, values: $0.tensor.scalars)
        }
        self.init(config: model.config, state: TrainingState(seed: model.config.training.seed), optimizerStepCount: 0,
                  normalization: model.normalization, classNames: model.classNames, entries: entries)
    }

    private init(config: TrainingConfig, state: TrainingState, optimizerStepCount: Int, normalization: Normalization,
                 classNames: [String], entries: [SafetensorsFile.Entry]) {
        let metadata: [(key: String, value: String)] = [
            ("format", Checkpoint.formatName),
            ("formatVersion", String(Checkpoint.formatVersion)),
            ("weftVersion", Weft.version),
            ("config", config.json.serialized(pretty: false)),
            ("state", state.json.serialized(pretty: false)),
            ("optimizerStepCount", String(optimizerStepCount)),
            ("normalization", normalization.metadataJSON),
            ("classNames", JSONValue.array(classNames.map { .string($0) }).serialized(pretty: false)),
            ("threads", String(Parallel.threadCount)),
        ]
        file = SafetensorsFile(metadata: metadata, entries: entries)
        path = ""
        self.config = config
        self.state = state
        self.optimizerStepCount = optimizerStepCount
        self.normalization = normalization
        self.classNames = classNames
        threads = Parallel.threadCount
    }

    /// Reads and validates a checkpoint: sizes, offsets, checksums, format and version, config.
    public init(path: String) throws {
        try self.init(file: try SafetensorsFile.read(path: path, requireChecksums: true), path: path)
    }

    /// Validates a decoded safetensors file as a checkpoint (format and version, config, state,
    /// normalisation, class names); `path` names it in errors.
    public init(file: SafetensorsFile, path: String) throws {
        func damaged(_ what: String) -> WeftError {
            WeftError("\(path): \(what); the file is damaged or not a Weft checkpoint — use another checkpoint from the run folder")
        }
        guard file.metadata("format") == Checkpoint.formatName else {
            throw WeftError("\(path): not a Weft checkpoint (no \"format\": \"\(Checkpoint.formatName)\" in its metadata); pass a file written by weft train")
        }
        guard let version = file.metadata("formatVersion").flatMap(Int.init), version >= 1 else { throw damaged("no format version") }
        guard version <= Checkpoint.formatVersion else {
            throw WeftError("\(path): checkpoint format version \(version) is newer than this Weft reads (\(Checkpoint.formatVersion)); update Weft")
        }
        guard let configText = file.metadata("config"), let stateText = file.metadata("state"),
              let stepText = file.metadata("optimizerStepCount"), let stepCount = Int(stepText),
              let normalizationText = file.metadata("normalization"), let namesText = file.metadata("classNames") else {
            throw damaged("its metadata lacks config, state, optimizer step, normalization or class names")
        }
        config = try TrainingConfig(json: try JSONParser.parse(configText, source: "\(path) (config)"), source: "\(path) (config)")
        state = try TrainingState(json: try JSONParser.parse(stateText, source: "\(path) (state)"), source: path)
        optimizerStepCount = stepCount
        guard let normalization = Normalization(metadataJSON: normalizationText) else {
            throw damaged("its normalization is malformed")
        }
        self.normalization = normalization
        guard case .array(let names) = try JSONParser.parse(namesText, source: path) else { throw damaged("its class names are malformed") }
        classNames = try names.map { value in
            guard case .string(let name) = value else { throw damaged("its class names are malformed") }
            return name
        }
        threads = file.metadata("threads").flatMap(Int.init).map { min(max($0, 1), Parallel.maximumThreadCount) } ?? 1
        let builder = try ModelBuilder(config: config.model, source: "\(path) (config)")
        guard builder.outputShape == [classNames.count] else {
            throw damaged("it names \(classNames.count) classes but its model outputs \(builder.outputShape)")
        }
        guard normalization.fits(channels: config.model.input[0]) else {
            throw damaged("its normalization has \(normalization.mean.count) values for \(config.model.input[0]) input channels")
        }
        self.file = file
        self.path = path
    }

    /// Copies the saved parameters, buffers, optimiser state and training state into `trainer`
    /// (built from the same model config), checking every name and shape first.
    public func restore(into trainer: Trainer) throws {
        let named = trainer.parameters + trainer.model.buffers
        let entries = file.entriesByName()
        for target in named {
            guard let entry = entries[target.name] else {
                throw WeftError("\(path): has no tensor \(target.name), which the config's model needs; the checkpoint does not belong to this config")
            }
            guard entry.shape == target.tensor.shape.dimensions else {
                throw WeftError("\(path): tensor \(target.name) has shape \(entry.shape) but the config's model needs \(target.tensor.shape); the checkpoint does not match its config")
            }
        }
        let modelNames = Set(named.map(\.name))
        var optimizerTensors: [String: Tensor] = [:]
        for entry in file.entries where !modelNames.contains(entry.name) {
            guard entry.name.hasPrefix("optimizer.") else {
                throw WeftError("\(path): tensor \(entry.name) belongs to no layer of the config's model; the checkpoint does not match its config")
            }
            optimizerTensors[String(entry.name.dropFirst("optimizer.".count))] = Tensor(shape: Shape(entry.shape), scalars: entry.values)
        }
        do {
            try trainer.optimizer.loadState(optimizerTensors, stepCount: optimizerStepCount, parameters: trainer.parameters)
        } catch let error as WeftError {
            throw WeftError("\(path): the optimiser state does not fit the model (\(error.message))")
        }
        for target in named {
            guard let entry = entries[target.name] else { continue }
            entry.values.withUnsafeBufferPointer { target.tensor.data.update(from: $0.baseAddress!, count: entry.values.count) }
        }
        trainer.state = state
    }

    /// Writes the checkpoint atomically to `path`.
    public func write(to path: String) throws {
        try file.write(to: path)
    }
}
