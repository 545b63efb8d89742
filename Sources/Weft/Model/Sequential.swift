/// Modules applied in order, as `torch.nn.Sequential`; the parameters of module `i` are named
/// `layers.i.<name>`. The layers run as their `FusionPlan` says, made when the model was built:
/// a step is one layer, or a fused module that owns several (`BatchNorm+ReLU+MaxPool`).
public final class Sequential: Module {
    public let layers: [Module]
    public let plan: FusionPlan
    /// What each step of the plan runs.
    private let runners: [Runner]

    /// A step of the plan with the module that runs it (the layer itself or the fused module) and
    /// its fallback's.
    private struct Runner {
        let step: FusionPlan.Step
        let module: Module
        let fallback: [Runner]
    }

    /// - Parameters:
    ///   - layers: the modules, in order.
    ///   - plan: how they run (`ModelBuilder` makes it from the layers and their input shapes);
    ///     nil: one layer a step.
    public init(_ layers: [Module], plan: FusionPlan? = nil) {
        self.layers = layers
        self.plan = plan ?? FusionPlan(layers.map { .other("\(type(of: $0))") })
        runners = self.plan.steps.map { Sequential.runner(of: $0, layers: layers) }
    }

    private static func runner(of step: FusionPlan.Step, layers: [Module]) -> Runner {
        Runner(
            step: step, module: module(of: step, layers: layers),
            fallback: step.fallback.map { runner(of: $0, layers: layers) })
    }

    /// The module that runs `step`.
    private static func module(of step: FusionPlan.Step, layers: [Module]) -> Module {
        let first = step.range.lowerBound
        switch step.kind {
        case .layer: return layers[first]
        case .convolutionStage:
            // The plan only forms this step over a Conv2d, an optional BatchNorm, a ReLU and a MaxPool.
            guard let conv = layers[first] as? Conv2d else {
                preconditionFailure("fusion plan: layer \(first) is not a Conv2d")
            }
            return ConvolutionStage(conv: conv, batchNorm: layers[first + 1] as? BatchNorm)
        case .batchNormReLUMaxPool, .batchNormReLU:
            guard let batchNorm = layers[first] as? BatchNorm else {
                preconditionFailure("fusion plan: layer \(first) is not a BatchNorm")
            }
            return step.kind == .batchNormReLU ? BatchNormReLU(batchNorm) : BatchNormReLUMaxPool(batchNorm)
        case .reluMaxPool: return ReLUMaxPool()
        }
    }

    /// Runs the plan's steps in order. Under the profiler each step is a scope named after it
    /// and its first layer (`1 BatchNorm+ReLU+MaxPool`).
    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        forward(input, context: &context, upTo: layers.count)
    }

    /// The output of layer `limit - 1` (the input of layer `limit`): the steps before it, then
    /// any layers of a step that `limit` cuts, one by one.
    public func forward(_ input: Tensor, context: inout ForwardContext, upTo limit: Int) -> Tensor {
        let prefix =
            Profiler.isEnabled
            ? (Profiler.currentScope.isEmpty ? "layers." : Profiler.currentScope.split(separator: " ")[0] + ".body.")
            : ""
        var output = input
        func run(_ runner: Runner) {
            if !runner.fallback.isEmpty, let fused = runner.module as? FusedModule,
                !fused.fuses(output, context: context)
            {
                runner.fallback.forEach(run)
                return
            }
            let scope = Profiler.isEnabled ? "\(prefix)\(runner.step.range.lowerBound) \(runner.step.name)" : ""
            output = Profiler.scope(scope) { runner.module.forward(output, context: &context) }
        }
        for runner in runners where runner.step.range.lowerBound < limit {
            if runner.step.range.upperBound <= limit {
                run(runner)
            } else {
                for index in runner.step.range.lowerBound..<limit {
                    output = layers[index].forward(output, context: &context)
                }
            }
        }
        return output
    }

    public var parameters: [NamedParameter] {
        layers.enumerated().flatMap { $0.element.parameters.prefixed("layers.\($0.offset)") }
    }

    public var buffers: [NamedParameter] {
        layers.enumerated().flatMap { $0.element.buffers.prefixed("layers.\($0.offset)") }
    }
}
