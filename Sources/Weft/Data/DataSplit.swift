/// Splits image indices into training and validation parts with the same class proportions.
///
/// Each class contributes `round(validationFraction × its count)` images (halves to even, as
/// Python's `round`) to validation, chosen by a seeded shuffle of that class's indices; the rest
/// stay for training. Like scikit-learn's `train_test_split(stratify=labels)`, though not with
/// the same random choice.
///
/// - Parameters:
///   - labels: `[N]` the class of every image.
///   - validationFraction: the share of each class held out, in `[0, 1)`.
///   - seed: the split's seed; equal seeds give equal splits.
/// - Returns: image indices, each list ascending; disjoint, and together they cover `0..<N`.
public func stratifiedSplit(labels: [Int], validationFraction: Double, seed: UInt64) -> (
    train: [Int], validation: [Int]
) {
    precondition(
        validationFraction >= 0 && validationFraction < 1,
        "stratifiedSplit: validationFraction must be in [0, 1), got \(validationFraction)")
    var generator = RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .validationSplit))
    var train = [Int](), validation = [Int]()
    for var members in indicesByClass(labels: labels, indices: Array(labels.indices)) {
        generator.shuffle(&members)
        let held = Int((validationFraction * Double(members.count)).rounded(.toNearestOrEven))
        validation += members[0..<held]
        train += members[held...]
    }
    return (train.sorted(), validation.sorted())
}

/// A seeded subset of `limit` indices with the class proportions of `indices`: how a
/// `data.trainLimit` shrinks a training set for quick runs.
///
/// Class `c` with `n_c` of the `n` indices gets `floor(limit × n_c / n)` places, and the places
/// left over go to the classes with the largest remainders (ties to the lower class); within a
/// class, the first images of a seeded shuffle are kept.
///
/// - Parameters:
///   - indices: the candidates (e.g. the training part of `stratifiedSplit`).
///   - labels: `[N]` the class of every image of the dataset.
///   - limit: how many to keep; at least `indices.count` keeps them all.
///   - seed: the subset's seed.
/// - Returns: `min(limit, indices.count)` indices, ascending.
public func stratifiedSubset(of indices: [Int], labels: [Int], limit: Int, seed: UInt64) -> [Int] {
    precondition(limit >= 0, "stratifiedSubset: limit must not be negative, got \(limit)")
    guard limit < indices.count else { return indices.sorted() }
    let groups = indicesByClass(labels: labels, indices: indices)
    let total = indices.count
    var quotas = groups.map { limit * $0.count / total }
    let remainders = groups.enumerated().map { (offset: $0.offset, remainder: limit * $0.element.count % total) }
    let order = remainders.sorted { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.offset < $1.offset }
    for place in order.prefix(limit - quotas.reduce(0, +)) {
        quotas[place.offset] += 1
    }
    var generator = RandomGenerator(seed: SeedDerivation.seed(seed, purpose: .subset))
    var kept = [Int]()
    for (group, quota) in zip(groups, quotas) {
        var members = group
        generator.shuffle(&members)
        kept += members[0..<quota]
    }
    return kept.sorted()
}

/// `indices` grouped by label, groups in ascending label order (empty classes omitted), each
/// group ascending.
private func indicesByClass(labels: [Int], indices: [Int]) -> [[Int]] {
    var groups = [Int: [Int]]()
    for index in indices.sorted() {
        groups[labels[index], default: []].append(index)
    }
    return groups.keys.sorted().compactMap { groups[$0] }
}
