import Foundation

/// The result of training one candidate on one fold at one rung.
public struct FoldResult: Equatable, Sendable {
    /// 1-based trial number.
    public var trial: Int
    /// 0-based successive-halving rung (0 without halving).
    public var rung: Int
    /// 0-based fold: the one held out for validation.
    public var fold: Int
    public var epochs: Int
    public var parameters: [SearchAssignment]
    /// The last epoch's validation accuracy on the held-out fold; 0 when the training failed.
    public var validationAccuracy: Double
    public var validationLoss: Double
    /// Wall time of the fold's training and validation.
    public var seconds: Double
    /// Why training failed (it diverged), if it did.
    public var failure: String?

    public init(
        trial: Int, rung: Int, fold: Int, epochs: Int, parameters: [SearchAssignment], validationAccuracy: Double,
        validationLoss: Double, seconds: Double, failure: String? = nil
    ) {
        self.trial = trial
        self.rung = rung
        self.fold = fold
        self.epochs = epochs
        self.parameters = parameters
        self.validationAccuracy = validationAccuracy
        self.validationLoss = validationLoss
        self.seconds = seconds
        self.failure = failure
    }

    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("trial", .number(Double(trial))), ("rung", .number(Double(rung))), ("fold", .number(Double(fold))),
            ("epochs", .number(Double(epochs))), ("parameters", .object(parameters.map { ($0.key, $0.value) })),
            ("validationAccuracy", .number(validationAccuracy)), ("validationLoss", .number(validationLoss)),
            ("seconds", .number((seconds * 1000).rounded() / 1000))
        ]
        if let failure { members.append(("failure", .string(failure))) }
        return .object(members)
    }

    private static func number(_ node: ConfigNode, _ range: ClosedRange<Double>) throws -> Double {
        guard case .number(let value) = node.value, range.contains(value) else {
            throw node.error("must be a number, got \(node.value.summary)")
        }
        return value
    }

    init(node: ConfigNode) throws {
        let object = try node.object()
        trial = try object.required("trial", "the trial number").int(1...1 << 40)
        rung = try object.required("rung", "the rung").int(0...1000)
        fold = try object.required("fold", "the fold").int(0...1000)
        epochs = try object.required("epochs", "the epochs").int(1...1 << 40)
        guard case .object(let members) = try object.required("parameters", "the candidate's values").value else {
            throw node.error("parameters must be an object")
        }
        parameters = members.map { SearchAssignment(key: $0.key, value: $0.value) }
        validationAccuracy = try FoldResult.number(
            object.required("validationAccuracy", "a fraction from 0 to 1"), 0...1)
        validationLoss = try FoldResult.number(
            object.required("validationLoss", "a number"),
            -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude)
        seconds = try FoldResult.number(object.required("seconds", "a number"), 0...Double.greatestFiniteMagnitude)
        failure = try object.optional("failure")?.string()
        try object.finish()
    }
}

/// The run folder's `tune.jsonl`: one JSON object per finished (trial, rung, fold) and one per
/// invalid candidate (`{"trial", "parameters", "invalid": reason}`). The whole file is rewritten
/// atomically (`AtomicFile`) after every fold, so a crash or `kill -9` at any moment leaves every
/// finished fold recorded and no partial line.
public final class TuneLog {
    public let path: String
    public private(set) var results: [FoldResult] = []
    private var invalid: [(trial: Int, parameters: [SearchAssignment], reason: String)] = []

    /// Opens the log in `folder`, reading the results it already holds (a resumed search).
    public init(folder: String) throws {
        path = (folder as NSString).appendingPathComponent("tune.jsonl")
        guard let data = FileManager.default.contents(atPath: path) else { return }
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            let source = "\(path) line \(number + 1)"
            let value = try JSONParser.parse(String(line), source: source)
            if value["invalid"] != nil { continue }  // re-derived from the spec on every run
            results.append(try FoldResult(node: ConfigNode(value: value, source: source)))
        }
    }

    /// The recorded result of `trial` at `rung` on `fold`, if finished.
    public func result(trial: Int, rung: Int, fold: Int) -> FoldResult? {
        results.first { $0.trial == trial && $0.rung == rung && $0.fold == fold }
    }

    /// Records an invalid candidate and rewrites the file.
    public func recordInvalid(trial: Int, parameters: [SearchAssignment], reason: String) throws {
        guard !invalid.contains(where: { $0.trial == trial }) else { return }
        invalid.append((trial, parameters, reason))
        try save()
    }

    /// Records a finished fold and rewrites the file.
    public func record(_ result: FoldResult) throws {
        results.removeAll { $0.trial == result.trial && $0.rung == result.rung && $0.fold == result.fold }
        results.append(result)
        try save()
    }

    private func save() throws {
        var lines = invalid.map { entry in
            JSONValue.object([
                ("trial", .number(Double(entry.trial))),
                ("parameters", .object(entry.parameters.map { ($0.key, $0.value) })),
                ("invalid", .string(entry.reason))
            ]).serialized(pretty: false)
        }
        lines += results.map { $0.json.serialized(pretty: false) }
        try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: path)
    }
}
