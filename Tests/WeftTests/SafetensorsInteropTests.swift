import Weft
import WeftTestSupport
import XCTest

/// Python's own `safetensors` reads a Weft checkpoint: the documented names, shapes and values.
/// The Python environment comes from `Tests/setup.sh` (`.venv`).
final class SafetensorsInteropTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The virtual environment's Python, or `missing` telling how to make it.
    static func python() throws -> String {
        let path = root.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw missing("no Python environment: run Tests/setup.sh")
        }
        return path
    }

    /// Runs `script` with `arguments` and returns its stdout; fails the test on a non-zero exit.
    static func runPython(_ script: String, _ arguments: [String]) throws -> String {
        let outcome = try runProcess(URL(fileURLWithPath: try python()), ["-c", script] + arguments)
        XCTAssertEqual(outcome.status, 0, outcome.errors)
        return outcome.output
    }

    func testPythonSafetensorsOpensACheckpointWithTheDocumentedNamesShapesAndValues() throws {
        _ = try Self.python()
        let folder = NSTemporaryDirectory() + "weft-interop-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try TrainingConfig(
            json: try JSONParser.parse(ResumeTests.configText(folder: folder), source: "t.json"), source: "t.json")
        let progress = Progress(epochs: 1)
        progress.enabled = false
        let run = try TrainingRun(
            config: config, data: try TrainingData(config: config), source: "t.json", progress: progress)
        defer { run.release() }
        run.stopsWhen = { $0.step >= 2 }
        guard case .interrupted(let stop) = try run.run(), let path = stop.checkpoint else {
            return XCTFail("the run must stop after 2 steps with a checkpoint")
        }
        // What the trainer holds at the stop, encoded in memory: the file must hold exactly that.
        let checkpoint = Checkpoint(snapshot: run.trainer.snapshot())

        let script = """
            import json, sys
            from safetensors import safe_open
            from safetensors.numpy import load_file
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], "np") as f:
                meta = f.metadata()
            print(json.dumps({"format": meta["format"], "version": meta["formatVersion"],
                              "epochs": json.loads(meta["config"])["training"]["epochs"],
                              "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype), "values": [float(x) for x in v.ravel()]}
                                          for k, v in tensors.items()}}))
            """
        let output = try Self.runPython(script, [path])
        let report = try JSONParser.parse(output, source: "python")
        XCTAssertEqual(report["format"], .string("weft-checkpoint"))
        XCTAssertEqual(report["version"], .string("1"))
        XCTAssertEqual(report["epochs"], .number(2))
        guard case .object(let tensors)? = report["tensors"] else {
            return XCTFail("no tensors in \(output.prefix(200))")
        }
        XCTAssertEqual(Set(tensors.map(\.key)), Set(checkpoint.file.entries.map(\.name)))
        for entry in checkpoint.file.entries {
            let seen = report["tensors"]?[entry.name]
            XCTAssertEqual(seen?["shape"], .array(entry.shape.map { .number(Double($0)) }), entry.name)
            XCTAssertEqual(seen?["dtype"], .string("float32"), entry.name)
            XCTAssertEqual(
                seen?["values"], .array(entry.values.map { .number(Double($0)) }), "\(entry.name): values differ")
        }
        XCTAssertNotNil(report["tensors"]?["layers.0.weight"])
        XCTAssertNotNil(report["tensors"]?["layers.1.runningVariance"])
        XCTAssertNotNil(report["tensors"]?["optimizer.layers.0.weight.exponentialAverageOfSquares"])
    }
}
