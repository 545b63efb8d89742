import Weft
import WeftTestSupport
import XCTest

/// The optimisers and gradient clipping against 20-step PyTorch trajectories
/// (`Tests/Fixtures/make_optimizer_golden.py`), plus the rules a trajectory cannot isolate
/// (undamped first momentum step, bias correction, skipped parameters) and the state round trip.
final class OptimizerTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    private static let tolerance: Float = 1e-5
    private static let savedSteps = [1, 5, 20]

    // MARK: - Golden trajectories

    func testTrajectoriesMatchPyTorch() throws {
        let file = try GoldenFile.load("optimizers")
        XCTAssertEqual(
            Set(file.cases.map(\.name)),
            [
                "sgd", "sgdMomentumDampeningWeightDecay", "sgdNesterovWeightDecay",
                "adam", "adamWeightDecay", "adamW", "adamClipped", "sgdMomentumClipped"
            ])
        for golden in file.cases {
            let settings = try GoldenOptimizerSettings(golden)
            let trajectory = try Trajectory(golden, settings: settings)
            let name = golden.name
            assertClose(
                Tensor(shape: [trajectory.losses.count], scalars: trajectory.losses),
                try golden.tensor("losses"), tolerance: Self.tolerance, "\(name) losses")
            if settings.clipMaxNorm != nil {
                assertClose(
                    Tensor(shape: [trajectory.gradientNorms.count], scalars: trajectory.gradientNorms),
                    try golden.tensor("gradientNorms"), tolerance: Self.tolerance, "\(name) gradient norms")
            }
            for step in Self.savedSteps {
                for (index, parameterName) in TinyNet.parameterNames.enumerated() {
                    assertClose(
                        trajectory.snapshots[step]?[index], try golden.tensor("step\(step).\(parameterName)"),
                        tolerance: Self.tolerance, "\(name) \(parameterName) after step \(step)")
                }
            }
        }
    }

    /// Each setting the goldens exercise changes the trajectory far beyond the tolerance, so a rule
    /// that ignored it (or applied the wrong variant) would fail `testTrajectoriesMatchPyTorch`.
    func testTrajectoriesDetectEachWrongRule() throws {
        let file = try GoldenFile.load("optimizers")
        let variants: [String: [(String, (inout GoldenOptimizerSettings) -> Void)]] = [
            "sgdMomentumDampeningWeightDecay": [
                ("no momentum", { $0.momentum = 0 }),
                ("no dampening", { $0.dampening = 0 }),
                ("no weight decay", { $0.weightDecay = 0 })
            ],
            "sgdNesterovWeightDecay": [
                ("classical momentum", { $0.nesterov = false }),
                ("no weight decay", { $0.weightDecay = 0 })
            ],
            "adam": [
                ("other beta1", { $0.beta1 = 0.8 }),
                ("other beta2", { $0.beta2 = 0.99 })
            ],
            "adamWeightDecay": [
                ("decoupled decay", { $0.decoupledWeightDecay = true }),
                ("no weight decay", { $0.weightDecay = 0 })
            ],
            "adamW": [
                ("L2 decay", { $0.decoupledWeightDecay = false }),
                ("no weight decay", { $0.weightDecay = 0 })
            ],
            "adamClipped": [("no clipping", { $0.clipMaxNorm = nil })],
            "sgdMomentumClipped": [("no clipping", { $0.clipMaxNorm = nil })],
            "sgd": [("momentum", { $0.momentum = 0.9 })]
        ]
        for golden in file.cases {
            let expected = try golden.tensor("step20.layers.0.weight")
            for (label, change) in variants[golden.name] ?? [] {
                var settings = try GoldenOptimizerSettings(golden)
                change(&settings)
                let trajectory = try Trajectory(golden, settings: settings)
                let error = relativeError(trajectory.snapshots[20]?[0], expected)
                XCTAssertGreaterThan(
                    error, 10 * Self.tolerance,
                    "\(golden.name) with \(label) is indistinguishable from PyTorch's trajectory")
            }
        }
    }

    // MARK: - Rules checked by hand

    func testSGDMomentumSkipsDampeningOnTheFirstStep() throws {
        let weight = Tensor(shape: [1], scalars: [1], requiresGradient: true)
        let parameters = [NamedParameter(name: "weight", tensor: weight)]
        let optimizer = try SGD(momentum: 0.9, dampening: 0.5)
        weight.gradient = Tensor(shape: [1], scalars: [0.5])
        optimizer.step(parameters, learningRate: 0.1)
        // buffer = g = 0.5 (a damped first step would give 0.25 and a weight of 0.975)
        XCTAssertEqual(weight.scalar, 0.95, accuracy: 1e-7)
        optimizer.step(parameters, learningRate: 0.1)
        // buffer = 0.9 · 0.5 + (1 − 0.5) · 0.5 = 0.7
        XCTAssertEqual(weight.scalar, 0.88, accuracy: 1e-7)
        XCTAssertEqual(optimizer.stateTensors()["weight.momentumBuffer"]?.scalar ?? 0, 0.7, accuracy: 1e-7)
    }

    func testSGDNesterovLooksAhead() throws {
        let weight = Tensor(shape: [1], scalars: [0], requiresGradient: true)
        let optimizer = try SGD(momentum: 0.5, nesterov: true)
        weight.gradient = Tensor(shape: [1], scalars: [1])
        optimizer.step([NamedParameter(name: "weight", tensor: weight)], learningRate: 1)
        // buffer = 1; direction = g + 0.5 · buffer = 1.5
        XCTAssertEqual(weight.scalar, -1.5)
    }

    func testAdamFirstStepIsBiasCorrected() throws {
        let weight = Tensor(shape: [3], scalars: [1, -2, 0.5], requiresGradient: true)
        weight.gradient = Tensor(shape: [3], scalars: [0.3, -0.001, 40])
        let optimizer = try Adam()
        optimizer.step([NamedParameter(name: "weight", tensor: weight)], learningRate: 0.01)
        // m̂ = g and v̂ = g², so the first update is lr · g / (|g| + ε) ≈ lr · sign(g);
        // without bias correction it would be lr · 0.1 / √0.001 ≈ 3.16 lr.
        XCTAssertEqual(weight.scalars[0], 0.99, accuracy: 1e-6)
        XCTAssertEqual(weight.scalars[1], -1.99, accuracy: 1e-6)
        XCTAssertEqual(weight.scalars[2], 0.49, accuracy: 1e-6)
        XCTAssertEqual(optimizer.stepCount, 1)
    }

    func testAdamWShrinksWeightsWithoutGradient() throws {
        let weight = Tensor(shape: [2], scalars: [2, -4], requiresGradient: true)
        weight.gradient = Tensor.zeros([2])
        let optimizer = try Adam(weightDecay: 0.1, decoupledWeightDecay: true)
        optimizer.step([NamedParameter(name: "weight", tensor: weight)], learningRate: 0.5)
        // p · (1 − 0.5 · 0.1); a zero gradient moves nothing else.
        XCTAssertEqual(weight.scalars, [1.9, -3.8])
    }

    func testParametersWithoutGradientAreSkipped() throws {
        let optimizers: [Optimizer] = [
            try SGD(momentum: 0.9, weightDecay: 0.1), try Adam(weightDecay: 0.1),
            try Adam(weightDecay: 0.1, decoupledWeightDecay: true)
        ]
        for optimizer in optimizers {
            let trained = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
            let untouched = Tensor(shape: [2], scalars: [3, 4], requiresGradient: true)
            trained.gradient = Tensor(shape: [2], scalars: [0.5, -0.5])
            let parameters = [
                NamedParameter(name: "trained", tensor: trained),
                NamedParameter(name: "untouched", tensor: untouched)
            ]
            optimizer.step(parameters, learningRate: 0.1)
            XCTAssertEqual(untouched.scalars, [3, 4], "\(type(of: optimizer))")
            XCTAssertNotEqual(trained.scalars, [1, 2], "\(type(of: optimizer))")
            XCTAssertFalse(
                optimizer.stateTensors().keys.contains { $0.hasPrefix("untouched.") }, "\(type(of: optimizer))")
        }
    }

    func testZeroGradientsKeepsBuffers() {
        let weight = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let gradient = Tensor(shape: [2], scalars: [5, 6])
        weight.gradient = gradient
        zeroGradients([NamedParameter(name: "weight", tensor: weight)])
        XCTAssertTrue(weight.gradient === gradient)
        XCTAssertEqual(gradient.scalars, [0, 0])
    }

    func testInvalidSettingsAreRefused() {
        XCTAssertThrowsError(try SGD(momentum: 0, nesterov: true)) { XCTAssertTrue($0 is WeftError) }
        XCTAssertThrowsError(try SGD(momentum: 0.9, dampening: 0.1, nesterov: true)) { XCTAssertTrue($0 is WeftError) }
        XCTAssertThrowsError(try SGD(momentum: -0.1)) { XCTAssertTrue($0 is WeftError) }
        XCTAssertThrowsError(try SGD(weightDecay: -1)) { XCTAssertTrue($0 is WeftError) }
        XCTAssertThrowsError(try Adam(beta1: 1)) { XCTAssertTrue($0 is WeftError) }
        XCTAssertThrowsError(try Adam(beta2: -0.1)) { XCTAssertTrue($0 is WeftError) }
        XCTAssertThrowsError(try Adam(epsilon: -1e-8)) { XCTAssertTrue($0 is WeftError) }
        XCTAssertThrowsError(try Adam(weightDecay: .nan)) { XCTAssertTrue($0 is WeftError) }
        XCTAssertNoThrow(try SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-4))
    }

    // MARK: - Gradient clipping

    func testClipGradientNormScalesOnlyAboveTheMaximum() {
        let first = Tensor(shape: [2], scalars: [3, 0], requiresGradient: true)
        let second = Tensor(shape: [1], scalars: [0], requiresGradient: true)
        let without = Tensor(shape: [1], scalars: [7], requiresGradient: true)
        let parameters = [
            NamedParameter(name: "first", tensor: first), NamedParameter(name: "second", tensor: second),
            NamedParameter(name: "without", tensor: without)
        ]
        first.gradient = Tensor(shape: [2], scalars: [3, 0])
        second.gradient = Tensor(shape: [1], scalars: [-4])

        XCTAssertEqual(clipGradientNorm(parameters, maxNorm: 5.5), 5)
        XCTAssertEqual(first.gradient?.scalars, [3, 0], "below the maximum nothing changes")
        XCTAssertEqual(second.gradient?.scalars, [-4])

        XCTAssertEqual(clipGradientNorm(parameters, maxNorm: 1), 5)
        let scale = Float(1) * (1 / (Float(5) + Float(1e-6)))
        XCTAssertEqual(first.gradient?.scalars, [3 * scale, 0])
        XCTAssertEqual(second.gradient?.scalars, [-4 * scale])
        XCTAssertNil(without.gradient)
        XCTAssertEqual(clipGradientNorm(parameters, maxNorm: 1), 1, accuracy: 1e-6)
        XCTAssertEqual(clipGradientNorm([NamedParameter(name: "without", tensor: without)], maxNorm: 1), 0)
    }

    // MARK: - State export and import

    /// Five steps, export, load into a fresh optimiser, five more steps: bit-identical to ten
    /// uninterrupted steps, with the learning rate taken from a schedule at `stepCount`.
    func testStateRoundTripContinuesBitExactly() throws {
        let golden = try XCTUnwrap(try GoldenFile.load("optimizers").cases.first)
        let schedule = LearningRateSchedule.cosine(totalSteps: 10, warmupSteps: 2, minimumLearningRate: 1e-3)
        let makers: [(String, () throws -> Optimizer)] = [
            ("SGD momentum", { try SGD(momentum: 0.9, dampening: 0.1, weightDecay: 1e-2) }),
            ("SGD Nesterov", { try SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-2) }),
            ("Adam", { try Adam(weightDecay: 1e-2) }),
            ("AdamW", { try Adam(weightDecay: 0.1, decoupledWeightDecay: true) })
        ]
        for (label, make) in makers {
            func train(_ net: TinyNet, _ optimizer: Optimizer, steps: Int) {
                for _ in 0..<steps {
                    _ = net.trainStep(
                        optimizer, learningRate: schedule.learningRate(atStep: optimizer.stepCount, base: 0.05))
                }
            }
            let uninterrupted = try TinyNet(golden), reference = try make()
            train(uninterrupted, reference, steps: 10)

            let resumed = try TinyNet(golden), before = try make()
            train(resumed, before, steps: 5)
            let exported = before.stateTensors()
            XCTAssertEqual(Set(exported.keys).count, 4 * (label.hasPrefix("SGD") ? 1 : 2), label)
            let after = try make()
            try after.loadState(exported, stepCount: before.stepCount, parameters: resumed.parameters)
            XCTAssertEqual(after.stepCount, 5, label)
            train(resumed, after, steps: 5)

            for (mine, theirs) in zip(resumed.parameters, uninterrupted.parameters) {
                XCTAssertEqual(mine.tensor.scalars, theirs.tensor.scalars, "\(label): \(mine.name) after resuming")
            }
            let referenceState = reference.stateTensors()
            for (key, tensor) in after.stateTensors() {
                XCTAssertEqual(tensor.scalars, referenceState[key]?.scalars, "\(label): \(key) after resuming")
            }

            // The state matters: continuing with a fresh optimiser diverges.
            let restarted = try TinyNet(golden), first = try make()
            train(restarted, first, steps: 5)
            let fresh = try make()
            try fresh.loadState([:], stepCount: 0, parameters: restarted.parameters)
            for _ in 0..<5 {
                _ = restarted.trainStep(
                    fresh, learningRate: schedule.learningRate(atStep: fresh.stepCount + 5, base: 0.05))
            }
            XCTAssertNotEqual(restarted.parameters[0].tensor.scalars, uninterrupted.parameters[0].tensor.scalars, label)
        }
    }

    func testLoadStateRefusesMismatches() throws {
        let golden = try XCTUnwrap(try GoldenFile.load("optimizers").cases.first)
        let net = try TinyNet(golden)
        let adam = try Adam()
        for _ in 0..<3 { _ = net.trainStep(adam, learningRate: 0.01) }
        let exported = adam.stateTensors()
        XCTAssertEqual(
            exported.keys.sorted(),
            TinyNet.parameterNames.flatMap {
                ["\($0).exponentialAverage", "\($0).exponentialAverageOfSquares"]
            }.sorted())

        func assertRefused(
            _ tensors: [String: Tensor], stepCount: Int = 3, into optimizer: Optimizer,
            mentioning expected: String, line: UInt = #line
        ) {
            let before = optimizer.stateTensors().mapValues(\.scalars), stepsBefore = optimizer.stepCount
            XCTAssertThrowsError(
                try optimizer.loadState(tensors, stepCount: stepCount, parameters: net.parameters), line: line
            ) { error in
                guard let error = error as? WeftError else { return XCTFail("not a WeftError: \(error)", line: line) }
                XCTAssertTrue(
                    error.message.contains(expected), "message \"\(error.message)\" lacks \(expected)", line: line)
            }
            XCTAssertEqual(
                optimizer.stateTensors().mapValues(\.scalars), before, "a refused load changed the state", line: line)
            XCTAssertEqual(optimizer.stepCount, stepsBefore, line: line)
        }

        var missing = exported
        missing["layers.2.weight.exponentialAverage"] = nil
        assertRefused(missing, into: adam, mentioning: "missing key layers.2.weight.exponentialAverage")

        var extraSlot = exported
        extraSlot["layers.0.weight.momentumBuffer"] = Tensor.zeros([4, 5])
        assertRefused(extraSlot, into: adam, mentioning: "unexpected key layers.0.weight.momentumBuffer")

        var extraParameter = exported
        extraParameter["layers.4.weight.exponentialAverage"] = Tensor.zeros([4, 5])
        assertRefused(extraParameter, into: adam, mentioning: "unexpected key layers.4.weight.exponentialAverage")

        var wrongShape = exported
        wrongShape["layers.2.bias.exponentialAverageOfSquares"] = Tensor.zeros([4])
        assertRefused(wrongShape, into: adam, mentioning: "layers.2.bias.exponentialAverageOfSquares has shape [4]")

        assertRefused(exported, stepCount: 0, into: adam, mentioning: "step count is 0")
        assertRefused(exported, stepCount: -1, into: adam, mentioning: "must not be negative")

        let momentum = try SGD(momentum: 0.9)
        _ = net.trainStep(momentum, learningRate: 0.1)
        var sgdMissing = momentum.stateTensors()
        XCTAssertEqual(sgdMissing.count, 4)
        sgdMissing["layers.0.bias.momentumBuffer"] = nil
        assertRefused(sgdMissing, stepCount: 1, into: momentum, mentioning: "missing key layers.0.bias.momentumBuffer")
        assertRefused(exported, into: try SGD(), mentioning: "it keeps no state")

        // The valid state loads, and the load copies it.
        let loaded = try Adam()
        try loaded.loadState(exported, stepCount: 3, parameters: net.parameters)
        exported["layers.0.bias.exponentialAverage"]?.data[0] += 1
        XCTAssertNotEqual(
            loaded.stateTensors()["layers.0.bias.exponentialAverage"]?.scalars,
            exported["layers.0.bias.exponentialAverage"]?.scalars)
    }
}

// MARK: - Helpers

/// The golden net: x `[8, 5]` → linear 5→4 → tanh → linear 4→3 → cross-entropy against fixed
/// labels, parameters named as `nn.Sequential(Linear, Tanh, Linear)` names them.
final class TinyNet {
    static let parameterNames = ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]

    let x: Tensor  // [8, 5]
    let labels: [Int]
    let parameters: [NamedParameter]

    /// The golden case's inputs and initial parameters (fresh copies).
    init(_ golden: GoldenCase) throws {
        x = try golden.tensor("x")
        labels = try golden.tensor("labels").scalars.map { Int($0) }
        parameters = try Self.parameterNames.map { name in
            let tensor = try golden.tensor(name)
            tensor.requiresGradient = true
            return NamedParameter(name: name, tensor: tensor)
        }
    }

    func loss() -> Tensor {
        let p = parameters.map(\.tensor)
        return x.linear(weight: p[0], bias: p[1]).tanh().linear(weight: p[2], bias: p[3]).softmaxCrossEntropy(
            labels: labels)
    }

    /// One training step; returns the loss before the update and, when clipping, the gradient norm.
    func trainStep(_ optimizer: Optimizer, learningRate: Float, clipMaxNorm: Double? = nil) -> (
        loss: Float, norm: Float?
    ) {
        zeroGradients(parameters)
        let loss = loss()
        loss.backward()
        let norm = clipMaxNorm.map { clipGradientNorm(parameters, maxNorm: $0) }
        optimizer.step(parameters, learningRate: learningRate)
        return (loss.scalar, norm)
    }
}

/// A golden case's optimiser settings (PyTorch's defaults where the case does not set one).
struct GoldenOptimizerSettings {
    var kind: String
    var learningRate: Float
    var momentum, dampening, weightDecay, beta1, beta2, epsilon: Double
    var nesterov, decoupledWeightDecay: Bool
    var clipMaxNorm: Double?
    var steps: Int

    init(_ golden: GoldenCase) throws {
        func number(_ key: String) -> Double? {
            if case .number(let value)? = golden.params[key] { return value }
            return nil
        }
        kind = try golden.string("optimizer")
        learningRate = try golden.float("learningRate")
        momentum = number("momentum") ?? 0
        dampening = number("dampening") ?? 0
        weightDecay = number("weightDecay") ?? (kind == "adamw" ? 1e-2 : 0)
        beta1 = number("beta1") ?? 0.9
        beta2 = number("beta2") ?? 0.999
        epsilon = number("epsilon") ?? 1e-8
        nesterov = (try? golden.bool("nesterov")) ?? false
        decoupledWeightDecay = kind == "adamw"
        clipMaxNorm = number("clipMaxNorm")
        steps = try golden.int("steps")
    }

    func makeOptimizer() throws -> Optimizer {
        kind == "sgd"
            ? try SGD(momentum: momentum, dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
            : try Adam(
                beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                decoupledWeightDecay: decoupledWeightDecay)
    }
}

/// A training run from a golden case's initial state: losses, gradient norms and parameter copies
/// after the saved steps.
private struct Trajectory {
    var losses: [Float] = []
    var gradientNorms: [Float] = []
    var snapshots: [Int: [Tensor]] = [:]

    init(_ golden: GoldenCase, settings: GoldenOptimizerSettings) throws {
        let net = try TinyNet(golden), optimizer = try settings.makeOptimizer()
        for step in 1...settings.steps {
            let (loss, norm) = net.trainStep(
                optimizer, learningRate: settings.learningRate, clipMaxNorm: settings.clipMaxNorm)
            losses.append(loss)
            if let norm { gradientNorms.append(norm) }
            snapshots[step] = net.parameters.map { $0.tensor.copy() }
        }
    }
}

/// The largest element-wise `|a − e| / (|e| + mean |e|)`: the measure `assertClose` bounds.
func relativeError(_ actual: Tensor?, _ expected: Tensor) -> Float {
    guard let actual, actual.shape == expected.shape else { return .infinity }
    let meanMagnitude = expected.scalars.reduce(0) { $0 + abs($1) } / Float(max(expected.count, 1))
    var worst: Float = 0
    for index in 0..<expected.count {
        worst = max(worst, abs(actual.data[index] - expected.data[index]) / (abs(expected.data[index]) + meanMagnitude))
    }
    return worst
}
