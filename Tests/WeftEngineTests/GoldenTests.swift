import WeftEngine
import WeftTestSupport
import XCTest

/// Outputs and gradients against values PyTorch computed (`Tests/Fixtures/make_golden.py`).
/// Each case runs `out = op(inputs)`, back-propagates the stored `dout`, and compares.
final class GoldenTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    /// Marks `tensors` as requiring gradients and returns them.
    private func leaves(_ tensors: Tensor?...) -> [Tensor?] {
        tensors.forEach { $0?.requiresGradient = true }
        return tensors
    }

    func testConv2d() throws {
        let file = try GoldenFile.load("conv2d")
        XCTAssertGreaterThanOrEqual(file.cases.count, 6)
        for golden in file.cases {
            let x = try golden.tensor("x"), weight = try golden.tensor("weight")
            let bias = try golden.bool("bias") ? try golden.tensor("bias") : nil
            _ = leaves(x, weight, bias)
            let out = x.conv2d(
                weight: weight, bias: bias, stride: try golden.int("stride"), padding: try golden.int("padding"))
            assertClose(out, try golden.tensor("out"), "\(golden.name) out")
            out.backward(gradient: try golden.tensor("dout"))
            assertClose(x.gradient, try golden.tensor("dx"), "\(golden.name) dx")
            assertClose(weight.gradient, try golden.tensor("dweight"), "\(golden.name) dweight")
            if let bias { assertClose(bias.gradient, try golden.tensor("dbias"), "\(golden.name) dbias") }
        }
    }

    func testPooling() throws {
        let file = try GoldenFile.load("pool")
        XCTAssertEqual(Set(try file.cases.map { try $0.string("op") }), ["maxPool2d", "avgPool2d", "globalAvgPool"])
        for golden in file.cases {
            let x = try golden.tensor("x")
            _ = leaves(x)
            let out: Tensor
            switch try golden.string("op") {
            case "maxPool2d":
                out = x.maxPool2d(
                    kernelSize: try golden.int("kernel"), stride: try golden.int("stride"),
                    padding: try golden.int("padding"))
            case "avgPool2d":
                out = x.avgPool2d(
                    kernelSize: try golden.int("kernel"), stride: try golden.int("stride"),
                    padding: try golden.int("padding"))
            default:
                out = x.globalAvgPool2d()
            }
            assertClose(out, try golden.tensor("out"), "\(golden.name) out")
            out.backward(gradient: try golden.tensor("dout"))
            assertClose(x.gradient, try golden.tensor("dx"), "\(golden.name) dx")
        }
    }

    func testBatchNorm() throws {
        let file = try GoldenFile.load("batchnorm")
        XCTAssertEqual(Set(try file.cases.map { try $0.bool("training") }), [true, false])
        for golden in file.cases {
            let x = try golden.tensor("x"), weight = try golden.tensor("weight"), bias = try golden.tensor("bias")
            let runningMean = try golden.tensor("runningMean"), runningVariance = try golden.tensor("runningVar")
            _ = leaves(x, weight, bias)
            let out = x.batchNorm(
                weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                training: try golden.bool("training"), momentum: try golden.float("momentum"),
                epsilon: try golden.float("eps"))
            assertClose(out, try golden.tensor("out"), "\(golden.name) out")
            assertClose(runningMean, try golden.tensor("runningMeanAfter"), "\(golden.name) running mean")
            assertClose(runningVariance, try golden.tensor("runningVarAfter"), "\(golden.name) running variance")
            out.backward(gradient: try golden.tensor("dout"))
            assertClose(x.gradient, try golden.tensor("dx"), "\(golden.name) dx")
            assertClose(weight.gradient, try golden.tensor("dweight"), "\(golden.name) dweight")
            assertClose(bias.gradient, try golden.tensor("dbias"), "\(golden.name) dbias")
        }
    }

    func testLinear() throws {
        for golden in try GoldenFile.load("linear").cases {
            let x = try golden.tensor("x"), weight = try golden.tensor("weight"), bias = try golden.tensor("bias")
            _ = leaves(x, weight, bias)
            let out = x.linear(weight: weight, bias: bias)
            assertClose(out, try golden.tensor("out"), "\(golden.name) out")
            out.backward(gradient: try golden.tensor("dout"))
            assertClose(x.gradient, try golden.tensor("dx"), "\(golden.name) dx")
            assertClose(weight.gradient, try golden.tensor("dweight"), "\(golden.name) dweight")
            assertClose(bias.gradient, try golden.tensor("dbias"), "\(golden.name) dbias")
        }
    }

    func testActivations() throws {
        let file = try GoldenFile.load("activations")
        XCTAssertEqual(file.cases.count, 7)
        for golden in file.cases {
            let x = try golden.tensor("x")
            _ = leaves(x)
            let out: Tensor
            switch try golden.string("op") {
            case "relu": out = x.relu()
            case "leakyRelu": out = x.leakyRelu(slope: try golden.float("slope"))
            case "sigmoid": out = x.sigmoid()
            case "tanh": out = x.tanh()
            case "softmax": out = x.softmax()
            case "logSoftmax": out = x.logSoftmax()
            case let other: return XCTFail("unknown op \(other) in \(golden.name)")
            }
            assertClose(out, try golden.tensor("out"), "\(golden.name) out")
            out.backward(gradient: try golden.tensor("dout"))
            assertClose(x.gradient, try golden.tensor("dx"), "\(golden.name) dx")
        }
    }

    func testCrossEntropyLoss() throws {
        for golden in try GoldenFile.load("loss").cases {
            let logits = try golden.tensor("logits")
            let labels = try golden.tensor("labels").scalars.map { Int($0) }
            _ = leaves(logits)
            let loss = logits.softmaxCrossEntropy(labels: labels, labelSmoothing: try golden.float("labelSmoothing"))
            assertClose(loss, try golden.tensor("loss"), "\(golden.name) loss")
            loss.backward()
            assertClose(logits.gradient, try golden.tensor("dlogits"), "\(golden.name) dlogits")
        }
    }

    func testDropoutScalingMatchesPyTorch() throws {
        let golden = try XCTUnwrap(try GoldenFile.load("dropout").cases.first)
        let probability = try golden.float("p")
        let keptScale = try golden.tensor("keptScale").scalar
        let x = try golden.tensor("x")
        var generator = RandomGenerator(seed: 7)
        let out = x.dropout(probability: probability, training: true, generator: &generator)
        var dropped = 0
        for index in 0..<x.count {
            if out.data[index] == 0 {
                dropped += 1
            } else {
                XCTAssertEqual(
                    out.data[index], x.data[index] * keptScale, "element \(index) is not scaled as PyTorch scales")
            }
        }
        let fraction = Float(dropped) / Float(x.count)
        XCTAssertEqual(fraction, probability, accuracy: 0.05, "dropped fraction \(fraction) for p = \(probability)")
        let evaluation = x.dropout(probability: probability, training: false, generator: &generator)
        XCTAssertEqual(evaluation.scalars, x.scalars, "dropout outside training must be the identity")
    }
}
