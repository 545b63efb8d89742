/// The parameters `training.freeze` keeps fixed, and what the trainer does with the others.
///
/// A frozen parameter needs no gradient (`requiresGradient` is turned off, so the backward pass
/// computes none for it), gets no optimiser state and no update (no weight decay either: the
/// optimiser never sees it) and takes no part in the gradient allreduce of a data-parallel run.
/// A batch-norm layer whose γ and β are both frozen normalises with its running statistics in
/// training and leaves them as they are (`BatchNorm.usesRunningStatistics`), so its buffers are
/// not averaged across ranks either. Frozen tensors are still saved in checkpoints, broadcast
/// from rank 0 and checked for finiteness, as every parameter is.
///
/// A prefix matches a name equal to it or followed by a dot (`layers.1` freezes `layers.1.weight`
/// but not `layers.10.weight`), as the names of PyTorch's `named_parameters()` are selected.
public struct FrozenParameters {
    /// The names of the frozen parameters, in model order.
    public let names: [String]
    /// The parameters that train, in model order.
    public let trainable: [NamedParameter]
    /// The buffers that still change in training: all but those of batch-norm layers whose
    /// parameters are all frozen.
    public let changingBuffers: [NamedParameter]

    /// Matches `prefixes` against the model's parameters; changes nothing until `apply()`.
    /// - Parameters:
    ///   - prefixes: `training.freeze`.
    ///   - parameters, buffers: the model's, with their dotted names.
    ///   - source: the config file, named in errors.
    /// - Throws: `WeftError` naming the first prefix that matches no parameter, with the list of
    ///   the parameters' names.
    public init(prefixes: [String], parameters: [NamedParameter], buffers: [NamedParameter], source: String) throws {
        func matches(_ name: String, _ prefix: String) -> Bool {
            name == prefix || name.hasPrefix(prefix + ".")
        }
        for (index, prefix) in prefixes.enumerated() where !parameters.contains(where: { matches($0.name, prefix) }) {
            throw WeftError(
                "\(source): training.freeze[\(index)]: \"\(prefix)\" matches no parameter of the model; use a prefix of its parameter names (\(parameters.map(\.name).joined(separator: ", ")))"
            )
        }
        let frozen = parameters.filter { parameter in prefixes.contains { matches(parameter.name, $0) } }
        let frozenNames = Set(frozen.map(\.name))
        names = frozen.map(\.name)
        trainable = parameters.filter { !frozenNames.contains($0.name) }
        // A buffer `<module>.runningMean` stays as it is when every parameter `<module>.*` is frozen.
        func module(_ name: String) -> Substring {
            name.lastIndex(of: ".").map { name[..<$0] } ?? ""
        }
        var parametersOfModule: [Substring: (all: Int, frozen: Int)] = [:]
        for parameter in parameters {
            let counts = parametersOfModule[module(parameter.name)] ?? (0, 0)
            parametersOfModule[module(parameter.name)] = (
                counts.all + 1, counts.frozen + (frozenNames.contains(parameter.name) ? 1 : 0)
            )
        }
        changingBuffers = buffers.filter { buffer in
            guard let counts = parametersOfModule[module(buffer.name)], counts.all > 0 else { return true }
            return counts.frozen < counts.all
        }
        frozenTensors = frozen.map(\.tensor)
    }

    private let frozenTensors: [Tensor]

    /// Whether any parameter is frozen.
    public var isEmpty: Bool { names.isEmpty }

    /// Turns off the gradient of every frozen parameter (and drops any it had).
    public func apply() {
        for tensor in frozenTensors {
            tensor.requiresGradient = false
            tensor.gradient = nil
        }
    }
}
