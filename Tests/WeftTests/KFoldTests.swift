import Weft
import XCTest

/// Stratified k-fold cross-validation: folds keep the class proportions, are disjoint, cover
/// exactly the indices given, and depend only on the seed.
final class KFoldTests: XCTestCase {
    /// 1,000 labels over 4 unbalanced classes (400, 300, 200, 100), shuffled.
    private let labels: [Int] = {
        var generator = RandomGenerator(seed: 3)
        var values =
            [Int](repeating: 0, count: 400) + [Int](repeating: 1, count: 300)
            + [Int](repeating: 2, count: 200) + [Int](repeating: 3, count: 100)
        generator.shuffle(&values)
        return values
    }()

    func testFoldsAreStratifiedDisjointAndCoverTheTrainingSplit() {
        // The training part of a validation split: what a search cross-validates on.
        let pool = stratifiedSplit(labels: labels, validationFraction: 0.1, seed: 42).train
        for k in [2, 3, 5, 7] {
            let folds = stratifiedFolds(of: pool, labels: labels, folds: k, seed: 11)
            XCTAssertEqual(folds.count, k)
            XCTAssertEqual(
                folds.flatMap { $0 }.sorted(), pool.sorted(), "k=\(k): the folds must cover the pool exactly once")
            XCTAssertEqual(Set(folds.flatMap { $0 }).count, pool.count, "k=\(k): the folds must be disjoint")
            XCTAssertLessThanOrEqual(
                (folds.map(\.count).max() ?? 0) - (folds.map(\.count).min() ?? 0), 1, "k=\(k): fold sizes")
            for fold in folds { XCTAssertEqual(fold, fold.sorted()) }
            for label in 0..<4 {
                let total = pool.filter { labels[$0] == label }.count
                for (index, fold) in folds.enumerated() {
                    let count = fold.filter { labels[$0] == label }.count
                    XCTAssertTrue(
                        count == total / k || count == (total + k - 1) / k,
                        "k=\(k) fold \(index) class \(label): \(count) of \(total), expected \(total / k) or \((total + k - 1) / k)"
                    )
                }
            }
        }
    }

    func testCrossValidationSplitTrainsOnTheOtherFolds() {
        let folds = stratifiedFolds(of: Array(0..<labels.count), labels: labels, folds: 3, seed: 1)
        for fold in 0..<3 {
            let split = crossValidationSplit(folds: folds, fold: fold)
            XCTAssertEqual(split.validation, folds[fold])
            XCTAssertTrue(Set(split.train).isDisjoint(with: split.validation))
            XCTAssertEqual(split.train.count + split.validation.count, labels.count)
            XCTAssertEqual(split.train, split.train.sorted())
        }
    }

    func testTheSameSeedGivesTheSameFoldsAndAnotherSeedOthers() {
        let pool = Array(0..<labels.count)
        let first = stratifiedFolds(of: pool, labels: labels, folds: 3, seed: 42)
        XCTAssertEqual(
            first, stratifiedFolds(of: pool.reversed(), labels: labels, folds: 3, seed: 42),
            "the folds depend on the set of indices and the seed, not on their order")
        XCTAssertNotEqual(first, stratifiedFolds(of: pool, labels: labels, folds: 3, seed: 43))
    }
}
