/// `training.parameterGroups` matched against a model: the `ParameterGroup`s the optimiser
/// steps with. Each trainable parameter goes to the first group whose criteria it meets
/// (`ParameterGroupSettings`); the rest form a last group with the optimiser's own settings.
public struct ParameterGrouping {
    /// The groups in config order, then the default group (when it has parameters).
    public let groups: [ParameterGroup]

    /// - Parameters:
    ///   - settings: `training.parameterGroups`.
    ///   - trainable: the parameters the optimiser updates (frozen ones left out).
    ///   - parameters: all the model's parameters (a layer's type is read from its weight, frozen
    ///     or not).
    ///   - buffers: the model's buffers; a parameter whose layer keeps a `runningMean` belongs
    ///     to a batch-norm layer.
    ///   - source: the config file, named in errors.
    /// - Throws: `WeftError` naming the first group that takes no parameter, with the
    ///   parameters' names and layer types.
    public init(
        settings: [ParameterGroupSettings], trainable: [NamedParameter], parameters: [NamedParameter],
        buffers: [NamedParameter], source: String
    ) throws {
        guard !settings.isEmpty else {
            groups = [ParameterGroup(parameters: trainable)]
            return
        }
        let layerTypes = ParameterGrouping.layerTypes(of: parameters, buffers: buffers)
        var taken = Set<String>()
        var groups: [ParameterGroup] = []
        for (index, group) in settings.enumerated() {
            let members = trainable.filter { parameter in
                !taken.contains(parameter.name)
                    && ParameterGrouping.matches(parameter.name, layerType: layerTypes[parameter.name], group)
            }
            guard !members.isEmpty else {
                let names = trainable.map { "\($0.name) (\(layerTypes[$0.name] ?? "other"))" }
                throw WeftError(
                    "\(source): training.parameterGroups[\(index)]: matches no trainable parameter that an earlier group did not take; the parameters are \(names.joined(separator: ", "))"
                )
            }
            taken.formUnion(members.map(\.name))
            groups.append(
                ParameterGroup(
                    parameters: members, learningRateScale: group.learningRateScale, weightDecay: group.weightDecay))
        }
        let rest = trainable.filter { !taken.contains($0.name) }
        if !rest.isEmpty { groups.append(ParameterGroup(parameters: rest)) }
        self.groups = groups
    }

    /// Whether `name`, of a layer of `layerType`, meets every criterion of `group`.
    static func matches(_ name: String, layerType: String?, _ group: ParameterGroupSettings) -> Bool {
        let lastPart = name.split(separator: ".").last.map(String.init) ?? name
        return (group.layerTypes.isEmpty || layerType.map(group.layerTypes.contains) == true)
            && (group.parameterNames.isEmpty || group.parameterNames.contains(lastPart))
            && (group.prefixes.isEmpty || group.prefixes.contains { name == $0 || name.hasPrefix($0 + ".") })
    }

    /// Each parameter's layer type: `batchNorm` when its layer keeps a running mean, else
    /// `conv2d` or `dense` by the rank of its layer's weight (4 or 2).
    static func layerTypes(of parameters: [NamedParameter], buffers: [NamedParameter]) -> [String: String] {
        func layer(_ name: String) -> Substring { name.lastIndex(of: ".").map { name[..<$0] } ?? "" }
        let batchNormLayers = Set(buffers.filter { $0.name.hasSuffix(".runningMean") }.map { layer($0.name) })
        var weightRanks: [Substring: Int] = [:]
        for parameter in parameters where parameter.name.hasSuffix(".weight") {
            weightRanks[layer(parameter.name)] = parameter.tensor.shape.dimensions.count
        }
        var types: [String: String] = [:]
        for parameter in parameters {
            let owner = layer(parameter.name)
            if batchNormLayers.contains(owner) {
                types[parameter.name] = "batchNorm"
            } else if let rank = weightRanks[owner] {
                types[parameter.name] = rank == 4 ? "conv2d" : rank == 2 ? "dense" : nil
            }
        }
        return types
    }
}
