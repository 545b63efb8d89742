import Foundation

/// Everything that defines a search, stored as `search.json` in its run folder so that
/// `weft tune --resume RUN_FOLDER` needs nothing else: the resolved base config (with its
/// `--set` overrides applied), the search space, the folds, trials, seed and halving settings.
/// The same spec gives the same candidates, the same folds and, with the same thread count, the
/// same fold results bit for bit.
public struct TuneSpec: Equatable, Sendable {
    /// Where the base config came from (for messages only).
    public var source: String
    /// The resolved base config; its `data.validationFraction` is replaced by fold membership
    /// during the search and kept for the winner's `best-config.json`.
    public var config: TrainingConfig
    public var space: SearchSpace
    /// `k` of the stratified k-fold cross-validation.
    public var folds: Int
    /// Random search with this many candidates; nil for the full grid.
    public var trials: Int?
    /// Seeds the folds and the trials (by default the config's `training.seed`).
    public var seed: UInt64
    public var halving: Bool
    /// Successive halving's reduction factor η.
    public var eta: Int
    /// The fewest epochs a halving rung trains (`--min-epochs`).
    public var minimumEpochs: Int
    /// `--data-dir`, if given.
    public var dataDirectory: String?
    /// The thread count the search started with (results are bit-exact for a given count).
    public var threads: Int

    public init(
        source: String, config: TrainingConfig, space: SearchSpace, folds: Int, trials: Int?, seed: UInt64,
        halving: Bool, eta: Int, minimumEpochs: Int = 1, dataDirectory: String?, threads: Int
    ) throws {
        guard (2...100).contains(folds) else {
            throw WeftError("--folds must be from 2 to 100, got \(folds); 3 or 5 is usual")
        }
        if let trials, !(1...100_000).contains(trials) {
            throw WeftError("--trials must be from 1 to 100000, got \(trials)")
        }
        guard (2...100).contains(eta) else {
            throw WeftError("--eta must be from 2 to 100, got \(eta); 3 is usual")
        }
        guard (1...config.training.epochs).contains(minimumEpochs) else {
            throw WeftError(
                "--min-epochs must be from 1 to training.epochs (\(config.training.epochs)), got \(minimumEpochs)")
        }
        if halving, space.dimensions.contains(where: { $0.key == "training.epochs" }) {
            throw WeftError(
                "training.epochs: successive halving chooses the epochs of each rung from the config's training.epochs; search it without --halving, or set it with --set"
            )
        }
        if trials == nil, space.gridSize > 100_000 {
            let size = space.gridSize == Int.max ? "more than \(Int.max)" : String(space.gridSize)
            throw WeftError("the grid has \(size) candidates; shrink the lists or sample with --trials N")
        }
        self.source = source
        self.config = config
        self.space = space
        self.folds = folds
        self.trials = trials
        self.seed = seed
        self.halving = halving
        self.eta = eta
        self.minimumEpochs = minimumEpochs
        self.dataDirectory = dataDirectory
        self.threads = threads
    }

    /// Reads a stored `search.json`; `source` names it in errors.
    public init(json: JSONValue, source path: String) throws {
        let root = try ConfigNode(value: json, source: path).object()
        let version = try root.required("weftTune", "the format version").int(1...1_000_000)
        guard version == 1 else {
            throw WeftError(
                "\(path): written by a newer Weft (search format \(version)); update Weft to resume this search")
        }
        let source = try root.required("source", "the base config's file").string()
        let config = try TrainingConfig(
            json: try root.required("config", "the resolved base config").value, source: "\(path) (config)")
        let space = try SearchSpace(
            json: try root.required("space", "the search space").value, source: "\(path) (space)")
        try self.init(
            source: source, config: config, space: space,
            folds: try root.required("folds", "k").int(2...100),
            trials: try root.optional("trials")?.int(1...100_000),
            seed: UInt64(try root.required("seed", "the seed").int(0...(1 << 53))),
            halving: try root.required("halving", "true or false").bool(),
            eta: try root.required("eta", "η").int(2...100),
            minimumEpochs: try root.optional("minimumEpochs")?.int(1...1_000_000) ?? 1,
            dataDirectory: try root.optional("dataDirectory")?.string(),
            threads: try root.optional("threads")?.int(1...4096) ?? 1)
        try root.finish()
    }

    /// Reads `search.json` in `folder`.
    public static func load(folder: String) throws -> TuneSpec {
        let path = (folder as NSString).appendingPathComponent("search.json")
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw WeftError(
                "\(path): not found; give the run folder of a search started with weft tune (it holds search.json and tune.jsonl)"
            )
        }
        return try TuneSpec(
            json: try JSONParser.parse(String(decoding: bytes, as: UTF8.self), source: path), source: path)
    }

    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("weftTune", .number(1)), ("source", .string(source)), ("config", config.json), ("space", space.json),
            ("folds", .number(Double(folds)))
        ]
        if let trials { members.append(("trials", .number(Double(trials)))) }
        members += [
            ("seed", .number(Double(seed))), ("halving", .bool(halving)), ("eta", .number(Double(eta))),
            ("minimumEpochs", .number(Double(minimumEpochs)))
        ]
        if let dataDirectory { members.append(("dataDirectory", .string(dataDirectory))) }
        members.append(("threads", .number(Double(threads))))
        return .object(members)
    }

    /// The halving plan for `candidates` valid candidates.
    public func plan(candidates: Int) -> SuccessiveHalving {
        SuccessiveHalving(
            candidates: candidates, epochs: config.training.epochs, eta: eta, halving: halving,
            minimumEpochs: minimumEpochs)
    }

    /// The candidates in trial order (trial `t` is element `t − 1`).
    public func candidates() throws -> [[SearchAssignment]] {
        try space.candidates(trials: trials, seed: seed)
    }

    /// The base config with `assignments` applied (and `training.epochs` set to `epochs` when
    /// given), validated as `TrainingConfig` validates a file.
    public func candidateConfig(_ assignments: [SearchAssignment], epochs: Int? = nil) throws -> TrainingConfig {
        var document = config.json
        var overrides = try assignments.map { try $0.override() }
        if let epochs { overrides.append(try ConfigOverride("training.epochs=\(epochs)")) }
        for override in overrides { document = try override.apply(to: document) }
        return try TrainingConfig(json: document, source: TuneSpec.describe(assignments))
    }

    /// `key=value, key=value` for messages.
    public static func describe(_ assignments: [SearchAssignment]) -> String {
        assignments.map { "\($0.key)=\($0.value.serialized(pretty: false))" }.joined(separator: ", ")
    }
}
