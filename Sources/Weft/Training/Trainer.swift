import Foundation

/// Trains a model from a config: the epoch loop with seeded shuffling and augmentation, the
/// optimiser and schedule, validation after every epoch, early stopping, the progress line, the
/// run folder's `metrics.jsonl`, and a final test-set evaluation. This is one process's loop; a
/// whole job (the run folder, checkpoints, signals, resuming) is a `TrainingRun`, which runs it.
/// At each checkpoint moment it hands a `TrainingSnapshot` of itself to `onCheckpoint`.
public final class Trainer {
    public let config: TrainingConfig
    public let data: TrainingData
    public let model: Sequential
    /// The model's trainable tensors with their stable names (the frozen ones too).
    public let parameters: [NamedParameter]
    /// The parameters `training.freeze` keeps fixed; `frozen.trainable` are the ones the
    /// optimiser updates.
    public let frozen: FrozenParameters
    public let optimizer: Optimizer
    /// The trainable parameters in the groups of `training.parameterGroups` (one group without).
    public let parameterGroups: [ParameterGroup]
    /// With `training.ema`: a second copy of the model holding the moving average of the
    /// weights, which validation and testing evaluate; nil without.
    public let averagedModel: Sequential?
    /// With `training.ema`: the average's update rule, pairing `averagedModel`'s tensors with the
    /// model's.
    public let averaging: ExponentialMovingAverage?
    public let schedule: LearningRateSchedule
    /// How the training steps' Winograd convolutions multiply: `.bfloat16` for `training.precision`
    /// `"bf16"` on a CPU with AVX-512 BF16, `.float32` otherwise (see `precisionNote`).
    public let convolutionProducts: Winograd.Products
    /// The line a run prints about its precision: nil for float32 as asked.
    public var precisionNote: String? {
        guard config.training.precision == "bf16" else { return nil }
        return convolutionProducts == .bfloat16
            ? "precision (training.precision): bf16 products in the Winograd convolutions, float32 sums, weights and evaluation"
            : "warning: training.precision is \"bf16\" but this CPU has no AVX-512 BF16; training in float32 (set \"fp32\" to silence this)"
    }
    public let trainLoader: BatchLoader
    public let runLog: RunLog
    public let progress: Progress
    public var state: TrainingState
    /// The replicas of the run: the ranks of a data-parallel job (MPI), or this process alone
    /// (a `SingleProcessCommunicator`), where every collective leaves the values as they are.
    public let replicas: ReplicaGroup
    /// Whether this process prints and writes: always, except on the ranks other than 0.
    public var isLeader: Bool { replicas.isLeader }

    /// Receives the snapshot at each checkpoint moment (`TrainingRun` plugs its `CheckpointWriter`
    /// in on rank 0); the snapshot is made only when it is set.
    var onCheckpoint: ((TrainingSnapshot, CheckpointMoment) throws -> Void)?
    /// Called on rank 0 after each finished epoch (its record is the history's last), after
    /// `metrics.jsonl` got it; the live report plugs in here.
    var onEpochEnd: ((TrainingState) -> Void)?
    /// Polled after every step; when it returns true the run stops cleanly after that step.
    var shouldStop: () -> Bool = { false }

    /// How a call to `train()` ended (`TrainingRun.Outcome` is what callers see).
    enum Outcome: Equatable, Sendable {
        case finished(test: EvaluationResult)
        case earlyStopped(test: EvaluationResult)
        case interrupted
    }

    /// A new run: the model is built and initialised from the config's seed. `runFolder` is where
    /// `metrics.jsonl` goes (by default `checkpoint.directory`; a resumed run passes the
    /// checkpoint's folder). With a `communicator` of several ranks the trainer is one replica of
    /// a data-parallel run (see `ReplicaGroup`): `config.training.batchSize` stays the global
    /// batch, of which this rank trains its shard.
    public init(
        config: TrainingConfig, data: TrainingData, source: String, runFolder: String? = nil,
        progress: Progress? = nil, communicator: Communicator? = nil
    ) throws {
        let builder = try ModelBuilder(config: config.model, source: source)
        try data.check(config.model, builder: builder, source: source)
        self.config = config
        self.data = data
        var generator = RandomGenerator(seed: SeedDerivation.seed(config.training.seed, purpose: .initialization))
        model = builder.build(generator: &generator)
        parameters = model.parameters
        if case let .conv2d(_, kernel, _, _, _, .whitening(epsilon))? = config.model.layers.first,
            let weight = parameters.first(where: { $0.name == "layers.0.weight" })
        {
            let whitening = try PatchWhitening(
                dataset: data.train, indices: data.trainIndices, normalization: data.normalization, kernel: kernel,
                source: source)
            let filters = whitening.filters(epsilon: epsilon)
            filters.withUnsafeBufferPointer { weight.tensor.data.update(from: $0.baseAddress!, count: $0.count) }
        }
        frozen = try FrozenParameters(
            prefixes: config.training.freeze, parameters: parameters, buffers: model.buffers, source: source)
        frozen.apply()
        optimizer = try config.training.optimizer.makeOptimizer()
        convolutionProducts =
            config.training.precision == "bf16" && BFloat16Products.isSupported ? .bfloat16 : .float32
        parameterGroups = try ParameterGrouping(
            settings: config.training.parameterGroups, trainable: frozen.trainable, parameters: parameters,
            buffers: model.buffers, source: source
        ).groups
        if let ema = config.training.ema {
            var unused = RandomGenerator(seed: 0)
            let copy = builder.build(generator: &unused)
            averagedModel = copy
            averaging = try ExponentialMovingAverage(
                decay: ema.decay, warmupSteps: ema.warmupSteps, everySteps: ema.everySteps,
                averages: copy.parameters + copy.buffers, sources: parameters + model.buffers)
        } else {
            averagedModel = nil
            averaging = nil
        }
        let augmentation = AugmentationSettings(
            randomCropPadding: config.data.augment.randomCropPadding,
            horizontalFlip: config.data.augment.horizontalFlip,
            randomErasing: config.data.augment.randomErasingProbability,
            alternatingFlip: config.data.augment.alternatingFlip)
        let batchSize = config.training.batchSize
        if builder.needsBatchesAboveOne && batchSize == 1 {
            throw WeftError(
                "\(source): training.batchSize: batch-norm on a flat or 1×1 input needs at least 2 images per batch, got 1"
            )
        }
        let ranks = communicator?.size ?? 1
        let imagesPerRank = builder.needsBatchesAboveOne ? 2 : 1
        if batchSize < ranks * imagesPerRank {
            throw WeftError(
                "\(source): training.batchSize: \(batchSize) images cannot be shared by \(ranks) ranks (each needs at least \(imagesPerRank)); raise the batch size or use fewer ranks"
            )
        }
        // A last batch of one image would leave such a batch-norm layer one value per channel, and
        // one smaller than the ranks would leave a rank without images: drop it.
        let remainder = data.trainIndices.count % batchSize
        let dropsSingleImageBatch = remainder > 0 && remainder < ranks * imagesPerRank
        trainLoader = BatchLoader(
            dataset: data.train, indices: data.trainIndices, batchSize: batchSize,
            normalization: data.normalization, augmentation: augmentation, seed: config.training.seed,
            dropLastPartialBatch: dropsSingleImageBatch)
        schedule = try config.training.schedule.schedule(
            stepsPerEpoch: trainLoader.batchesPerEpoch,
            epochs: config.training.epochs,
            learningRate: config.training.optimizer.learningRate)
        runLog = RunLog(directory: runFolder ?? config.checkpoint.directory)
        self.progress = progress ?? Progress(epochs: config.training.epochs)
        replicas = ReplicaGroup(communicator: communicator ?? SingleProcessCommunicator())
        state = TrainingState(seed: config.training.seed)
        if !isLeader { self.progress.muted = true }
        state.dropoutGenerator = dropoutGenerator(step: 0)
        state.augmentationGenerator = augmentationGenerator(epoch: 0)
    }

    /// This rank's augmentation generator for `epoch` (rank 0's is the loader's).
    private func augmentationGenerator(epoch: Int) -> RandomGenerator {
        RandomGenerator(
            seed: SeedDerivation.seed(
                SeedDerivation.seed(config.training.seed, purpose: .augmentation, index: UInt64(epoch)),
                replica: replicas.rank))
    }

    /// This rank's dropout generator when it starts at `step` (0 for a new run).
    private func dropoutGenerator(step: Int) -> RandomGenerator {
        RandomGenerator(
            seed: SeedDerivation.seed(
                SeedDerivation.seed(config.training.seed, purpose: .dropout, index: UInt64(step)),
                replica: replicas.rank))
    }

    /// Before the first step of a data-parallel run: every rank takes its generators (its own
    /// from a checkpoint of as many ranks, else fresh ones derived from the seed, the epoch and
    /// the rank), then rank 0's weights, buffers and optimiser state are broadcast.
    /// A checkpoint's per-rank generators are used once: the next checkpoint gathers them anew.
    private func prepareReplicas() throws {
        let saved = state.replicaGenerators
        state.replicaGenerators = []
        if saved.count == replicas.size {
            state.dropoutGenerator = saved[replicas.rank].dropout
            state.augmentationGenerator = saved[replicas.rank].augmentation
        } else if replicas.rank > 0 {
            state.dropoutGenerator = dropoutGenerator(step: state.step)
            state.augmentationGenerator = augmentationGenerator(epoch: state.epoch)
        }
        try replicas.broadcastFromRankZero(
            parameters: parameters, buffers: model.buffers + (averaging?.averages ?? []), optimizer: optimizer,
            trainable: frozen.trainable)
        if config.training.syncBatchNorm { batchNormSynchronization = replicas.batchNormSynchronization() }
    }

    /// `training.syncBatchNorm` in a data-parallel job: the allreduce of batch-norm statistics.
    private var batchNormSynchronization: BatchNormSynchronization?

    /// Gathers every rank's generators into the state (on every rank), then hands the snapshot
    /// to `onCheckpoint` where it is set.
    private func checkpoint(_ moment: CheckpointMoment) throws {
        if replicas.size > 1 {
            state.replicaGenerators = try replicas.gatherGenerators(
                dropout: state.dropoutGenerator,
                augmentation: state.augmentationGenerator)
        }
        if let onCheckpoint { try onCheckpoint(snapshot(), moment) }
        checkpointsMade += 1
    }

    /// Checkpoint moments this trainer has passed (on every rank; rank 0 wrote them).
    public private(set) var checkpointsMade = 0

    /// The learning rate of the next step.
    public var learningRate: Float {
        schedule.learningRate(atStep: state.step, base: config.training.optimizer.learningRate)
    }

    /// Trains until the configured epochs are done, early stopping triggers, or `shouldStop`.
    func train() throws -> Outcome {
        let settings = config.training
        try prepareReplicas()
        while state.epoch < settings.epochs {
            if state.batchInEpoch == 0, let patience = settings.earlyStoppingPatience, let best = state.bestEpoch,
                state.epoch - best >= patience
            {
                progress.finish(
                    with:
                        "early stopping: no better validation accuracy for \(patience) epoch\(patience == 1 ? "" : "s") (best \(Trainer.percent(state.bestValidationAccuracy ?? 0)) at epoch \(best))"
                )
                return .earlyStopped(test: try finalTest())
            }
            guard try trainEpoch() else {
                try checkpoint(.interrupted)
                return .interrupted
            }
        }
        return .finished(test: try finalTest())
    }

    /// Trains the rest of the current epoch; false when interrupted.
    private func trainEpoch() throws -> Bool {
        let order = trainLoader.epochOrder(epoch: state.epoch)
        let batches = trainLoader.batches(order: order)
        let augments = trainLoader.augmentation != .none
        var lastStepTime = DispatchTime.now().uptimeNanoseconds
        while state.batchInEpoch < batches.count {
            var generator: RandomGenerator? = augments ? state.augmentationGenerator : nil
            let globalBatch = batches[state.batchInEpoch]
            let shard = replicas.shard(of: globalBatch)
            replicas.beginStep(shardCount: shard.count, globalCount: globalBatch.count)
            let (images, labels) = trainLoader.batch(indices: shard, augment: &generator, epoch: state.epoch)
            if let generator { state.augmentationGenerator = generator }
            let (loss, correct) = try step(images: images, labels: labels, learningRate: learningRate)
            state.step += 1
            state.batchInEpoch += 1
            // Every rank asks `shouldStop` after its step and they agree in the same collective.
            let sums = try replicas.sumStepStatistics(
                lossSum: Double(loss) * Double(labels.count), correct: correct,
                images: labels.count, stopRequested: shouldStop())
            state.epochLossSum += sums.lossSum
            state.epochCorrect += sums.correct
            state.epochImages += sums.images
            let now = DispatchTime.now().uptimeNanoseconds
            state.epochSeconds += Double(now - lastStepTime) / 1e9
            lastStepTime = now
            progress.update(
                epoch: state.epoch + 1, batch: state.batchInEpoch, batches: batches.count,
                images: state.epochImages, seconds: state.epochSeconds,
                loss: state.epochLossSum / Double(state.epochImages),
                accuracy: Double(state.epochCorrect) / Double(state.epochImages))
            if let every = config.checkpoint.everySteps, state.step % every == 0, state.batchInEpoch < batches.count {
                try checkpoint(.stepInterval)
            }
            if sums.stop { return false }
        }
        // The rate of the epoch's last step, also when a resumed run starts at the epoch's end.
        let lastRate = schedule.learningRate(
            atStep: max(state.step - 1, 0), base: config.training.optimizer.learningRate)
        try finishEpoch(learningRate: Double(lastRate))
        return true
    }

    /// Seconds of each phase of the last `step`.
    public private(set) var lastStepTimes = StepTimes()

    /// One optimisation step on a batch: forward, loss, backward, clipping, update. Advances the
    /// dropout generator; the caller advances the step counters.
    /// - Parameters: images `[B, C, H, W]` normalised, labels `B` class indices.
    /// - Returns: the batch's mean loss and how many predictions were right.
    public func step(images: Tensor, labels: [Int], learningRate rate: Float) throws -> (loss: Float, correct: Int) {
        let settings = config.training
        var clock = StepClock()
        var context = ForwardContext(training: true, generator: state.dropoutGenerator)
        context.batchNormSynchronization = batchNormSynchronization
        context.convolutionProducts = convolutionProducts
        let logits = model.forward(images, context: &context)
        state.dropoutGenerator = context.generator
        let loss = logits.softmaxCrossEntropy(labels: labels, labelSmoothing: settings.labelSmoothing)
        guard loss.scalar.isFinite else {
            throw WeftError(
                "training diverged: the loss became \(loss.scalar) at epoch \(state.epoch + 1), step \(state.step + 1); lower training.optimizer.learningRate (now \(settings.optimizer.learningRate)) or set training.gradientClipNorm"
            )
        }
        let forward = clock.lap()
        let trainable = frozen.trainable
        zeroGradients(trainable)
        loss.backward()
        let backward = clock.lap()
        _ = try replicas.waitForSlowestRank()
        _ = clock.lap()
        try replicas.averageGradients(trainable, buffers: frozen.changingBuffers)
        let communication = clock.lap()
        replicas.recordStep(computeSeconds: forward + backward, communicationSeconds: communication)
        if let maxNorm = settings.gradientClipNorm { _ = clipGradientNorm(trainable, maxNorm: Double(maxNorm)) }
        Autograd.withoutRecording { optimizer.step(parameterGroups, learningRate: rate) }
        guard Trainer.allFinite(parameters + model.buffers) else {
            throw WeftError(
                "training diverged: the weights became infinite or NaN at epoch \(state.epoch + 1), step \(state.step + 1); lower training.optimizer.learningRate (now \(settings.optimizer.learningRate)) or set training.gradientClipNorm"
            )
        }
        averaging?.update(afterStep: state.step + 1)
        lastStepTimes = StepTimes(
            forward: forward, backward: backward, optimizer: clock.lap(), communication: communication)
        if replicas.checksReplicas {
            let state = optimizer.stateTensors().sorted { $0.key < $1.key }.map(\.value)
            let averages = (averaging?.averages ?? []).map(\.tensor)
            try replicas.checkReplicas(
                (parameters + model.buffers).map(\.tensor) + state + averages, step: self.state.step + 1)
        }
        return (loss.scalar, MetricAccumulator.correctPredictions(logits: logits, labels: labels))
    }

    /// Whether every value of `tensors` is finite (`VectorReduction.allFinite`).
    static func allFinite(_ tensors: [NamedParameter]) -> Bool {
        tensors.allSatisfy { VectorReduction.allFinite($0.tensor.data, count: $0.tensor.count) }
    }

    /// Validates, records and logs the finished epoch, then moves on to the next.
    private func finishEpoch(learningRate: Double) throws {
        let validation =
            data.validationIndices.isEmpty ? nil : evaluate(dataset: data.train, indices: data.validationIndices)
        let record = EpochRecord(
            epoch: state.epoch + 1, step: state.step,
            trainLoss: state.epochLossSum / Double(max(state.epochImages, 1)),
            trainAccuracy: Double(state.epochCorrect) / Double(max(state.epochImages, 1)),
            validationLoss: validation?.loss, validationAccuracy: validation?.accuracy,
            learningRate: learningRate, seconds: state.epochSeconds,
            imagesPerSecond: Double(state.epochImages) / max(state.epochSeconds, 1e-9),
            validationLossTTA: validation?.ttaLoss, validationAccuracyTTA: validation?.ttaAccuracy)
        // The best checkpoint follows the plain validation accuracy, with or without TTA.
        var isBest = false
        if let accuracy = validation?.accuracy, accuracy > (state.bestValidationAccuracy ?? -1) {
            state.bestValidationAccuracy = accuracy
            state.bestEpoch = record.epoch
            isBest = true
        }
        state.history.append(record)
        state.epoch += 1
        state.batchInEpoch = 0
        state.epochLossSum = 0
        state.epochCorrect = 0
        state.epochImages = 0
        state.epochSeconds = 0
        state.augmentationGenerator = augmentationGenerator(epoch: state.epoch)
        if isLeader {
            try runLog.append(record.json)
            onEpochEnd?(state)
        }
        progress.finish(with: Trainer.summary(record, epochs: config.training.epochs, ttaLabel: ttaLabel))
        if let breakdown = replicas.finishEpochBreakdown() { progress.finish(with: breakdown) }
        let stepDue = config.checkpoint.everySteps.map { state.step % $0 == 0 } ?? false
        if record.epoch % config.checkpoint.everyEpochs == 0 || record.epoch == config.training.epochs || isBest
            || stepDue
        {
            try checkpoint(.epochEnd(isBest: isBest))
        }
    }

    /// Evaluates on the test split and appends the final record. Only rank 0 of a data-parallel
    /// run evaluates, and with no test indices (a cross-validation fold) nothing is evaluated:
    /// then the result counts 0 images.
    private func finalTest() throws -> EvaluationResult {
        guard isLeader, !data.testIndices.isEmpty else { return EvaluationResult(loss: 0, accuracy: 0, count: 0) }
        let test = evaluate(dataset: data.test, indices: data.testIndices)
        let seconds = state.history.reduce(0) { $0 + $1.seconds }
        var members: [(key: String, value: JSONValue)] = [
            ("event", .string("test")), ("epochs", .number(Double(state.epoch))),
            ("step", .number(Double(state.step))), ("testLoss", .number(test.loss)),
            ("testAccuracy", .number(test.accuracy)), ("testImages", .number(Double(test.count))),
            ("trainingSeconds", .number(seconds))
        ]
        if let loss = test.ttaLoss, let accuracy = test.ttaAccuracy {
            members += [("testLossTTA", .number(loss)), ("testAccuracyTTA", .number(accuracy))]
        }
        try runLog.append(.object(members))
        let tta = test.ttaAccuracy.map { " (\(ttaLabel): \(Trainer.percent($0)))" } ?? ""
        progress.finish(
            with:
                "test: loss \(String(format: "%.4f", test.loss)), accuracy \(Trainer.percent(test.accuracy))\(tta) on \(test.count) images"
        )
        return test
    }

    /// How summaries name the config's test-time augmentation (`TTA flip`), empty without.
    private var ttaLabel: String { TestTimeAugmentation(config: config)?.label ?? "" }

    /// Loss (plain cross-entropy) and accuracy on `indices` of `dataset`, in evaluation mode, of
    /// the moving average of the weights with `training.ema`, else of the weights; with
    /// `evaluation.tta`, also those of the probabilities averaged over the views.
    public func evaluate(dataset: ImageDataset, indices: [Int]) -> EvaluationResult {
        TrainedModel(
            config: config, model: averagedModel ?? model, normalization: data.normalization,
            classNames: dataset.classNames
        )
        .evaluate(dataset: dataset, indices: indices, batchSize: config.training.evaluationBatchSize)
    }

    static func percent(_ fraction: Double) -> String {
        String(format: "%.2f%%", 100 * fraction)
    }

    /// The epoch's summary line; with TTA, its validation accuracy follows the plain one:
    /// `val loss 0.3012 acc 89.10% (TTA flip: 89.60%)`.
    static func summary(_ record: EpochRecord, epochs: Int, ttaLabel: String = "") -> String {
        var text = String(
            format: "epoch %d/%d: train loss %.4f acc %@", record.epoch, epochs, record.trainLoss,
            percent(record.trainAccuracy))
        if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
            text += String(format: " | val loss %.4f acc %@", loss, percent(accuracy))
            if let augmented = record.validationAccuracyTTA { text += " (\(ttaLabel): \(percent(augmented)))" }
        }
        text += String(
            format: " | lr %.3g | %.1fs, %.0f img/s", record.learningRate, record.seconds, record.imagesPerSecond)
        return text
    }
}
