/// Walks a model config with the running activation shape: infers every layer's input size,
/// refuses impossible shapes before anything is allocated, counts parameters and FLOPs, and
/// builds the `Sequential` model.
public struct ModelBuilder {
    /// One row of the layer table.
    public struct Row: Equatable, Sendable {
        /// `layers.3` or `layers.5.body.1`.
        public let name: String
        public let type: String
        /// The output shape of one image: `[C, H, W]` or `[F]`.
        public let outputShape: [Int]
        public let parameters: Int
        /// Forward multiply-adds ×2 of convolutions and dense layers, per image (as the PyTorch
        /// peer's `analytic_flops` counts them; bias, batch-norm, activations and pooling are
        /// not counted).
        public let flops: Int
    }

    /// The most parameters a model may have (2 GB of float32).
    public static let maximumParameters = 500_000_000
    /// The most float32 activations one image may produce across all layers.
    public static let maximumActivationsPerImage = 200_000_000

    public let config: ModelConfig
    public let source: String
    public private(set) var rows: [Row] = []
    /// The parameters of every row, `Int.max` when the sum does not fit (init refuses such a model).
    public var parameterCount: Int { ModelBuilder.saturatingSum(rows.map(\.parameters)) }
    /// The FLOPs of every row for one image (the parameter and activation limits keep the sum far
    /// below `Int.max`; it saturates all the same).
    public var flopsPerImage: Int { ModelBuilder.saturatingSum(rows.map(\.flops)) }
    /// Activation elements of one image summed over the layers (what a training step keeps).
    public private(set) var activationsPerImage = 0
    public private(set) var outputShape: [Int] = []
    /// Whether a batch-norm layer sees one value per channel per image (a flat or 1×1 input), so
    /// a training batch must hold at least two images.
    public private(set) var needsBatchesAboveOne = false

    /// Validates `config` (from `source`) and computes the layer table.
    public init(config: ModelConfig, source: String) throws {
        self.config = config
        self.source = source
        outputShape = try walk(config.layers, input: config.input, prefix: "layers", path: "model.layers")
        guard parameterCount <= ModelBuilder.maximumParameters else {
            let count = parameterCount == Int.max ? "more than \(Int.max)" : String(parameterCount)
            throw WeftError(
                "\(source): model.layers: the model would have \(count) parameters, more than the \(ModelBuilder.maximumParameters) Weft allows; use fewer filters or units"
            )
        }
        guard activationsPerImage <= ModelBuilder.maximumActivationsPerImage else {
            throw WeftError(
                "\(source): model.layers: one image would need \(activationsPerImage) activations, more than \(ModelBuilder.maximumActivationsPerImage); use smaller layers or inputs"
            )
        }
    }

    /// The sum of `terms` (each non-negative), or `Int.max` when it overflows: each layer's count
    /// fits in an `Int`, but thousands of the largest layers together do not.
    static func saturatingSum(_ terms: [Int]) -> Int {
        var total = 0
        for term in terms {
            let (sum, overflow) = total.addingReportingOverflow(term)
            if overflow { return Int.max }
            total = sum
        }
        return total
    }

    /// Checks that the model ends in one score per class.
    public func checkOutput(classCount: Int) throws {
        guard outputShape == [classCount] else {
            throw WeftError(
                "\(source): model.layers: the last layer outputs \(outputShape), but the dataset has \(classCount) classes; end with {\"type\": \"dense\", \"units\": \(classCount)}"
            )
        }
    }

    private mutating func walk(_ layers: [LayerSpec], input: [Int], prefix: String, path: String) throws -> [Int] {
        var shape = input
        for (index, layer) in layers.enumerated() {
            shape = try step(layer, input: shape, name: "\(prefix).\(index)", path: "\(path)[\(index)]")
            // Each dimension is bounded by the config's limits, so one shape's product fits; saturate the sum.
            activationsPerImage = min(activationsPerImage + shape.reduce(1, *), Int.max / 2)
        }
        return shape
    }

    /// Patch whitening (`Training/PatchWhitening.swift`) reads the images, so it starts the model, and its
    /// filters are the `d = C·k·k` eigenvectors and their negatives.
    private func checkWhitening(filters: Int, kernel: Int, channels: Int, path: String) throws {
        guard path == "model.layers[0]" else {
            throw error(
                path,
                "\"initialization\": \"whitening\" reads the input images' patches, so it is for the model's first layer only; use \"default\" or \"dirac\" here"
            )
        }
        let size = channels * kernel * kernel
        guard size <= ConvolutionInitialization.maximumWhiteningPatchSize else {
            throw error(
                path,
                "patch whitening of \(channels)-channel \(kernel)×\(kernel) patches would decompose a \(size)×\(size) covariance, more than \(ConvolutionInitialization.maximumWhiteningPatchSize)×\(ConvolutionInitialization.maximumWhiteningPatchSize); use a smaller kernel"
            )
        }
        guard filters == 2 * size else {
            throw error(
                path,
                "patch whitening makes 2·C·k·k = \(2 * size) filters (each eigenvector of the \(channels)×\(kernel)×\(kernel) patches and its negative), got \(filters); set \"filters\": \(2 * size)"
            )
        }
    }

    private func error(_ path: String, _ message: String) -> WeftError {
        WeftError("\(source): \(path): \(message)")
    }

    /// The product of `factors`, or an error when it overflows (an absurdly large layer).
    private func product(_ factors: Int..., path: String) throws -> Int {
        try factors.reduce(1) { running, factor in
            let (result, overflow) = running.multipliedReportingOverflow(by: factor)
            guard !overflow else {
                throw error(path, "the layer is far too large to build; use fewer filters or units or a smaller input")
            }
            return result
        }
    }

    private func image(_ shape: [Int], _ type: String, _ path: String) throws -> (Int, Int, Int) {
        guard shape.count == 3 else {
            throw error(
                path,
                "\(type) needs an image input [channels, height, width], got \(shape); remove the flatten/dense layers before it"
            )
        }
        return (shape[0], shape[1], shape[2])
    }

    private func windowOutput(
        _ extent: Int, kernel: Int, stride: Int, padding: Int, _ type: String,
        _ path: String, _ shape: [Int]
    ) throws -> Int {
        let span = extent + 2 * padding - kernel
        guard span >= 0 else {
            throw error(
                path,
                "\(type) window \(kernel) with padding \(padding) is larger than its input \(shape); use a smaller kernel or more padding"
            )
        }
        return span / stride + 1
    }

    private mutating func step(_ layer: LayerSpec, input: [Int], name: String, path: String) throws -> [Int] {
        func add(_ type: String, _ output: [Int], parameters: Int = 0, flops: Int = 0) -> [Int] {
            rows.append(Row(name: name, type: type, outputShape: output, parameters: parameters, flops: flops))
            return output
        }
        switch layer {
        case let .conv2d(filters, kernel, stride, padding, bias, initialization):
            let (channels, height, width) = try image(input, "conv2d", path)
            if case .whitening = initialization {
                try checkWhitening(filters: filters, kernel: kernel, channels: channels, path: path)
            }
            let outHeight = try windowOutput(
                height, kernel: kernel, stride: stride, padding: padding, "conv2d", path, input)
            let outWidth = try windowOutput(
                width, kernel: kernel, stride: stride, padding: padding, "conv2d", path, input)
            let weights = try product(filters, channels, kernel, kernel, path: path)
            let flops = try product(2, weights, outHeight, outWidth, path: path)
            return add(
                "conv2d \(kernel)×\(kernel)/\(stride)", [filters, outHeight, outWidth],
                parameters: weights + (bias ? filters : 0), flops: flops)
        case let .dense(units, bias):
            guard input.count == 1 else {
                throw error(
                    path,
                    "dense needs a flat input, got \(input); add {\"type\": \"flatten\"} (or globalAvgPool and flatten) before it"
                )
            }
            let weights = try product(input[0], units, path: path)
            return add(
                "dense", [units], parameters: weights + (bias ? units : 0), flops: try product(2, weights, path: path))
        case .batchNorm:
            guard input.count == 3 || input.count == 1 else {
                throw error(path, "batchNorm needs [C, H, W] or [F], got \(input)")
            }
            if input.dropFirst().allSatisfy({ $0 == 1 }) { needsBatchesAboveOne = true }
            return add(input.count == 3 ? "batchNorm2d" : "batchNorm1d", input, parameters: 2 * input[0])
        case let .maxPool(size, stride, padding), let .avgPool(size, stride, padding):
            let type: String
            if case .maxPool = layer { type = "maxPool" } else { type = "avgPool" }
            let (channels, height, width) = try image(input, type, path)
            let outHeight = try windowOutput(height, kernel: size, stride: stride, padding: padding, type, path, input)
            let outWidth = try windowOutput(width, kernel: size, stride: stride, padding: padding, type, path, input)
            return add("\(type) \(size)×\(size)/\(stride)", [channels, outHeight, outWidth])
        case .globalAvgPool:
            let (channels, _, _) = try image(input, "globalAvgPool", path)
            return add("globalAvgPool", [channels, 1, 1])
        case .relu: return add("relu", input)
        case .leakyRelu: return add("leakyRelu", input)
        case .sigmoid: return add("sigmoid", input)
        case .tanh: return add("tanh", input)
        case .dropout: return add("dropout", input)
        case .flatten: return add("flatten", [input.reduce(1, *)])
        case let .residual(layers, projection):
            let output = try walk(layers, input: input, prefix: "\(name).body", path: "\(path).layers")
            let needsProjection = output != input
            if projection == false && needsProjection {
                throw error(
                    path,
                    "residual block changes the shape from \(input) to \(output), so it needs \"projection\": true")
            }
            var projectionParameters = 0, projectionFlops = 0
            if projection == true || needsProjection {
                guard input.count == 3, output.count == 3, output[1] > 0, input[1] % output[1] == 0,
                    input[1] / output[1] == input[2] / max(output[2], 1), input[2] % max(output[2], 1) == 0
                else {
                    throw error(
                        path,
                        "residual block maps \(input) to \(output), which a 1×1 strided projection cannot match; keep the body's output size an integer fraction of its input"
                    )
                }
                let stride = input[1] / output[1]
                projectionParameters = try product(output[0], input[0], path: path) + output[0]
                projectionFlops = try product(2, output[0], input[0], output[1], output[2], path: path)
                rows.append(
                    Row(
                        name: "\(name).projection", type: "conv2d 1×1/\(stride)", outputShape: output,
                        parameters: projectionParameters, flops: projectionFlops))
                activationsPerImage += output.reduce(1, *)
            }
            return add("residual add", output)
        }
    }

    /// Builds the model, initialising parameters from `generator` in layer order as PyTorch does,
    /// with each `Sequential`'s fusion plan (`ModelBuilder.plan`).
    public func build(generator: inout RandomGenerator) -> Sequential {
        var shape = config.input
        return ModelBuilder.sequential(config.layers, shape: &shape, generator: &generator)
    }

    /// The fusion plan of `layers` for a per-image input `input` (`[C, H, W]` or `[F]`): which
    /// layers run as one op, and each convolution's algorithm.
    public static func plan(_ layers: [LayerSpec], input: [Int]) -> FusionPlan {
        FusionPlan(planLayers(layers, input: input))
    }

    /// The plan of `layers` and of every residual block's body in them, one line a step (as
    /// `weft inspect` prints it). `prefix` names the layers.
    public static func planDescription(_ layers: [LayerSpec], input: [Int], prefix: String = "layers") -> [String] {
        let planned = planLayers(layers, input: input)
        var lines = FusionPlan(planned).lines(prefix: prefix, layers: planned)
        var shape = input
        for (index, layer) in layers.enumerated() {
            if case let .residual(body, projection) = layer {
                lines += planDescription(body, input: shape, prefix: "\(prefix).\(index).body")
                if projection == true || outputShape(of: layer, input: shape) != shape {
                    lines.append(
                        "  \(prefix).\(index).projection  Conv2d 1×1 (the shortcut): \(ConvolutionAlgorithm.im2col.summary)"
                    )
                }
            }
            shape = outputShape(of: layer, input: shape)
        }
        return lines
    }

    /// What the fusion rules need to know of each of `layers`.
    static func planLayers(_ layers: [LayerSpec], input: [Int]) -> [FusionPlan.Layer] {
        var shape = input
        return layers.map { layer in
            defer { shape = outputShape(of: layer, input: shape) }
            switch layer {
            case let .conv2d(filters, kernel, stride, padding, _, _):
                let output = outputShape(of: layer, input: shape)
                return .conv2d(
                    algorithm(filters: filters, kernel: kernel, stride: stride, padding: padding, input: shape),
                    outputAtLeast2x2: output[1] >= 2 && output[2] >= 2)
            case .batchNorm: return .batchNorm
            case .relu: return .relu
            case let .maxPool(size, stride, padding) where size == 2 && stride == 2 && padding == 0: return .maxPool2x2
            default: return .other(moduleName(layer))
            }
        }
    }

    /// The convolution algorithm of a layer for a per-image input `[C, H, W]`.
    static func algorithm(filters: Int, kernel: Int, stride: Int, padding: Int, input: [Int]) -> ConvolutionAlgorithm {
        guard
            let g = ConvolutionGeometry(
                input: Shape([1] + input), kernelHeight: kernel, kernelWidth: kernel, stride: stride,
                padding: padding)
        else { return .im2col }
        return ConvolutionAlgorithm.best(for: g, filters: filters)
    }

    /// The class name of the module a layer builds (`Conv2d`, `MaxPool`, `Residual`).
    static func moduleName(_ layer: LayerSpec) -> String {
        switch layer {
        case .conv2d: return "Conv2d"
        case .dense: return "Dense"
        case .batchNorm: return "BatchNorm"
        case .maxPool: return "MaxPool"
        case .avgPool: return "AvgPool"
        case .globalAvgPool: return "GlobalAvgPool"
        case .relu: return "ReLU"
        case .leakyRelu: return "LeakyReLU"
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case .dropout: return "Dropout"
        case .flatten: return "Flatten"
        case .residual: return "Residual"
        }
    }

    /// The per-image output shape of a layer (the config already validated).
    static func outputShape(of layer: LayerSpec, input shape: [Int]) -> [Int] {
        func window(_ extent: Int, _ size: Int, _ stride: Int, _ padding: Int) -> Int {
            (extent + 2 * padding - size) / stride + 1
        }
        switch layer {
        case let .conv2d(filters, kernel, stride, padding, _, _):
            return [filters, window(shape[1], kernel, stride, padding), window(shape[2], kernel, stride, padding)]
        case let .dense(units, _): return [units]
        case let .maxPool(size, stride, padding), let .avgPool(size, stride, padding):
            return [shape[0], window(shape[1], size, stride, padding), window(shape[2], size, stride, padding)]
        case .globalAvgPool: return [shape[0], 1, 1]
        case .flatten: return [shape.reduce(1, *)]
        case let .residual(layers, _): return layers.reduce(shape) { outputShape(of: $1, input: $0) }
        case .batchNorm, .relu, .leakyRelu, .sigmoid, .tanh, .dropout: return shape
        }
    }

    private static func sequential(_ layers: [LayerSpec], shape: inout [Int], generator: inout RandomGenerator)
        -> Sequential
    {
        let plan = ModelBuilder.plan(layers, input: shape)
        let modules = layers.map { layer in
            defer { shape = outputShape(of: layer, input: shape) }
            return module(layer, input: shape, generator: &generator)
        }
        return Sequential(modules, plan: plan)
    }

    private static func module(_ layer: LayerSpec, input shape: [Int], generator: inout RandomGenerator) -> Module {
        switch layer {
        case let .conv2d(filters, kernel, stride, padding, bias, initialization):
            let convolution = Conv2d(
                inputChannels: shape[0], outputChannels: filters, kernelSize: kernel, stride: stride, padding: padding,
                bias: bias,
                algorithm: algorithm(filters: filters, kernel: kernel, stride: stride, padding: padding, input: shape),
                generator: &generator)
            if initialization == .dirac { convolution.setIdentityFilters() }
            return convolution
        case let .dense(units, bias):
            return Dense(inputFeatures: shape[0], outputFeatures: units, bias: bias, generator: &generator)
        case let .batchNorm(momentum, epsilon):
            return BatchNorm(features: shape[0], momentum: momentum, epsilon: epsilon)
        case let .maxPool(size, stride, padding):
            return MaxPool(size: size, stride: stride, padding: padding)
        case let .avgPool(size, stride, padding):
            return AvgPool(size: size, stride: stride, padding: padding)
        case .globalAvgPool: return GlobalAvgPool()
        case .relu: return ReLU()
        case let .leakyRelu(slope): return LeakyReLU(slope: slope)
        case .sigmoid: return Sigmoid()
        case .tanh: return Tanh()
        case let .dropout(rate): return Dropout(rate: rate)
        case .flatten: return Flatten()
        case let .residual(layers, projection):
            var output = shape
            let body = sequential(layers, shape: &output, generator: &generator)
            var shortcut: Conv2d?
            if projection == true || output != shape {
                shortcut = Conv2d(
                    inputChannels: shape[0], outputChannels: output[0], kernelSize: 1, stride: shape[1] / output[1],
                    algorithm: .im2col, generator: &generator)
            }
            return Residual(body: body, projection: shortcut)
        }
    }
}
