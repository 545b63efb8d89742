import Weft
import WeftTestSupport
import XCTest

/// Parameter groups, Lookahead and the exponential moving average of the weights against
/// 20-step PyTorch trajectories (`optimizerOptions.json` from
/// `Tests/Fixtures/make_optimizer_golden.py`: param groups, Lookahead written out in torch,
/// `AveragedModel` with `get_ema_multi_avg_fn`), plus the rules checked by hand.
final class OptimizerOptionTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    private static let tolerance: Float = 1e-5

    /// A golden case's options as Weft objects.
    private struct Options {
        var settings: GoldenOptimizerSettings
        var biasScale: Double?, biasWeightDecay: Double?
        var lookaheadSteps: Int?, lookaheadAlpha: Double?
        var emaDecay: Double?
        /// 1: the first update copies, as `AveragedModel`'s does.
        var emaWarmupSteps = 1

        init(_ golden: GoldenCase) throws {
            func number(_ key: String) -> Double? {
                if case .number(let value)? = golden.params[key] { return value }
                return nil
            }
            settings = try GoldenOptimizerSettings(golden)
            biasScale = number("biasLearningRateScale")
            biasWeightDecay = number("biasWeightDecay")
            lookaheadSteps = number("lookaheadSteps").map { Int($0) }
            lookaheadAlpha = number("lookaheadAlpha")
            emaDecay = number("emaDecay")
        }

        func makeOptimizer() throws -> Optimizer {
            let base = try settings.makeOptimizer()
            guard let lookaheadSteps, let lookaheadAlpha else { return base }
            return try Lookahead(base: base, steps: lookaheadSteps, alpha: lookaheadAlpha)
        }

        /// The weights with the optimiser's settings, the biases in a group of their own.
        func groups(_ net: TinyNet) -> [ParameterGroup] {
            guard let biasScale else { return [ParameterGroup(parameters: net.parameters)] }
            return [
                ParameterGroup(parameters: [net.parameters[0], net.parameters[2]]),
                ParameterGroup(
                    parameters: [net.parameters[1], net.parameters[3]], learningRateScale: biasScale,
                    weightDecay: biasWeightDecay)
            ]
        }
    }

    /// Runs a case: the losses, and the parameters and averages after each step.
    private func run(_ golden: GoldenCase, _ options: Options) throws -> (
        losses: [Float], parameters: [Int: [Tensor]], averages: [Int: [Tensor]]
    ) {
        let net = try TinyNet(golden), optimizer = try options.makeOptimizer()
        let copies = net.parameters.map { NamedParameter(name: $0.name, tensor: $0.tensor.copy()) }
        let average = try options.emaDecay.map {
            try ExponentialMovingAverage(
                decay: $0, warmupSteps: options.emaWarmupSteps, averages: copies, sources: net.parameters)
        }
        var losses: [Float] = [], parameters: [Int: [Tensor]] = [:], averages: [Int: [Tensor]] = [:]
        for step in 1...options.settings.steps {
            zeroGradients(net.parameters)
            let loss = net.loss()
            loss.backward()
            optimizer.step(options.groups(net), learningRate: options.settings.learningRate)
            average?.update(afterStep: step)
            losses.append(loss.scalar)
            parameters[step] = net.parameters.map { $0.tensor.copy() }
            averages[step] = copies.map { $0.tensor.copy() }
        }
        return (losses, parameters, averages)
    }

    func testTrajectoriesMatchPyTorch() throws {
        let file = try GoldenFile.load("optimizerOptions")
        XCTAssertEqual(
            Set(file.cases.map(\.name)),
            [
                "sgdMomentumParameterGroups", "adamWParameterGroups", "adamParameterGroupsWeightDecay",
                "adamLookahead", "sgdNesterovLookahead", "sgdMomentumEMA", "adamEMADecay0.3"
            ])
        for golden in file.cases {
            let options = try Options(golden)
            let result = try run(golden, options)
            assertClose(
                Tensor(shape: [result.losses.count], scalars: result.losses), try golden.tensor("losses"),
                tolerance: Self.tolerance, "\(golden.name) losses")
            for step in [1, 5, 20] {
                for (index, name) in TinyNet.parameterNames.enumerated() {
                    assertClose(
                        result.parameters[step]?[index], try golden.tensor("step\(step).\(name)"),
                        tolerance: Self.tolerance, "\(golden.name) \(name) after step \(step)")
                    if options.emaDecay != nil {
                        assertClose(
                            result.averages[step]?[index], try golden.tensor("average\(step).\(name)"),
                            tolerance: Self.tolerance, "\(golden.name) average of \(name) after step \(step)")
                    }
                }
            }
        }
    }

    /// Each option moves the trajectory (or the average) far beyond the tolerance, so ignoring it
    /// would fail `testTrajectoriesMatchPyTorch`.
    func testTrajectoriesDetectEachWrongOption() throws {
        let file = try GoldenFile.load("optimizerOptions")
        let variants: [String: [(String, (inout Options) -> Void)]] = [
            "sgdMomentumParameterGroups": [
                ("no groups", { $0.biasScale = nil }), ("the biases' decay", { $0.biasWeightDecay = nil })
            ],
            "adamWParameterGroups": [("no groups", { $0.biasScale = nil }), ("scale 1", { $0.biasScale = 1 })],
            "adamParameterGroupsWeightDecay": [("the optimiser's decay", { $0.biasWeightDecay = nil })],
            "adamLookahead": [("no lookahead", { $0.lookaheadSteps = nil }), ("alpha 1", { $0.lookaheadAlpha = 1 })],
            "sgdNesterovLookahead": [("every 4 steps", { $0.lookaheadSteps = 4 })],
            "sgdMomentumEMA": [("decay 0.95", { $0.emaDecay = 0.95 }), ("no warm-up copy", { $0.emaWarmupSteps = 0 })],
            "adamEMADecay0.3": [("decay 0.35", { $0.emaDecay = 0.35 })]
        ]
        for golden in file.cases {
            let key = try Options(golden).emaDecay == nil ? "step20" : "average20"
            let expected = try golden.tensor("\(key).layers.0.bias")
            XCTAssertNotNil(variants[golden.name], golden.name)
            for (label, change) in variants[golden.name] ?? [] {
                var options = try Options(golden)
                change(&options)
                let result = try run(golden, options)
                let actual = (key == "step20" ? result.parameters[20] : result.averages[20])?[1]
                XCTAssertGreaterThan(
                    relativeError(actual, expected), 10 * Self.tolerance,
                    "\(golden.name) with \(label) is indistinguishable from PyTorch's")
            }
        }
    }

    // MARK: - Rules checked by hand

    func testMovingAverageFollowsItsWarmupThenEveryKSteps() throws {
        let weight = Tensor(shape: [1], scalars: [0])
        let average = Tensor(shape: [1], scalars: [7])
        let ema = try ExponentialMovingAverage(
            decay: 0.5, warmupSteps: 3, everySteps: 2, averages: [NamedParameter(name: "w", tensor: average)],
            sources: [NamedParameter(name: "w", tensor: weight)])
        XCTAssertEqual(average.scalar, 0, "the average starts as the weights")
        XCTAssertEqual(ema.updateWeight, 0.75, "1 − 0.5²")
        var expected: [Float] = []
        for step in 1...8 {
            weight.data[0] = Float(step * 10)
            ema.update(afterStep: step)
            expected.append(average.scalar)
        }
        // Step 1: not due. 2: warm-up copy (20). 3: not due. 4: 20 + 0.75·(40 − 20) = 35 (lerp's
        // second form for a weight ≥ 0.5: 40 − 0.25·20). 6: 35 + 0.75·25 = 53.75. 8: 53.75 + 0.75·26.25.
        XCTAssertEqual(expected, [0, 20, 20, 35, 35, 53.75, 53.75, 73.4375])
    }

    func testMovingAverageRefusesBadSettings() {
        let pair = [NamedParameter(name: "w", tensor: Tensor.zeros([2]))]
        XCTAssertThrowsError(try ExponentialMovingAverage(decay: 1, averages: pair, sources: pair))
        XCTAssertThrowsError(try ExponentialMovingAverage(decay: -0.1, averages: pair, sources: pair))
        XCTAssertThrowsError(try ExponentialMovingAverage(decay: 0.9, everySteps: 0, averages: pair, sources: pair))
        XCTAssertThrowsError(try ExponentialMovingAverage(decay: 0.9, warmupSteps: -1, averages: pair, sources: pair))
        XCTAssertThrowsError(try Lookahead(base: try SGD(), steps: 0, alpha: 0.5))
        XCTAssertThrowsError(try Lookahead(base: try SGD(), steps: 5, alpha: 1.5))
    }

    /// Lookahead's first synchronisation pulls the weights back towards where they started (the
    /// paper's slow weights), which timm's lazily created slow weights would not.
    func testLookaheadSlowWeightsStartFromTheInitialWeights() throws {
        let weight = Tensor(shape: [1], scalars: [1], requiresGradient: true)
        let parameters = [NamedParameter(name: "weight", tensor: weight)]
        let optimizer = try Lookahead(base: try SGD(), steps: 2, alpha: 0.5)
        weight.gradient = Tensor(shape: [1], scalars: [1])
        optimizer.step(parameters, learningRate: 0.25)
        XCTAssertEqual(weight.scalar, 0.75)
        optimizer.step(parameters, learningRate: 0.25)
        // fast 0.5, slow 1 → slow 1 + 0.5·(0.5 − 1) = 0.75, and the fast weights restart there.
        XCTAssertEqual(weight.scalar, 0.75)
        XCTAssertEqual(optimizer.stateTensors()["weight.lookaheadSlow"]?.scalar, 0.75)
        XCTAssertEqual(optimizer.stepCount, 2)
    }

    /// Five steps, export, load into fresh optimisers, five more: bit-identical to ten steps, for
    /// Lookahead around SGD with momentum and around Adam.
    func testLookaheadStateRoundTripContinuesBitExactly() throws {
        let golden = try XCTUnwrap(try GoldenFile.load("optimizerOptions").cases.first { $0.name == "adamLookahead" })
        let makers: [(String, () throws -> Optimizer)] = [
            ("SGD", { try Lookahead(base: try SGD(momentum: 0.9), steps: 3, alpha: 0.5) }),
            ("Adam", { try Lookahead(base: try Adam(), steps: 4, alpha: 0.7) })
        ]
        for (label, make) in makers {
            let uninterrupted = try TinyNet(golden), reference = try make()
            for _ in 0..<10 { _ = uninterrupted.trainStep(reference, learningRate: 0.02) }
            let resumed = try TinyNet(golden), before = try make()
            for _ in 0..<5 { _ = resumed.trainStep(before, learningRate: 0.02) }
            let exported = before.stateTensors()
            XCTAssertEqual(exported.keys.filter { $0.hasSuffix(".lookaheadSlow") }.count, 4, label)
            let after = try make()
            try after.loadState(exported, stepCount: 5, parameters: resumed.parameters)
            for _ in 0..<5 { _ = resumed.trainStep(after, learningRate: 0.02) }
            for (mine, theirs) in zip(resumed.parameters, uninterrupted.parameters) {
                XCTAssertEqual(mine.tensor.scalars, theirs.tensor.scalars, "\(label): \(mine.name) after resuming")
            }
            var missing = exported
            missing["layers.0.bias.lookaheadSlow"] = nil
            XCTAssertThrowsError(try make().loadState(missing, stepCount: 5, parameters: resumed.parameters)) {
                XCTAssertTrue(
                    ($0 as? WeftError)?.message.contains("missing key layers.0.bias.lookaheadSlow") == true, "\($0)")
            }
        }
    }
}
