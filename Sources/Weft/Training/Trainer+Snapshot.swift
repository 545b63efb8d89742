/// The trainer as a `TrainingSnapshot` (what a checkpoint saves) and back.
extension Trainer {
    /// The trainer's whole state now: parameters and buffers (copied), the optimiser's state
    /// tensors sorted by key and its step count, the moving average (with `training.ema`), the
    /// training state, the config, the normalisation and the class names.
    public func snapshot() -> TrainingSnapshot {
        func saved(_ tensors: [NamedParameter]) -> [TrainingSnapshot.SavedTensor] {
            tensors.map {
                TrainingSnapshot.SavedTensor(
                    name: $0.name, shape: $0.tensor.shape.dimensions, values: $0.tensor.scalars)
            }
        }
        let tensors = saved(parameters + model.buffers)
        let optimizerState = optimizer.stateTensors().sorted { $0.key < $1.key }.map {
            TrainingSnapshot.SavedTensor(name: $0.key, shape: $0.value.shape.dimensions, values: $0.value.scalars)
        }
        return TrainingSnapshot(
            config: config, state: state, model: tensors, optimizerState: optimizerState,
            optimizerStepCount: optimizer.stepCount, normalization: data.normalization,
            classNames: data.train.classNames, averagedModel: saved(averaging?.averages ?? []))
    }

    /// Copies a snapshot's parameters, buffers, optimiser state, moving average and training
    /// state into this trainer (built from the same model config), checking every name and shape
    /// first; nothing changes when it throws. With `training.ema` and a snapshot without an
    /// average (a run that kept none, or `weft import`'s), the average starts from the weights;
    /// a snapshot's average is ignored by a trainer that keeps none. The snapshot's config, normalisation and class names are not used:
    /// the trainer was built with them.
    /// - Parameter source: the checkpoint the snapshot was read from, named in errors.
    public func restore(from snapshot: TrainingSnapshot, source: String) throws {
        let match = WeightMatch(targets: parameters + model.buffers, saved: snapshot.model)
        switch match.mismatches.first {
        case .missing(let name, _):
            throw WeftError(
                "\(source): has no tensor \(name), which the config's model needs; the checkpoint does not belong to this config"
            )
        case .wrongShape(let name, let saved, let needed):
            throw WeftError(
                "\(source): tensor \(name) has shape \(saved) but the config's model needs \(Shape(needed)); the checkpoint does not match its config"
            )
        case .unexpected(let name, _):
            throw WeftError(
                "\(source): tensor \(name) belongs to no layer of the config's model; the checkpoint does not match its config"
            )
        case nil: break
        }
        var averageMatch: WeightMatch<TrainingSnapshot.SavedTensor>?
        if let averaging, !snapshot.averagedModel.isEmpty {
            let match = WeightMatch(targets: averaging.averages, saved: snapshot.averagedModel)
            switch match.mismatches.first {
            case .missing(let name, _), .wrongShape(let name, _, _), .unexpected(let name, _):
                throw WeftError(
                    "\(source): tensor \(Checkpoint.averagePrefix)\(name) of the moving average is missing, of the wrong shape or of no layer of the config's model; the checkpoint is damaged"
                )
            case nil: averageMatch = match
            }
        }
        var optimizerTensors: [String: Tensor] = [:]
        for tensor in snapshot.optimizerState {
            optimizerTensors[tensor.name] = Tensor(shape: Shape(tensor.shape), scalars: tensor.values)
        }
        do {
            try optimizer.loadState(
                optimizerTensors, stepCount: snapshot.optimizerStepCount, parameters: frozen.trainable)
        } catch let error as WeftError {
            let savedSlow = optimizerTensors.keys.contains { $0.hasSuffix(".lookaheadSlow") }
            if snapshot.optimizerStepCount > 0, savedSlow != (optimizer is Lookahead) {
                throw WeftError(
                    "\(source): the run trained \(savedSlow ? "with" : "without") training.optimizer.lookahead, which cannot be \(savedSlow ? "removed" : "added") on resume; resume with the run's optimiser, or start a new run from these weights with weft train --init-from \(source)"
                )
            }
            throw WeftError("\(source): the optimiser state does not fit the model (\(error.message))")
        }
        match.copy()
        if let averageMatch { averageMatch.copy() } else { averaging?.copySources() }
        state = snapshot.state
    }
}
