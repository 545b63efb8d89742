/// The training state as JSON for a checkpoint's metadata. Generator states are written as
/// 16-digit hex strings, since JSON numbers cannot hold 64 bits exactly; floating-point sums are
/// written with enough digits to read back bit for bit.
extension TrainingState {
    public var json: JSONValue {
        func generator(_ g: RandomGenerator) -> JSONValue {
            .array(g.state.map { .string(String($0, radix: 16)) })
        }
        var members: [(key: String, value: JSONValue)] = [
            ("epoch", .number(Double(epoch))), ("batchInEpoch", .number(Double(batchInEpoch))),
            ("step", .number(Double(step))),
            ("dropoutGenerator", generator(dropoutGenerator)),
            ("augmentationGenerator", generator(augmentationGenerator)),
            ("epochLossSum", .number(epochLossSum)), ("epochCorrect", .number(Double(epochCorrect))),
            ("epochImages", .number(Double(epochImages))), ("epochSeconds", .number(epochSeconds)),
            ("history", .array(history.map(\.json)))
        ]
        if let bestValidationAccuracy, let bestEpoch {
            members += [
                ("bestValidationAccuracy", .number(bestValidationAccuracy)), ("bestEpoch", .number(Double(bestEpoch)))
            ]
        }
        if !replicaGenerators.isEmpty {
            members.append(
                (
                    "ranks",
                    .array(
                        replicaGenerators.map {
                            .object([
                                ("dropoutGenerator", generator($0.dropout)),
                                ("augmentationGenerator", generator($0.augmentation))
                            ])
                        })
                ))
        }
        return .object(members)
    }

    /// Reads the state written by `json`; `source` names the checkpoint in errors.
    public init(json: JSONValue, source: String) throws {
        let root = try ConfigNode(value: json, path: "state", source: source).object()
        func generator(_ key: String, in root: ConfigObject) throws -> RandomGenerator {
            let node = try root.required(key, "four hex words")
            let words = try node.array(minimumCount: 4, maximumCount: 4).map { word -> UInt64 in
                guard let value = UInt64(try word.string(), radix: 16) else { throw word.error("must be a hex word") }
                return value
            }
            guard let generator = RandomGenerator(state: words) else {
                throw node.error("is not a valid generator state")
            }
            return generator
        }
        func double(_ key: String) throws -> Double {
            let node = try root.required(key, "a number")
            guard case .number(let value) = node.value else { throw node.error("must be a number") }
            return value
        }
        let big = 1 << 52
        dropoutGenerator = try generator("dropoutGenerator", in: root)
        augmentationGenerator = try generator("augmentationGenerator", in: root)
        epoch = try root.required("epoch", "an integer").int(0...big)
        batchInEpoch = try root.required("batchInEpoch", "an integer").int(0...big)
        step = try root.required("step", "an integer").int(0...big)
        epochLossSum = try double("epochLossSum")
        epochCorrect = try root.required("epochCorrect", "an integer").int(0...big)
        epochImages = try root.required("epochImages", "an integer").int(0...big)
        epochSeconds = try double("epochSeconds")
        history = try root.required("history", "a list").array().map { try EpochRecord(json: $0) }
        if let accuracy = root.optional("bestValidationAccuracy"), case .number(let value) = accuracy.value {
            bestValidationAccuracy = value
            bestEpoch = try root.required("bestEpoch", "an integer").int(1...big)
        }
        if let ranks = root.optional("ranks") {
            replicaGenerators = try ranks.array(minimumCount: 2, maximumCount: 1 << 20).map { node in
                let object = try node.object()
                let generators = ReplicaGenerators(
                    dropout: try generator("dropoutGenerator", in: object),
                    augmentation: try generator("augmentationGenerator", in: object))
                try object.finish()
                return generators
            }
        }
        try root.finish()
    }
}

extension EpochRecord {
    /// Reads a record written by `json`.
    init(json node: ConfigNode) throws {
        let object = try node.object()
        func number(_ key: String) throws -> Double {
            let child = try object.required(key, "a number")
            guard case .number(let value) = child.value else { throw child.error("must be a number") }
            return value
        }
        func optionalNumber(_ key: String) -> Double? {
            if case .number(let value)? = object.optional(key)?.value { return value }
            return nil
        }
        func count(_ key: String) throws -> Int {
            try object.required(key, "a whole number").int(0...(1 << 52))
        }
        epoch = try count("epoch")
        step = try count("step")
        trainLoss = try number("trainLoss")
        trainAccuracy = try number("trainAccuracy")
        validationLoss = optionalNumber("validationLoss")
        validationAccuracy = optionalNumber("validationAccuracy")
        learningRate = try number("learningRate")
        seconds = try number("seconds")
        imagesPerSecond = try number("imagesPerSecond")
        validationLossTTA = optionalNumber("validationLossTTA")
        validationAccuracyTTA = optionalNumber("validationAccuracyTTA")
        try object.finish()
    }
}
