/// The per-parameter buffers of an optimiser: for each parameter name, one tensor per slot
/// (`momentumBuffer`; `exponentialAverage` and `exponentialAverageOfSquares`), each of the
/// parameter's shape. Buffers are created on a parameter's first update, as PyTorch's
/// `optimizer.state[p]` is.
struct OptimizerState {
    /// The optimiser's name, for messages (`SGD`, `Adam`).
    let optimizerName: String
    /// The slot names, in the order `buffers(for:)` returns them.
    let slots: [String]
    /// Parameter name → one buffer per slot.
    private var buffers: [String: [Tensor]] = [:]

    init(optimizerName: String, slots: [String]) {
        self.optimizerName = optimizerName
        self.slots = slots
    }

    /// The buffers of `parameter`, one per slot, or nil before its first update.
    func buffers(for parameter: NamedParameter) -> [Tensor]? {
        guard let found = buffers[parameter.name] else { return nil }
        precondition(
            found[0].shape == parameter.tensor.shape,
            "\(optimizerName): parameter \(parameter.name) is \(parameter.tensor.shape) but its state is \(found[0].shape)"
        )
        return found
    }

    /// Creates the buffers of `parameter` as zeros and returns them.
    mutating func createBuffers(for parameter: NamedParameter) -> [Tensor] {
        let created = slots.map { _ in Tensor.zeros(parameter.tensor.shape) }
        buffers[parameter.name] = created
        return created
    }

    /// Copies of every buffer, keyed `"<parameter name>.<slot>"`.
    func exported() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, tensors) in buffers {
            for (slot, tensor) in zip(slots, tensors) {
                result["\(name).\(slot)"] = tensor.copy()
            }
        }
        return result
    }

    /// Replaces every buffer with copies of `tensors`, after checking them against `parameters`;
    /// see `Optimizer.loadState`. Nothing changes when it throws.
    mutating func load(_ tensors: [String: Tensor], stepCount: Int, parameters: [NamedParameter]) throws {
        guard stepCount >= 0 else {
            throw WeftError("\(optimizerName) state: the step count must not be negative, got \(stepCount).")
        }
        var names = Set<String>(), expected = Set<String>()
        for parameter in parameters {
            guard names.insert(parameter.name).inserted else {
                throw WeftError("\(optimizerName) state: parameter name \(parameter.name) appears twice.")
            }
            for slot in slots { expected.insert("\(parameter.name).\(slot)") }
        }
        for key in tensors.keys.sorted() where !expected.contains(key) {
            let known =
                slots.isEmpty ? "it keeps no state" : "its keys are <parameter name>.\(slots.joined(separator: "|"))"
            throw WeftError("\(optimizerName) state: unexpected key \(key); \(known).")
        }
        if stepCount == 0, let key = tensors.keys.sorted().first {
            throw WeftError("\(optimizerName) state: step count is 0 but there is state (\(key)).")
        }
        var loaded: [String: [Tensor]] = [:]
        for parameter in parameters {
            var parameterBuffers: [Tensor] = []
            for slot in slots {
                let key = "\(parameter.name).\(slot)"
                guard let tensor = tensors[key] else {
                    if stepCount == 0 { continue }
                    throw WeftError("\(optimizerName) state: missing key \(key) after \(stepCount) steps.")
                }
                guard tensor.shape == parameter.tensor.shape else {
                    throw WeftError(
                        "\(optimizerName) state: \(key) has shape \(tensor.shape) but the parameter is \(parameter.tensor.shape)."
                    )
                }
                parameterBuffers.append(tensor.copy())
            }
            if !parameterBuffers.isEmpty { loaded[parameter.name] = parameterBuffers }
        }
        buffers = loaded
    }
}
