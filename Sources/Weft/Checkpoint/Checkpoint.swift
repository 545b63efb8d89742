import Foundation

/// A Weft checkpoint: a safetensors file (see `SafetensorsFile` and `Models/README.md`) holding
/// the model's parameters and buffers under their dotted names, the optimiser's state under
/// `optimizer.<parameter>.<slot>`, with `training.ema` the moving average of the parameters and
/// buffers under `average.<name>`, and in `__metadata__` the resolved config, the training
/// state (epoch, step, position in the epoch, generators, partial sums, history, best score),
/// the data normalisation and class names, and two CRC-32s.
public struct Checkpoint {
    /// The newest format this version reads and writes: 2 adds the moving average
    /// (`average.<name>`). A checkpoint without one is written as version 1, which older
    /// readers read too; one with an average is version 2, which they refuse with "update Weft"
    /// instead of mistaking its `average.*` tensors for unknown layers.
    public static let formatVersion = 2
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

    /// Encodes `snapshot`: its model tensors under their names, then its optimiser state under
    /// `optimizer.<key>` sorted by key, then its averaged tensors under `average.<name>`, and the
    /// rest as metadata, with the current thread count.
    public init(snapshot: TrainingSnapshot) {
        let model = snapshot.model.map { SafetensorsFile.Entry(name: $0.name, shape: $0.shape, values: $0.values) }
        let optimizer = snapshot.optimizerState.sorted { $0.name < $1.name }.map {
            SafetensorsFile.Entry(name: Checkpoint.optimizerPrefix + $0.name, shape: $0.shape, values: $0.values)
        }
        let averaged = snapshot.averagedModel.map {
            SafetensorsFile.Entry(name: Checkpoint.averagePrefix + $0.name, shape: $0.shape, values: $0.values)
        }
        self.init(
            config: snapshot.config, state: snapshot.state, optimizerStepCount: snapshot.optimizerStepCount,
            normalization: snapshot.normalization, classNames: snapshot.classNames,
            entries: model + optimizer + averaged, formatVersion: averaged.isEmpty ? 1 : Checkpoint.formatVersion)
    }

    /// The name prefixes of the optimiser's state and of the moving average's tensors.
    static let optimizerPrefix = "optimizer.", averagePrefix = "average."

    private init(
        config: TrainingConfig, state: TrainingState, optimizerStepCount: Int, normalization: Normalization,
        classNames: [String], entries: [SafetensorsFile.Entry], formatVersion: Int
    ) {
        let metadata: [(key: String, value: String)] = [
            ("format", Checkpoint.formatName),
            ("formatVersion", String(formatVersion)),
            ("weftVersion", Weft.version),
            ("config", config.json.serialized(pretty: false)),
            ("state", state.json.serialized(pretty: false)),
            ("optimizerStepCount", String(optimizerStepCount)),
            ("normalization", normalization.metadataJSON),
            ("classNames", JSONValue.array(classNames.map { .string($0) }).serialized(pretty: false)),
            ("threads", String(Parallel.threadCount))
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
            WeftError(
                "\(path): \(what); the file is damaged or not a Weft checkpoint — use another checkpoint from the run folder"
            )
        }
        guard file.metadata("format") == Checkpoint.formatName else {
            throw WeftError(
                "\(path): not a Weft checkpoint (no \"format\": \"\(Checkpoint.formatName)\" in its metadata); pass a file written by weft train"
            )
        }
        guard let version = file.metadata("formatVersion").flatMap(Int.init), version >= 1 else {
            throw damaged("no format version")
        }
        guard version <= Checkpoint.formatVersion else {
            throw WeftError(
                "\(path): checkpoint format version \(version) is newer than this Weft reads (\(Checkpoint.formatVersion)); update Weft"
            )
        }
        guard let configText = file.metadata("config"), let stateText = file.metadata("state"),
            let stepText = file.metadata("optimizerStepCount"), let stepCount = Int(stepText),
            let normalizationText = file.metadata("normalization"), let namesText = file.metadata("classNames")
        else {
            throw damaged("its metadata lacks config, state, optimizer step, normalization or class names")
        }
        config = try TrainingConfig(
            json: try JSONParser.parse(configText, source: "\(path) (config)"), source: "\(path) (config)")
        state = try TrainingState(json: try JSONParser.parse(stateText, source: "\(path) (state)"), source: path)
        optimizerStepCount = stepCount
        guard let normalization = Normalization(metadataJSON: normalizationText) else {
            throw damaged("its normalization is malformed")
        }
        self.normalization = normalization
        guard case .array(let names) = try JSONParser.parse(namesText, source: path) else {
            throw damaged("its class names are malformed")
        }
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
            throw damaged(
                "its normalization has \(normalization.mean.count) values for \(config.model.input[0]) input channels")
        }
        self.file = file
        self.path = path
    }

    /// The saved run as a value: the tensors named `optimizer.<key>` are the optimiser state
    /// (under `<key>`), those named `average.<name>` the moving average (under `<name>`), all
    /// others the model's. Names and shapes are checked against a model only when the snapshot
    /// is restored into a model built from its config.
    public var snapshot: TrainingSnapshot {
        var model: [TrainingSnapshot.SavedTensor] = [], optimizer: [TrainingSnapshot.SavedTensor] = []
        var averaged: [TrainingSnapshot.SavedTensor] = []
        for entry in file.entries {
            if entry.name.hasPrefix(Checkpoint.optimizerPrefix) {
                let key = String(entry.name.dropFirst(Checkpoint.optimizerPrefix.count))
                optimizer.append(.init(name: key, shape: entry.shape, values: entry.values))
            } else if entry.name.hasPrefix(Checkpoint.averagePrefix) {
                let name = String(entry.name.dropFirst(Checkpoint.averagePrefix.count))
                averaged.append(.init(name: name, shape: entry.shape, values: entry.values))
            } else {
                model.append(.init(name: entry.name, shape: entry.shape, values: entry.values))
            }
        }
        return TrainingSnapshot(
            config: config, state: state, model: model, optimizerState: optimizer,
            optimizerStepCount: optimizerStepCount, normalization: normalization,
            classNames: classNames, averagedModel: averaged)
    }

    /// Writes the checkpoint atomically to `path`.
    public func write(to path: String) throws {
        try file.write(to: path)
    }
}
