/// A rule that moves parameters against their gradients, with its own per-parameter state.
///
/// Each conforming type matches one `torch.optim` optimiser's single-tensor (`foreach=False`)
/// update on CPU, in float32, operation for operation, so a trajectory can be compared step by step
/// with PyTorch. Hyperparameters are `Double`, as the Python floats PyTorch keeps; they are rounded
/// to float32 where PyTorch's kernels round them.
///
/// A training step is: `zeroGradients(parameters)`, forward, `loss.backward()`, optionally
/// `clipGradientNorm(parameters, maxNorm:)`, then `step(parameters, learningRate:)` with the rate a
/// `LearningRateSchedule` gives for `stepCount`. Parameter groups (`ParameterGroup`) give parts
/// of the model their own rate scale and weight decay, as PyTorch's `param_groups`.
public protocol Optimizer: AnyObject {
    /// How many times `step` has run (restored by `loadState`).
    var stepCount: Int { get }

    /// Updates in place every parameter of `groups` that has a gradient, each group with its own
    /// rate (`learningRate` times the group's scale) and weight decay; parameters whose `gradient`
    /// is nil are skipped and get no state, as in `torch.optim.Optimizer.step`. Increments
    /// `stepCount` once. `step(_:learningRate:)` is the single group with the optimiser's settings.
    /// - Parameters:
    ///   - groups: the model's parameters, each in one group; each name must always denote a
    ///     tensor of the same shape.
    ///   - learningRate: the rate for this step (finite, not negative).
    func step(_ groups: [ParameterGroup], learningRate: Float)

    /// Copies of the per-parameter state, keyed `"<parameter name>.<slot>"`
    /// (`layers.0.weight.momentumBuffer`, `layers.0.weight.exponentialAverage`, ...), each of
    /// its parameter's shape. Together with `stepCount` this is everything needed to continue
    /// bit-exactly. Empty before the first step and for stateless rules (plain SGD).
    func stateTensors() -> [String: Tensor]

    /// Replaces the state with `tensors` (as `stateTensors()` exported them) and `stepCount`.
    ///
    /// Every key must name a parameter of `parameters` and a slot of this optimiser, every shape
    /// must be its parameter's, and once `stepCount > 0` every parameter must have every slot.
    /// The tensors are copied.
    /// - Throws: `WeftError` naming the first missing key, unexpected key or wrong shape; the
    ///   state is left unchanged.
    func loadState(_ tensors: [String: Tensor], stepCount: Int, parameters: [NamedParameter]) throws
}

/// Sets every parameter's gradient to zero, keeping its buffer, before the next `backward()`.
///
/// Matches `torch.optim.Optimizer.zero_grad(set_to_none=False)`. (PyTorch's default,
/// `set_to_none=True`, frees the buffers instead; Weft keeps them so a training step allocates
/// nothing. The difference shows only for a parameter that stops receiving gradients: it keeps a
/// zero gradient here, so weight decay and momentum still move it, where PyTorch would skip it.)
public func zeroGradients(_ parameters: [NamedParameter]) {
    for parameter in parameters {
        parameter.tensor.zeroGradient()
    }
}
