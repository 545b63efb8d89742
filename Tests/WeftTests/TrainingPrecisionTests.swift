import Foundation
import WeftTestSupport
import XCTest

@testable import Weft

/// `training.precision`: the config key, which products a trainer's steps use, and a bfloat16
/// run that trains differently from float32 and resumes bit-identically.
final class TrainingPrecisionTests: XCTestCase {
    private func folder() -> String {
        let path = NSTemporaryDirectory() + "weft-precision-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A small run whose second convolution (8 → 12 channels, 14×14) takes the Winograd path.
    private func config(precision: String?, folder: String, epochs: Int = 2) throws -> TrainingConfig {
        let key = precision.map { #", "precision": "\#($0)""# } ?? ""
        let text = """
            { "name": "p", "data": { "dataset": "fashion-mnist", "validationFraction": 0.1, "trainLimit": 320, "testLimit": 100 },
              "model": { "input": [1, 28, 28], "layers": [
                { "type": "conv2d", "filters": 8, "kernel": 3, "padding": 1 }, { "type": "relu" }, { "type": "maxPool", "size": 2 },
                { "type": "conv2d", "filters": 12, "kernel": 3, "padding": 1 }, { "type": "batchNorm" }, { "type": "relu" },
                { "type": "maxPool", "size": 2 }, { "type": "flatten" }, { "type": "dense", "units": 10 } ] },
              "training": { "epochs": \(epochs), "batchSize": 32, "seed": 5\(key),
                            "optimizer": { "type": "sgd", "learningRate": 0.05, "momentum": 0.9 } },
              "checkpoint": { "directory": "\(folder)" } }
            """
        return try TrainingConfig(json: try JSONParser.parse(text, source: "p.json"), source: "p.json")
    }

    func testPrecisionIsFloat32UnlessBFloat16IsAskedFor() throws {
        XCTAssertEqual(try config(precision: nil, folder: folder()).training.precision, "fp32")
        let bf16 = try config(precision: "bf16", folder: folder())
        XCTAssertEqual(bf16.training.precision, "bf16")
        let written = try TrainingConfig(
            json: try JSONParser.parse(bf16.json.serialized(), source: "again.json"), source: "again.json")
        XCTAssertEqual(written.training.precision, "bf16", "the run folder's config.json keeps it")
        XCTAssertThrowsError(try config(precision: "fp16", folder: folder())) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("training.precision"), message)
            XCTAssertTrue(message.contains(#""fp32", "bf16""#), message)
        }
    }

    func testATrainerUsesBFloat16ProductsOnlyWhenAskedAndSupported() throws {
        let float32 = try ResumeTests.freshRun(try config(precision: nil, folder: folder()))
        defer { float32.release() }
        XCTAssertEqual(float32.trainer.convolutionProducts, .float32)
        XCTAssertNil(float32.trainer.precisionNote)
        let bf16 = try ResumeTests.freshRun(try config(precision: "bf16", folder: folder()))
        defer { bf16.release() }
        if BFloat16Products.isSupported {
            XCTAssertEqual(bf16.trainer.convolutionProducts, .bfloat16)
            XCTAssertTrue(bf16.trainer.precisionNote?.hasPrefix("precision (training.precision): bf16") == true)
        } else {
            XCTAssertEqual(bf16.trainer.convolutionProducts, .float32, "no AVX-512 BF16: float32")
            XCTAssertTrue(bf16.trainer.precisionNote?.hasPrefix("warning: training.precision") == true)
        }
    }

    func testABFloat16RunDiffersFromFloat32AndResumesBitIdentically() throws {
        guard BFloat16Products.isSupported else { throw missing("this CPU has no AVX-512 BF16") }
        let float32 = try ResumeTests.freshRun(try config(precision: "fp32", folder: folder()))
        _ = try float32.run()
        float32.release()
        let straight = try ResumeTests.freshRun(try config(precision: "bf16", folder: folder()))
        let expectedOutcome = try straight.run()
        straight.release()
        let expected = ResumeTests.namedBits(straight.trainer)
        XCTAssertNotEqual(
            expected["layers.3.weight"], ResumeTests.namedBits(float32.trainer)["layers.3.weight"],
            "bfloat16 products change the trajectory")
        let steps = straight.trainer.trainLoader.batchesPerEpoch
        for stop in [steps / 2, steps + 1] {
            let checkpoint = try ResumeTests.interrupt(
                try ResumeTests.freshRun(try config(precision: "bf16", folder: folder()))
            ) { $0.step >= stop }
            let resumed = try ResumeTests.resumedRun(checkpoint)
            defer { resumed.release() }
            XCTAssertEqual(resumed.trainer.convolutionProducts, .bfloat16, "the checkpoint's config keeps bf16")
            let outcome = try resumed.run()
            XCTAssertEqual(
                ResumeTests.namedBits(resumed.trainer), expected,
                "stopped after step \(stop) and resumed: bit-identical")
            XCTAssertEqual(outcome, expectedOutcome, "stopped after step \(stop): same test result")
        }
    }
}
