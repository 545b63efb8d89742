/// The ONNX graph of a model (opset 13, IR version 7), as `torch.onnx.export` would write the
/// equivalent PyTorch model in evaluation mode, with the input normalisation inside the graph.
///
/// - Input `images` `[batch, C, H, W]` float32: pixels scaled to 0...1 (byte / 255, what
///   torchvision's `ToTensor()` gives), not normalised; `batch` is dynamic.
/// - `Sub` and `Div` nodes apply the checkpoint's normalisation, `(x - mean) / std` per channel
///   (`normalization.mean`, `normalization.std`, `[1, C, 1, 1]`); the same values are also in the
///   model's `metadata_props` (`normalization`), with the class names (`classNames`).
/// - One group of nodes per layer: `conv2d` → `Conv`; `batchNorm` → `BatchNormalization` (not
///   folded into the convolution, so the exported weights stay exactly Weft's; ONNX's
///   `momentum` is PyTorch's `1 - momentum`); `relu`, `leakyRelu`, `sigmoid`, `tanh` → `Relu`,
///   `LeakyRelu` (alpha = slope), `Sigmoid`, `Tanh`; `maxPool` → `MaxPool`; `avgPool` →
///   `AveragePool` with `count_include_pad=1`; `globalAvgPool` → `GlobalAveragePool`;
///   `flatten` → `Flatten` (axis 1); `dense` → `Gemm` (`transB=1`); `dropout` → nothing (the
///   identity in inference); `residual` → its body's nodes, the projection's `Conv` if any, and
///   `Add`.
/// - Outputs `logits` `[batch, classes]` and `probabilities` `[batch, classes]` (`Softmax`, axis 1).
///
/// Weights are initializers named as PyTorch's `state_dict` names them (`0.weight`,
/// `1.running_mean`, `3.body.0.weight`; see `TorchNaming`).
extension TrainedModel {
    /// The most weight bytes one ONNX file holds (protobuf messages stop at 2 GiB).
    public static let maximumONNXWeightBytes = 2_000_000_000

    /// The ONNX model of this trained model.
    ///
    /// - Throws: `WeftError` when the weights exceed what one ONNX file holds.
    public func onnxModel() throws -> ONNX.Model {
        let weightBytes = 4 * (model.parameters + model.buffers).reduce(0) { $0 + $1.tensor.count }
        guard weightBytes <= TrainedModel.maximumONNXWeightBytes else {
            throw WeftError(
                "the model's \(weightBytes) bytes of weights exceed the 2 GB one ONNX file holds; export --format safetensors instead"
            )
        }
        var builder = ONNXGraphBuilder()
        let input = config.model.input
        let channels = input[0]
        let mean = (0..<channels).map { normalization.mean[normalization.mean.count == 1 ? 0 : $0] }
        let deviation = (0..<channels).map {
            normalization.standardDeviation[normalization.standardDeviation.count == 1 ? 0 : $0]
        }
        builder.initializers.append(.init(name: "normalization.mean", shape: [1, channels, 1, 1], values: mean))
        builder.initializers.append(.init(name: "normalization.std", shape: [1, channels, 1, 1], values: deviation))
        var current = builder.node("Sub", name: "normalization.subtract", inputs: ["images", "normalization.mean"])
        current = builder.node("Div", name: "normalization.divide", inputs: [current, "normalization.std"])
        for (index, (spec, layer)) in zip(config.model.layers, model.layers).enumerated() {
            current = builder.add(spec, layer, input: current, prefix: "\(index)")
        }
        builder.nodes[builder.nodes.count - 1].outputs = ["logits"]
        builder.node(
            "Softmax", name: "softmax", inputs: ["logits"], attributes: [.init("axis", .integer(1))],
            output: "probabilities")

        let classes = classNames.count
        let normalizationText = JSONValue.object([
            ("mean", .array(mean.map { .number(Double($0)) })),
            ("std", .array(deviation.map { .number(Double($0)) }))
        ]).serialized(pretty: false)
        var onnx = ONNX.Model(graphName: config.name)
        onnx.nodes = builder.nodes
        onnx.initializers = builder.initializers
        onnx.inputs = [
            .init(
                name: "images", shape: [.named("batch")] + input.map { .size($0) },
                documentation: "pixels / 255 in [0, 1], NCHW; normalised inside the graph")
        ]
        onnx.outputs = [
            .init(name: "logits", shape: [.named("batch"), .size(classes)], documentation: "class scores"),
            .init(
                name: "probabilities", shape: [.named("batch"), .size(classes)], documentation: "softmax of the logits")
        ]
        onnx.documentation =
            "\(config.name), exported by Weft \(Weft.version). Input: images [batch, \(input.map(String.init).joined(separator: ", "))] float32, pixels / 255; the normalisation (x - mean) / std is inside the graph."
        onnx.metadata = [
            ("classNames", JSONValue.array(classNames.map { .string($0) }).serialized(pretty: false)),
            ("normalization", normalizationText),
            ("input", "images: pixels / 255 in [0, 1], NCHW; normalised inside the graph"),
            ("config", config.json.serialized(pretty: false))
        ]
        return onnx
    }
}

/// Accumulates nodes and initializers while walking the model's modules.
struct ONNXGraphBuilder {
    var nodes: [ONNX.Node] = []
    var initializers: [ONNX.Initializer] = []

    /// Adds a node whose single output is `output` (by default `<name>.output`); returns that name.
    @discardableResult
    mutating func node(
        _ type: String, name: String, inputs: [String], attributes: [ONNX.Attribute] = [],
        output: String? = nil
    ) -> String {
        let result = output ?? "\(name).output"
        nodes.append(
            ONNX.Node(operatorType: type, name: name, inputs: inputs, outputs: [result], attributes: attributes))
        return result
    }

    /// Adds `tensor` as an initializer named `name`; returns the name.
    mutating func weight(_ name: String, _ tensor: Tensor) -> String {
        initializers.append(.init(name: name, shape: tensor.shape.dimensions, values: tensor.scalars))
        return name
    }

    /// Adds the nodes of the layer `spec`, built as `module` (PyTorch module path `prefix`),
    /// applied to `input`; returns the name of its output. The switch covers every kind of layer a
    /// config can hold, so a new kind does not compile until it has its ONNX operators here.
    mutating func add(_ spec: LayerSpec, _ module: Module, input: String, prefix: String) -> String {
        func ints(_ values: [Int]) -> ONNX.Attribute.Value { .integers(values.map(Int64.init)) }
        func built<Layer>(_ type: Layer.Type) -> Layer {
            guard let layer = module as? Layer else {
                preconditionFailure(
                    "ONNX export: \(prefix) is a \(Swift.type(of: module)), but its config says \(spec.json.serialized(pretty: false))"
                )
            }
            return layer
        }
        switch spec {
        case .conv2d:
            let conv = built(Conv2d.self)
            let kernel = conv.weight.shape[2]
            var inputs = [input, weight("\(prefix).weight", conv.weight)]
            if let bias = conv.bias { inputs.append(weight("\(prefix).bias", bias)) }
            return node(
                "Conv", name: prefix, inputs: inputs,
                attributes: [
                    .init("kernel_shape", ints([kernel, kernel])), .init("strides", ints([conv.stride, conv.stride])),
                    .init("pads", ints([conv.padding, conv.padding, conv.padding, conv.padding])),
                    .init("dilations", ints([1, 1])), .init("group", .integer(1))
                ])
        case .dense:
            let dense = built(Dense.self)
            var inputs = [input, weight("\(prefix).weight", dense.weight)]
            if let bias = dense.bias { inputs.append(weight("\(prefix).bias", bias)) }
            return node("Gemm", name: prefix, inputs: inputs, attributes: [.init("transB", .integer(1))])
        case .batchNorm:
            let norm = built(BatchNorm.self)
            return node(
                "BatchNormalization", name: prefix,
                inputs: [
                    input, weight("\(prefix).weight", norm.weight), weight("\(prefix).bias", norm.bias),
                    weight("\(prefix).running_mean", norm.runningMean),
                    weight("\(prefix).running_var", norm.runningVariance)
                ], attributes: [.init("epsilon", .float(norm.epsilon)), .init("momentum", .float(1 - norm.momentum))])
        case let .maxPool(size, stride, padding):
            return node(
                "MaxPool", name: prefix, inputs: [input],
                attributes: [
                    .init("kernel_shape", ints([size, size])), .init("strides", ints([stride, stride])),
                    .init("pads", ints([padding, padding, padding, padding]))
                ])
        case let .avgPool(size, stride, padding):
            return node(
                "AveragePool", name: prefix, inputs: [input],
                attributes: [
                    .init("kernel_shape", ints([size, size])), .init("strides", ints([stride, stride])),
                    .init("pads", ints([padding, padding, padding, padding])),
                    .init("count_include_pad", .integer(1))
                ])
        case .globalAvgPool:
            return node("GlobalAveragePool", name: prefix, inputs: [input])
        case .relu:
            return node("Relu", name: prefix, inputs: [input])
        case let .leakyRelu(slope):
            return node("LeakyRelu", name: prefix, inputs: [input], attributes: [.init("alpha", .float(slope))])
        case .sigmoid:
            return node("Sigmoid", name: prefix, inputs: [input])
        case .tanh:
            return node("Tanh", name: prefix, inputs: [input])
        case .flatten:
            return node("Flatten", name: prefix, inputs: [input], attributes: [.init("axis", .integer(1))])
        case .dropout:
            return input
        case .residual(let layers, _):
            let residual = built(Residual.self)
            var main = input
            for (index, (bodySpec, layer)) in zip(layers, residual.body.layers).enumerated() {
                main = add(bodySpec, layer, input: main, prefix: "\(prefix).body.\(index)")
            }
            let shortcut =
                residual.projection.map { projection in
                    add(
                        .conv2d(
                            filters: projection.weight.shape[0], kernel: 1, stride: projection.stride, padding: 0,
                            bias: projection.bias != nil), projection, input: input, prefix: "\(prefix).projection")
                } ?? input
            return node("Add", name: "\(prefix).add", inputs: [main, shortcut])
        }
    }
}
