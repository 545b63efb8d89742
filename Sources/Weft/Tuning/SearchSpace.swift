import Foundation

/// One config value a search sets: a dotted config path (`training.optimizer.learningRate`,
/// `model.layers[0].filters`) and the JSON value it takes, applied as `--set key=value` is.
public struct SearchAssignment: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }

    /// The assignment as a config override (`ConfigOverride`).
    public func override() throws -> ConfigOverride {
        try ConfigOverride("\(key)=\(value.serialized(pretty: false))")
    }
}

/// What a search varies: config paths, each with a list of values (a grid axis) or a numeric
/// range (for random search). Read from a search file such as
///
/// ```json
/// { "training.optimizer.learningRate": [0.001, 0.003],
///   "training.optimizer.weightDecay": {"min": 1e-5, "max": 1e-2, "log": true},
///   "model.layers[0].filters": {"min": 8, "max": 32, "integer": true} }
/// ```
///
/// or from `--grid KEY=[v1,v2,...]` options. Without `--trials`, every dimension must be a
/// list and the candidates are the full grid (the Cartesian product, the last key varying
/// fastest), like scikit-learn's `ParameterGrid`. With `--trials N`, N candidates are drawn
/// from a generator seeded by the search's seed: a list value uniformly, a range uniformly (on a
/// log scale when `log`, rounded when `integer`), like `ParameterSampler`.
public struct SearchSpace: Equatable, Sendable {
    /// The values one key may take.
    public enum Values: Equatable, Sendable {
        case list([JSONValue])
        case range(minimum: Double, maximum: Double, log: Bool, integer: Bool)
    }

    /// One searched key.
    public struct Dimension: Equatable, Sendable {
        public var key: String
        public var values: Values

        public init(key: String, values: Values) {
            self.key = key
            self.values = values
        }
    }

    public var dimensions: [Dimension]

    public init(dimensions: [Dimension]) {
        self.dimensions = dimensions
    }

    /// Reads a search object (`{"key": [values] or {"min", "max", "log", "integer"}, ...}`);
    /// `source` names it in errors.
    public init(json: JSONValue, source: String) throws {
        guard case .object(let members) = json else {
            throw WeftError(
                "\(source): the search must be an object of config keys, e.g. {\"training.optimizer.learningRate\": [0.001, 0.003]}, got \(json.summary)"
            )
        }
        guard !members.isEmpty else {
            throw WeftError(
                "\(source): the search names no config key; add one, e.g. {\"training.optimizer.learningRate\": [0.001, 0.003]}"
            )
        }
        dimensions = try members.map { try SearchSpace.dimension(key: $0.key, value: $0.value, source: source) }
    }

    /// Reads a search file.
    public static func load(path: String) throws -> SearchSpace {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw WeftError("\(path): cannot read the search file; check the path")
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw WeftError("\(path): the search file is not UTF-8 text; save it as UTF-8 JSON")
        }
        return try SearchSpace(json: try JSONParser.parse(text, source: path), source: path)
    }

    /// Reads `--grid KEY=VALUES` options (`training.batchSize=[64,128]`; a range object works too).
    public init(gridOptions: [String]) throws {
        dimensions = try gridOptions.map { option in
            let source = "--grid \(option)"
            guard let equals = option.firstIndex(of: "="), equals != option.startIndex else {
                throw WeftError(
                    "\(source): expected KEY=[v1,v2,...], e.g. --grid training.optimizer.learningRate=[0.001,0.003]")
            }
            let key = String(option[..<equals]), text = String(option[option.index(after: equals)...])
            let value: JSONValue
            do {
                value = try JSONParser.parse(text, source: source)
            } catch {
                throw WeftError(
                    "\(source): the values must be a JSON list such as [0.001,0.003] (quote strings: [\"sgd\",\"adam\"]); got \(text)"
                )
            }
            return try SearchSpace.dimension(key: key, value: value, source: "--grid")
        }
    }

    /// This space followed by `other`'s dimensions; a key in both is an error.
    public func merged(with other: SearchSpace) throws -> SearchSpace {
        for dimension in other.dimensions where dimensions.contains(where: { $0.key == dimension.key }) {
            throw WeftError("--grid \(dimension.key): the key is also in the search file; give it once")
        }
        return SearchSpace(dimensions: dimensions + other.dimensions)
    }

    /// The space as a search file object.
    public var json: JSONValue {
        .object(
            dimensions.map { dimension in
                switch dimension.values {
                case .list(let values):
                    return (dimension.key, .array(values))
                case let .range(minimum, maximum, log, integer):
                    return (
                        dimension.key,
                        .object([
                            ("min", .number(minimum)), ("max", .number(maximum)),
                            ("log", .bool(log)), ("integer", .bool(integer))
                        ])
                    )
                }
            })
    }

    /// The number of grid points (lists only), `Int.max` when it does not fit in an `Int`.
    public var gridSize: Int {
        dimensions.reduce(1) { count, dimension in
            guard case .list(let values) = dimension.values else { return count }
            let product = count.multipliedReportingOverflow(by: values.count)
            return product.overflow ? Int.max : product.partialValue
        }
    }

    /// The candidates in trial order: the full grid without `trials`, else `trials` seeded draws.
    public func candidates(trials: Int?, seed: UInt64) throws -> [[SearchAssignment]] {
        guard let trials else {
            if let range = dimensions.first(where: {
                if case .range = $0.values { return true }; return false
            }) {
                throw WeftError(
                    "\(range.key): a range {min, max} is sampled, not enumerated; give --trials N for a random search, or list the values"
                )
            }
            var grid: [[SearchAssignment]] = [[]]
            for dimension in dimensions {
                guard case .list(let values) = dimension.values else { continue }
                grid = grid.flatMap { prefix in
                    values.map { prefix + [SearchAssignment(key: dimension.key, value: $0)] }
                }
            }
            return grid
        }
        var generator = RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .searchTrials))
        return (0..<trials).map { _ in
            dimensions.map { dimension in
                switch dimension.values {
                case .list(let values):
                    return SearchAssignment(key: dimension.key, value: values[generator.nextInt(below: values.count)])
                case let .range(minimum, maximum, log, integer):
                    let unit = generator.nextDouble()
                    var value =
                        log
                        ? Foundation.exp(
                            Foundation.log(minimum) + unit * (Foundation.log(maximum) - Foundation.log(minimum)))
                        : minimum + unit * (maximum - minimum)
                    value = integer ? value.rounded() : SearchSpace.significant(value)
                    return SearchAssignment(key: dimension.key, value: .number(min(max(value, minimum), maximum)))
                }
            }
        }
    }

    /// `value` with four significant digits, so sampled settings read well in tables and configs.
    static func significant(_ value: Double) -> Double {
        guard value != 0, value.isFinite else { return value }
        return Double(String(format: "%.4g", value)) ?? value
    }

    /// Reads one key's values, checking the key's form and what a search may vary.
    static func dimension(key: String, value: JSONValue, source: String) throws -> Dimension {
        let node = ConfigNode(value: value, path: key, source: source)
        do {
            _ = try ConfigOverride("\(key)=0")
        } catch {
            throw node.error(
                "not a config path; write keys like training.optimizer.learningRate or model.layers[0].filters")
        }
        if key.hasPrefix("data.") && !key.hasPrefix("data.augment.") || key == "data" {
            throw node.error(
                "a search cannot vary the data (it fixes the folds); set it for the whole search with --set \(key)=...")
        }
        if key == "name" || key.hasPrefix("checkpoint.") || key == "checkpoint" {
            throw node.error("a search cannot vary \(key); set it with --set")
        }
        switch value {
        case .array(let items):
            guard !items.isEmpty else { throw node.error("the list of values is empty; give at least one value") }
            return Dimension(key: key, values: .list(items))
        case .object:
            let object = try node.object()
            let minimum = try SearchSpace.number(object.required("min", "the range's lower end"))
            let maximum = try SearchSpace.number(object.required("max", "the range's upper end"))
            let log = try object.optional("log")?.bool() ?? false
            let integer = try object.optional("integer")?.bool() ?? false
            try object.finish()
            guard minimum < maximum else {
                throw node.error(
                    "a range needs min < max, got min \(JSONValue.format(minimum)) and max \(JSONValue.format(maximum)); swap them or list a single value as [\(JSONValue.format(minimum))]"
                )
            }
            if log && minimum <= 0 {
                throw node.error(
                    "a log range needs min > 0, got \(JSONValue.format(minimum)); raise min or set \"log\": false")
            }
            return Dimension(key: key, values: .range(minimum: minimum, maximum: maximum, log: log, integer: integer))
        default:
            throw node.error(
                "expected a list of values [v1, v2, ...] or a range {\"min\": ..., \"max\": ..., \"log\": true}, got \(value.summary)"
            )
        }
    }

    private static func number(_ node: ConfigNode) throws -> Double {
        guard case .number(let number) = node.value, number.isFinite else {
            throw node.error("must be a number, got \(node.value.summary)")
        }
        return number
    }
}
