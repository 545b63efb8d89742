/// Splits image indices into `k` folds with the class proportions of the whole, for k-fold
/// cross-validation: fold `f` validates a candidate trained on the other `k − 1` folds.
///
/// Each class's indices are shuffled by a seeded generator; the shuffled classes are laid one
/// after another (ascending class) and dealt to the folds in turn (position `p` goes to fold
/// `p mod k`). So every class is spread over the folds as evenly as possible (each fold gets
/// ⌊n_c / k⌋ or ⌈n_c / k⌉ of class `c`), and fold sizes differ by at most one. Like
/// scikit-learn's `StratifiedKFold(n_splits=k, shuffle=True)`, though not with the same random
/// choice.
///
/// - Parameters:
///   - indices: the images to split (e.g. the training split), any order, no duplicates.
///   - labels: `[N]` the class of every image of the dataset; `indices` index into it.
///   - folds: `k`, at least 2 and at most `indices.count`.
///   - seed: the split's seed; equal seeds give equal folds.
/// - Returns: `k` lists of indices, each ascending; disjoint, and together exactly `indices`.
public func stratifiedFolds(of indices: [Int], labels: [Int], folds: Int, seed: UInt64) -> [[Int]] {
    precondition(
        folds >= 2 && folds <= indices.count,
        "stratifiedFolds: folds must be from 2 to \(indices.count), got \(folds)")
    var groups = [Int: [Int]]()
    for index in indices.sorted() {
        groups[labels[index], default: []].append(index)
    }
    var generator = RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .crossValidationFolds))
    var result = [[Int]](repeating: [], count: folds)
    var position = 0
    for label in groups.keys.sorted() {
        var members = groups[label] ?? []
        generator.shuffle(&members)
        for index in members {
            result[position % folds].append(index)
            position += 1
        }
    }
    return result.map { $0.sorted() }
}

/// The training and validation indices of fold `fold` of `folds`: validation is that fold,
/// training all the others (ascending).
public func crossValidationSplit(folds: [[Int]], fold: Int) -> (train: [Int], validation: [Int]) {
    let train = folds.enumerated().filter { $0.offset != fold }.flatMap(\.element).sorted()
    return (train, folds[fold])
}
