/// One layer of a model config; `type` selects the case.
public indirect enum LayerSpec: Equatable, Sendable {
    /// `initialization`: how the filters start (`"initialization"`, see
    /// `ConvolutionInitialization`).
    case conv2d(
        filters: Int, kernel: Int, stride: Int, padding: Int, bias: Bool,
        initialization: ConvolutionInitialization = .standard)
    case dense(units: Int, bias: Bool)
    case batchNorm(momentum: Float, epsilon: Float)
    case maxPool(size: Int, stride: Int, padding: Int)
    case avgPool(size: Int, stride: Int, padding: Int)
    case globalAvgPool
    case relu
    case leakyRelu(slope: Float)
    case sigmoid
    case tanh
    case dropout(rate: Float)
    case flatten
    /// `layers` applied to the input, added to the input (through a 1×1 projection when
    /// `projection` is true, or when nil and the shape changes).
    case residual(layers: [LayerSpec], projection: Bool?)

    /// The `type` names, in the order the reference lists them.
    public static let typeNames = [
        "conv2d", "dense", "batchNorm", "maxPool", "avgPool", "globalAvgPool", "relu",
        "leakyRelu", "sigmoid", "tanh", "dropout", "flatten", "residual"
    ]

    /// Reads one layer object.
    public init(_ node: ConfigNode) throws {
        let object = try node.object()
        let type = try object.required("type", "one of \(LayerSpec.typeNames.joined(separator: ", "))")
            .string(oneOf: LayerSpec.typeNames)
        switch type {
        case "conv2d":
            self = .conv2d(
                filters: try object.required("filters", "output channels").int(1...65_536),
                kernel: try object.required("kernel", "the kernel's size").int(1...1024),
                stride: try object.optional("stride")?.int(1...1024) ?? 1,
                padding: try object.optional("padding")?.int(0...1024) ?? 0,
                bias: try object.optional("bias")?.bool() ?? true,
                initialization: try ConvolutionInitialization(object))
        case "dense":
            self = .dense(
                units: try object.required("units", "output features").int(1...1 << 20),
                bias: try object.optional("bias")?.bool() ?? true)
        case "batchNorm":
            self = .batchNorm(
                momentum: try object.optional("momentum")?.float(0...1) ?? 0.1,
                epsilon: try object.optional("epsilon")?.float(1e-12...1) ?? 1e-5)
        case "maxPool", "avgPool":
            let size = try object.required("size", "the window's size").int(1...1024)
            let stride = try object.optional("stride")?.int(1...1024) ?? size
            let padding = try object.optional("padding")?.int(0...512) ?? 0
            if padding * 2 > size {
                throw object.optional("padding")!.error("must be at most half the window size \(size), got \(padding)")
            }
            self =
                type == "maxPool"
                ? .maxPool(size: size, stride: stride, padding: padding)
                : .avgPool(size: size, stride: stride, padding: padding)
        case "globalAvgPool": self = .globalAvgPool
        case "relu": self = .relu
        case "leakyRelu": self = .leakyRelu(slope: try object.optional("slope")?.float(0...1) ?? 0.01)
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "dropout":
            self = .dropout(
                rate: try object.required("rate", "the probability of zeroing an element").float(0...1, openAbove: true)
            )
        case "flatten": self = .flatten
        default:  // residual
            let layers = try object.required("layers", "the block's layers").array(minimumCount: 1).map(LayerSpec.init)
            self = .residual(layers: layers, projection: try object.optional("projection")?.bool())
        }
        try object.finish()
    }

    /// The layer as a resolved JSON object (every default written out).
    public var json: JSONValue {
        func object(_ type: String, _ members: [(String, JSONValue)] = []) -> JSONValue {
            .object([("type", .string(type))] + members.map { (key: $0.0, value: $0.1) })
        }
        func number(_ value: Int) -> JSONValue { .number(Double(value)) }
        func number(_ value: Float) -> JSONValue { .float(value) }
        switch self {
        case let .conv2d(filters, kernel, stride, padding, bias, initialization):
            return object(
                "conv2d",
                [
                    ("filters", number(filters)), ("kernel", number(kernel)), ("stride", number(stride)),
                    ("padding", number(padding)), ("bias", .bool(bias))
                ] + initialization.members)
        case let .dense(units, bias): return object("dense", [("units", number(units)), ("bias", .bool(bias))])
        case let .batchNorm(momentum, epsilon):
            return object("batchNorm", [("momentum", number(momentum)), ("epsilon", number(epsilon))])
        case let .maxPool(size, stride, padding):
            return object("maxPool", [("size", number(size)), ("stride", number(stride)), ("padding", number(padding))])
        case let .avgPool(size, stride, padding):
            return object("avgPool", [("size", number(size)), ("stride", number(stride)), ("padding", number(padding))])
        case .globalAvgPool: return object("globalAvgPool")
        case .relu: return object("relu")
        case let .leakyRelu(slope): return object("leakyRelu", [("slope", number(slope))])
        case .sigmoid: return object("sigmoid")
        case .tanh: return object("tanh")
        case let .dropout(rate): return object("dropout", [("rate", number(rate))])
        case .flatten: return object("flatten")
        case let .residual(layers, projection):
            return object(
                "residual",
                [("layers", .array(layers.map(\.json)))]
                    + (projection.map { [("projection", JSONValue.bool($0))] } ?? []))
        }
    }
}
