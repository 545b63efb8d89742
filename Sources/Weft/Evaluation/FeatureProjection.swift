/// Penultimate-layer features of some images projected on their first two principal components.
public struct FeatureProjection: Sendable {
    /// The dataset indices of the projected images.
    public let indices: [Int]
    public let labels: [Int]
    /// `[count]` coordinates along the first and second component.
    public let first: [Double]
    public let second: [Double]
    /// The feature count (the classifier's input size).
    public let dimension: Int
    /// The shares of the features' variance the two components explain.
    public let explainedVarianceRatio: [Double]
    /// The position of the classifier layer in `model.layers`: the features are its input.
    public let layerIndex: Int

    /// Projects up to `limit` of `indices` (a seeded stratified subset when there are more), in
    /// dataset order, so that no class is drawn entirely on top of another.
    public init(model: TrainedModel, dataset: ImageDataset, indices: [Int], limit: Int, seed: UInt64) {
        let chosen =
            (indices.count > limit
            ? stratifiedSubset(of: indices, labels: dataset.labels, limit: limit, seed: seed) : indices).sorted()
        let (values, dimension) = model.features(dataset: dataset, indices: chosen)
        self.indices = chosen
        labels = chosen.map { dataset.labels[$0] }
        self.dimension = dimension
        layerIndex = model.classifierLayerIndex
        guard chosen.count >= 2 else {
            first = chosen.map { _ in 0 }
            second = first
            explainedVarianceRatio = [0, 0]
            return
        }
        let pca = PrincipalComponents(values: values, rows: chosen.count, columns: dimension, count: 2)
        let projected = pca.project(values, rows: chosen.count)
        let components = pca.components.count
        first = (0..<chosen.count).map { projected[$0 * components] }
        second = (0..<chosen.count).map { components > 1 ? projected[$0 * components + 1] : 0 }
        explainedVarianceRatio = pca.explainedVarianceRatio + (components > 1 ? [] : [0])
    }
}
