import Weft
import WeftTestSupport
import XCTest

/// Learning-rate schedules against PyTorch's schedulers stepped once per optimiser step
/// (`Tests/Fixtures/make_optimizer_golden.py`), at every step from 0 to the last.
final class ScheduleTests: XCTestCase {
    func testSchedulesMatchPyTorch() throws {
        let file = try GoldenFile.load("schedules")
        XCTAssertEqual(
            Set(try file.cases.map { try $0.string("type") }), ["constant", "step", "multiStep", "cosine", "oneCycle"])
        for golden in file.cases {
            let schedule = try Self.schedule(golden), base = try golden.float("base")
            XCTAssertNoThrow(try schedule.validate(), golden.name)
            let steps = try golden.tensor("steps").scalars.map { Int($0) }
            let expected = try golden.tensor("learningRates").scalars
            XCTAssertEqual(steps.count, expected.count)
            for (step, rate) in zip(steps, expected) {
                XCTAssertEqual(
                    schedule.learningRate(atStep: step, base: base), rate, accuracy: 1e-6 * abs(rate) + 1e-12,
                    "\(golden.name) at step \(step)")
            }
        }
    }

    func testPastTheEnd() throws {
        for golden in try GoldenFile.load("schedules").cases {
            let schedule = try Self.schedule(golden), base = try golden.float("base")
            let last = try golden.tensor("steps").scalars.count - 1
            let lastRate = try golden.tensor("learningRates").scalars[last]
            switch schedule {
            case .constant, .cosine, .oneCycle:
                // The last golden step is the end of the schedule: the rate stays there.
                for step in [last + 1, last + 2, last + 1000] {
                    XCTAssertEqual(
                        schedule.learningRate(atStep: step, base: base), lastRate,
                        accuracy: 1e-6 * abs(lastRate) + 1e-12,
                        "\(golden.name) at step \(step)")
                }
            case let .step(stepSize, gamma):
                let step = last + 7 * stepSize
                XCTAssertEqual(
                    schedule.learningRate(atStep: step, base: base), lastRate * Float(pow(gamma, 7)),
                    accuracy: 1e-5 * lastRate, golden.name)
            case .multiStep:
                // Every milestone is below the last golden step.
                XCTAssertEqual(
                    schedule.learningRate(atStep: 100_000, base: base), lastRate, accuracy: 1e-6 * lastRate, golden.name
                )
            }
        }
    }

    /// The sample points of the formulas: warm-up start and edges, the cosine's middle, the end.
    func testCosineShape() {
        let schedule = LearningRateSchedule.cosine(totalSteps: 110, warmupSteps: 10, minimumLearningRate: 0.01)
        XCTAssertEqual(schedule.learningRate(atStep: 0, base: 1.1), 0.1, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(atStep: 1, base: 1.1), 0.2, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(atStep: 9, base: 1.1), 1.0, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(atStep: 10, base: 1.1), 1.1)
        XCTAssertEqual(schedule.learningRate(atStep: 60, base: 1.1), (1.1 + 0.01) / 2, accuracy: 1e-7)
        XCTAssertLessThan(schedule.learningRate(atStep: 109, base: 1.1), 0.011)
        XCTAssertEqual(schedule.learningRate(atStep: 110, base: 1.1), 0.01)
        let noWarmup = LearningRateSchedule.cosine(totalSteps: 4, warmupSteps: 0, minimumLearningRate: 0)
        let root = Float(0.5.squareRoot())
        for (step, expected) in zip(0...4, [2, 1 + root, 1, 1 - root, 0]) {
            XCTAssertEqual(noWarmup.learningRate(atStep: step, base: 2), expected, accuracy: 1e-6, "step \(step)")
        }
    }

    func testOneCycleShapeIgnoresBase() {
        let schedule = LearningRateSchedule.oneCycle(totalSteps: 100, maxLearningRate: 0.5)
        XCTAssertEqual(
            schedule,
            .oneCycle(totalSteps: 100, maxLearningRate: 0.5, percentStart: 0.3, divFactor: 25, finalDivFactor: 1e4))
        XCTAssertEqual(schedule.learningRate(atStep: 0, base: 123), 0.02, accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(atStep: 0, base: 0.001), 0.02, accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(atStep: 29, base: 1), 0.5, accuracy: 1e-7)
        XCTAssertEqual(schedule.learningRate(atStep: 99, base: 1), 0.02 / 1e4, accuracy: 1e-12)
    }

    func testStepAndMultiStep() {
        XCTAssertEqual(
            (0..<7).map { LearningRateSchedule.step(stepSize: 2, gamma: 0.5).learningRate(atStep: $0, base: 8) },
            [8, 8, 4, 4, 2, 2, 1])
        XCTAssertEqual(
            (0..<6).map {
                LearningRateSchedule.multiStep(milestones: [4, 1, 4], gamma: 0.5).learningRate(atStep: $0, base: 8)
            },
            [8, 4, 4, 4, 1, 1])
        XCTAssertEqual(LearningRateSchedule.constant.learningRate(atStep: 1_000_000, base: 0.3), 0.3)
    }

    func testValidation() {
        let invalid: [LearningRateSchedule] = [
            .step(stepSize: 0, gamma: 0.1), .step(stepSize: 3, gamma: -1),
            .multiStep(milestones: [3, -1], gamma: 0.1), .multiStep(milestones: [3], gamma: .nan),
            .cosine(totalSteps: 0, warmupSteps: 0, minimumLearningRate: 0),
            .cosine(totalSteps: 10, warmupSteps: 11, minimumLearningRate: 0),
            .cosine(totalSteps: 10, warmupSteps: 1, minimumLearningRate: -1),
            .oneCycle(totalSteps: 0, maxLearningRate: 0.1), .oneCycle(totalSteps: 10, maxLearningRate: 0),
            .oneCycle(totalSteps: 10, maxLearningRate: 0.1, percentStart: 1.5),
            .oneCycle(totalSteps: 10, maxLearningRate: 0.1, divFactor: 0),
            .oneCycle(totalSteps: 10, maxLearningRate: 0.1, finalDivFactor: .infinity)
        ]
        for schedule in invalid {
            XCTAssertThrowsError(try schedule.validate(), "\(schedule)") { XCTAssertTrue($0 is WeftError) }
        }
        XCTAssertNoThrow(
            try LearningRateSchedule.cosine(totalSteps: 10, warmupSteps: 10, minimumLearningRate: 0).validate())
    }

    /// The schedule a golden case describes.
    private static func schedule(_ golden: GoldenCase) throws -> LearningRateSchedule {
        func number(_ key: String) throws -> Double {
            guard case .number(let value)? = golden.params[key] else {
                throw GoldenError.missing("\(golden.name): no \(key)")
            }
            return value
        }
        switch try golden.string("type") {
        case "constant":
            return .constant
        case "step":
            return .step(stepSize: try golden.int("stepSize"), gamma: try number("gamma"))
        case "multiStep":
            return .multiStep(
                milestones: try golden.tensor("milestones").scalars.map { Int($0) }, gamma: try number("gamma"))
        case "cosine":
            return .cosine(
                totalSteps: try golden.int("totalSteps"), warmupSteps: try golden.int("warmupSteps"),
                minimumLearningRate: try number("minimumLearningRate"))
        case "oneCycle":
            return .oneCycle(
                totalSteps: try golden.int("totalSteps"), maxLearningRate: try number("maxLearningRate"),
                percentStart: try number("percentStart"), divFactor: try number("divFactor"),
                finalDivFactor: try number("finalDivFactor"))
        case let other:
            throw GoldenError.missing("\(golden.name): unknown schedule type \(other)")
        }
    }
}
