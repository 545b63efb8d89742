/// A trained model as a checkpoint that training can start from (`weft import`).
extension TrainingSnapshot {
    /// A model that Weft has not trained (an imported one): its weights and buffers, a fresh
    /// training state (epoch 0, step 0, the generators of the config's seed) and no optimiser
    /// state. Resuming it trains the config from these weights.
    public init(untrained model: TrainedModel) {
        let tensors = (model.model.parameters + model.model.buffers).map {
            SavedTensor(name: $0.name, shape: $0.tensor.shape.dimensions, values: $0.tensor.scalars)
        }
        self.init(
            config: model.config, state: TrainingState(seed: model.config.training.seed), model: tensors,
            optimizerState: [], optimizerStepCount: 0, normalization: model.normalization,
            classNames: model.classNames)
    }
}

extension Checkpoint {
    /// A checkpoint of a model that has not been trained by Weft (an imported one): see
    /// `TrainingSnapshot(untrained:)`. `weft resume` on it trains the config from these weights.
    public init(untrained model: TrainedModel) {
        self.init(snapshot: TrainingSnapshot(untrained: model))
    }
}
