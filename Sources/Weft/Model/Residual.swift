/// A residual block: `body(x) + shortcut(x)`, where the shortcut is the identity or, when the
/// body changes the shape, a 1×1 convolution with the body's stride (`projection`). Parameters
/// are named `body.i.<name>` and `projection.<name>`.
public final class Residual: Module {
    public let body: Sequential
    public let projection: Conv2d?

    public init(body: Sequential, projection: Conv2d?) {
        self.body = body
        self.projection = projection
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) -> Tensor {
        let main = body.forward(input, context: &context)
        let shortcut = projection?.forward(input, context: &context) ?? input
        return main + shortcut
    }

    public var parameters: [NamedParameter] {
        body.layers.enumerated().flatMap { $0.element.parameters.prefixed("body.\($0.offset)") }
            + (projection?.parameters.prefixed("projection") ?? [])
    }

    public var buffers: [NamedParameter] {
        body.layers.enumerated().flatMap { $0.element.buffers.prefixed("body.\($0.offset)") }
    }
}
