import Weft
import XCTest

final class DataSplitTests: XCTestCase {
    /// 1,000 labels over 4 unbalanced classes: 400, 300, 200, 100 images, interleaved.
    private let labels: [Int] = {
        var generator = RandomGenerator(seed: 3)
        var values =
            [Int](repeating: 0, count: 400) + [Int](repeating: 1, count: 300)
            + [Int](repeating: 2, count: 200) + [Int](repeating: 3, count: 100)
        generator.shuffle(&values)
        return values
    }()

    func testSplitIsStratifiedDisjointAndCovering() {
        let split = stratifiedSplit(labels: labels, validationFraction: 0.1, seed: 42)
        XCTAssertEqual(split.validation.count, 100)
        XCTAssertEqual(split.train.count, 900)
        XCTAssertTrue(Set(split.train).isDisjoint(with: split.validation))
        XCTAssertEqual(Set(split.train).union(split.validation), Set(0..<labels.count))
        XCTAssertEqual(split.train, split.train.sorted())
        var perClass = [0, 0, 0, 0]
        for index in split.validation { perClass[labels[index]] += 1 }
        XCTAssertEqual(perClass, [40, 30, 20, 10])
    }

    func testEachClassRoundsItsOwnShare() {
        // 5 of class 0 and 15 of class 1 at 0.3: round(1.5) = 2 (even), round(4.5) = 4 (even).
        let labels = [Int](repeating: 0, count: 5) + [Int](repeating: 1, count: 15)
        let split = stratifiedSplit(labels: labels, validationFraction: 0.3, seed: 1)
        XCTAssertEqual(split.validation.filter { labels[$0] == 0 }.count, 2)
        XCTAssertEqual(split.validation.filter { labels[$0] == 1 }.count, 4)
    }

    func testSplitIsDeterministicPerSeed() {
        let first = stratifiedSplit(labels: labels, validationFraction: 0.2, seed: 7)
        let again = stratifiedSplit(labels: labels, validationFraction: 0.2, seed: 7)
        let other = stratifiedSplit(labels: labels, validationFraction: 0.2, seed: 8)
        XCTAssertEqual(first.validation, again.validation)
        XCTAssertEqual(first.train, again.train)
        XCTAssertNotEqual(first.validation, other.validation)
        XCTAssertEqual(first.validation.count, other.validation.count)
    }

    func testZeroFractionKeepsEverythingForTraining() {
        let split = stratifiedSplit(labels: labels, validationFraction: 0, seed: 1)
        XCTAssertEqual(split.train, Array(0..<labels.count))
        XCTAssertEqual(split.validation, [])
    }

    func testSubsetKeepsProportionsAndIsDeterministic() {
        let candidates = stratifiedSplit(labels: labels, validationFraction: 0.1, seed: 42).train
        let subset = stratifiedSubset(of: candidates, labels: labels, limit: 90, seed: 5)
        XCTAssertEqual(subset.count, 90)
        XCTAssertTrue(Set(subset).isSubset(of: candidates))
        XCTAssertEqual(Set(subset).count, 90)
        var perClass = [0, 0, 0, 0]
        for index in subset { perClass[labels[index]] += 1 }
        XCTAssertEqual(perClass, [36, 27, 18, 9])
        XCTAssertEqual(stratifiedSubset(of: candidates, labels: labels, limit: 90, seed: 5), subset)
        XCTAssertNotEqual(stratifiedSubset(of: candidates, labels: labels, limit: 90, seed: 6), subset)
    }

    func testSubsetDistributesRemaindersAndHandlesLargeLimits() {
        let all = Array(0..<labels.count)
        // 7 of 1000: quotas 2.8, 2.1, 1.4, 0.7 → floors 2, 2, 1, 0, and the two places left go to the largest remainders (classes 0 and 3).
        var perClass = [0, 0, 0, 0]
        for index in stratifiedSubset(of: all, labels: labels, limit: 7, seed: 1) { perClass[labels[index]] += 1 }
        XCTAssertEqual(perClass, [3, 2, 1, 1])
        XCTAssertEqual(stratifiedSubset(of: all, labels: labels, limit: 5000, seed: 1), all)
        XCTAssertEqual(stratifiedSubset(of: all, labels: labels, limit: 0, seed: 1), [])
    }
}
