/// A training run at one moment as plain values: everything a checkpoint holds and a resumed run
/// needs to continue bit-exactly. `Trainer.snapshot()` makes one and `Trainer.restore(from:source:)`
/// puts one back; `Checkpoint(snapshot:)` encodes one and `Checkpoint.snapshot` decodes it, so the
/// checkpoint code never sees a trainer.
public struct TrainingSnapshot: Equatable, Sendable {
    /// One tensor's values under its stable name.
    public struct SavedTensor: Equatable, Sendable, SavedWeight {
        /// A dotted parameter or buffer name (`layers.0.weight`), or an optimiser state key
        /// (`layers.0.weight.exponentialAverage`).
        public var name: String
        public var shape: [Int]
        /// `[shape.reduce(1, *)]` row-major float32 values.
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The resolved config the run trains.
    public var config: TrainingConfig
    /// Where the run is: epoch, step, position in the epoch, generators, partial sums, history.
    public var state: TrainingState
    /// The model's parameters, then its buffers, in the model's order.
    public var model: [SavedTensor]
    /// With `training.ema`: the moving average of the same tensors, under the same names;
    /// empty without.
    public var averagedModel: [SavedTensor]
    /// The optimiser's state tensors (`Optimizer.stateTensors()`), sorted by key.
    public var optimizerState: [SavedTensor]
    /// The optimiser's step count (Adam's bias correction).
    public var optimizerStepCount: Int
    /// The input normalisation the run trains with.
    public var normalization: Normalization
    /// The dataset's class names, in label order.
    public var classNames: [String]

    public init(
        config: TrainingConfig, state: TrainingState, model: [SavedTensor], optimizerState: [SavedTensor],
        optimizerStepCount: Int, normalization: Normalization, classNames: [String],
        averagedModel: [SavedTensor] = []
    ) {
        self.config = config
        self.state = state
        self.model = model
        self.averagedModel = averagedModel
        self.optimizerState = optimizerState
        self.optimizerStepCount = optimizerStepCount
        self.normalization = normalization
        self.classNames = classNames
    }

    /// The weights to evaluate, export, predict and fine-tune with: the moving average when the
    /// run keeps one, else the model's own.
    public var inferenceModel: [SavedTensor] {
        averagedModel.isEmpty ? model : averagedModel
    }
}
