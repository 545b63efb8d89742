/// Which consecutive layers of a `Sequential` run as one fused op, decided once, when the model
/// is built (`ModelBuilder`), from the layers and their input shapes. The fused modules own the
/// original layers, so parameter names, checkpoints and exports are those of the layers.
///
/// The rules, tried in this order at each layer:
///
/// | layers | step | op |
/// | --- | --- | --- |
/// | conv (im2col) → batch-norm → ReLU → 2×2 max pool | `Conv2d+BatchNorm+ReLU+MaxPool` | `conv2dStage` |
/// | conv (im2col) → ReLU → 2×2 max pool | `Conv2d+ReLU+MaxPool` | `conv2dStage` |
/// | batch-norm → ReLU → 2×2 max pool | `BatchNorm+ReLU+MaxPool` | `batchNormReLUMaxPool2x2` |
/// | batch-norm → ReLU | `BatchNorm+ReLU` | `batchNorm(relu: true)` |
/// | ReLU → 2×2 max pool | `ReLU+MaxPool` | `reluMaxPool2x2` |
///
/// (2×2 max pool: window 2, stride 2, no padding.) A convolution stage needs a convolution that
/// im2col computes (Winograd's have their own path) with an output of at least 2×2; it runs only
/// when its input needs no gradient (a network's first stage in training; any stage in
/// evaluation) and its batch-norm is not synchronised across ranks, and otherwise falls back to
/// its `fallback` steps, the convolution and then the rest as one step.
public struct FusionPlan: Equatable, Sendable {
    /// What the rules need to know of a layer.
    public enum Layer: Equatable, Sendable {
        /// A convolution, with the algorithm its layer was built with and whether its output
        /// (for the planned input) is at least 2×2.
        case conv2d(ConvolutionAlgorithm, outputAtLeast2x2: Bool)
        case batchNorm
        case relu
        /// A max pooling with window 2, stride 2 and no padding.
        case maxPool2x2
        /// Any other layer, by its module's name (`MaxPool`, `Dense`, `Residual`, ...).
        case other(String)
    }

    /// The kinds of step.
    public enum Kind: String, Equatable, Sendable {
        case layer
        case convolutionStage = "conv2dStage"
        case batchNormReLUMaxPool = "batchNormReLUMaxPool2x2"
        case batchNormReLU = "batchNorm(relu: true)"
        case reluMaxPool = "reluMaxPool2x2"
    }

    /// Layers `range` run as one step.
    public struct Step: Equatable, Sendable {
        public let range: Range<Int>
        public let kind: Kind
        /// `Conv2d`, or the fused layers' names joined by `+` (`BatchNorm+ReLU+MaxPool`).
        public let name: String
        /// What runs instead when the step's run-time condition fails (a convolution stage's).
        public let fallback: [Step]
    }

    public let steps: [Step]

    /// The plan of `layers`, by the rules above.
    public init(_ layers: [Layer]) {
        var steps: [Step] = []
        var index = 0
        while index < layers.count {
            let step = FusionPlan.step(at: index, in: layers)
            steps.append(step)
            index = step.range.upperBound
        }
        self.steps = steps
    }

    private static func name(_ layer: Layer) -> String {
        switch layer {
        case .conv2d: return "Conv2d"
        case .batchNorm: return "BatchNorm"
        case .relu: return "ReLU"
        case .maxPool2x2: return "MaxPool"
        case .other(let name): return name
        }
    }

    private static func fused(_ kind: Kind, _ range: Range<Int>, _ layers: [Layer], fallback: [Step] = []) -> Step {
        Step(range: range, kind: kind, name: layers[range].map(name).joined(separator: "+"), fallback: fallback)
    }

    /// The step starting at `index`: the first rule that matches, else the layer alone.
    private static func step(at index: Int, in layers: [Layer]) -> Step {
        func layer(_ offset: Int) -> Layer? { index + offset < layers.count ? layers[index + offset] : nil }
        if case .conv2d(.im2col, outputAtLeast2x2: true)? = layer(0) {
            let relu = layer(1) == .batchNorm ? 2 : 1
            if layer(relu) == .relu, layer(relu + 1) == .maxPool2x2 {
                let tail = step(at: index + 1, in: layers)
                let single = Step(range: index..<(index + 1), kind: .layer, name: "Conv2d", fallback: [])
                return fused(.convolutionStage, index..<(index + relu + 2), layers, fallback: [single, tail])
            }
        }
        if layer(0) == .batchNorm, layer(1) == .relu {
            if layer(2) == .maxPool2x2 { return fused(.batchNormReLUMaxPool, index..<(index + 3), layers) }
            return fused(.batchNormReLU, index..<(index + 2), layers)
        }
        if layer(0) == .relu, layer(1) == .maxPool2x2 { return fused(.reluMaxPool, index..<(index + 2), layers) }
        return Step(range: index..<(index + 1), kind: .layer, name: name(layers[index]), fallback: [])
    }

    /// One line a step: the layers it covers (`layers.0-3`), its name and how it runs, with each
    /// convolution's algorithm. `prefix` names the layers (`layers`, `layers.5.body`).
    public func lines(prefix: String, layers: [Layer]) -> [String] {
        steps.map { step in
            let covered =
                step.range.count == 1
                ? "\(prefix).\(step.range.lowerBound)"
                : "\(prefix).\(step.range.lowerBound)-\(step.range.upperBound - 1)"
            let how: String
            switch step.kind {
            case .layer:
                if case .conv2d(let algorithm, _) = layers[step.range.lowerBound] {
                    how = algorithm.summary
                } else {
                    how = ""
                }
            case .convolutionStage:
                how = "one op image by image (conv2dStage, im2col); layer by layer when its input needs a gradient"
            default:
                how = "one op (\(step.kind.rawValue))"
            }
            let padded = covered.padding(toLength: max(covered.count, prefix.count + 6), withPad: " ", startingAt: 0)
            return "  \(padded)  \(step.name)" + (how.isEmpty ? "" : ": \(how)")
        }
    }
}
