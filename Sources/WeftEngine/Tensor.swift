/// A float32 tensor: a shape, contiguous row-major storage (NCHW for images), an optional
/// gradient, and — when it was computed by a recorded op — the node that made it.
///
/// Tensors are reference types, as in PyTorch: a parameter is one object whose values the
/// optimiser updates in place and whose `gradient` accumulates across `backward()` calls.
public final class Tensor: @unchecked Sendable {
    /// The dimensions, outermost first.
    public let shape: Shape
    /// The elements, row-major. Views made by `reshaped` share it.
    public let storage: TensorStorage
    /// The gradient with respect to this tensor, same shape, summed over every `backward()` since it was last zeroed.
    public var gradient: Tensor?
    /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs under test);
    /// results of recorded ops inherit it from their inputs.
    public var requiresGradient: Bool
    /// The op that produced this tensor, while the graph is alive (nil on leaves).
    var gradientFunction: GradientFunction?

    /// A tensor over existing storage.
    public init(shape: Shape, storage: TensorStorage, requiresGradient: Bool = false) {
        precondition(
            storage.count == shape.elementCount,
            "Tensor: storage of \(storage.count) elements does not fit shape \(shape)")
        self.shape = shape
        self.storage = storage
        self.requiresGradient = requiresGradient
    }

    /// A tensor whose elements are not initialised: every element must be written before it is read.
    public convenience init(uninitializedShape shape: Shape) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: shape.elementCount))
    }

    /// A tensor filled with `value`.
    public convenience init(shape: Shape, repeating value: Float, requiresGradient: Bool = false) {
        self.init(
            shape: shape, storage: TensorStorage(count: shape.elementCount, repeating: value),
            requiresGradient: requiresGradient)
    }

    /// A tensor holding `scalars` in row-major order.
    public convenience init(shape: Shape, scalars: [Float], requiresGradient: Bool = false) {
        precondition(
            scalars.count == shape.elementCount,
            "Tensor: \(scalars.count) values do not fill shape \(shape)")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { source in
            data.update(from: source.baseAddress!, count: scalars.count)
        }
        self.requiresGradient = requiresGradient
    }

    /// A scalar (shape `[]`).
    public convenience init(scalar: Float) {
        self.init(shape: [], scalars: [scalar])
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: Shape, requiresGradient: Bool = false) -> Tensor {
        Tensor(shape: shape, repeating: 0, requiresGradient: requiresGradient)
    }

    /// A tensor of ones.
    public static func ones(_ shape: Shape, requiresGradient: Bool = false) -> Tensor {
        Tensor(shape: shape, repeating: 1, requiresGradient: requiresGradient)
    }

    /// The number of elements.
    public var count: Int { storage.count }

    /// The first element of the storage.
    public var data: UnsafeMutablePointer<Float> { storage.pointer }

    /// The elements in row-major order.
    public var scalars: [Float] { Array(storage.buffer) }

    /// The only element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements")
        return data[0]
    }

    /// A new tensor with a copy of the values, outside any graph.
    public func copy() -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        result.data.update(from: data, count: count)
        return result
    }

    /// Overwrites the values with those of `other` (same element count), outside any graph.
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "Tensor.assign: shapes \(other.shape) and \(shape) differ in size")
        data.update(from: other.data, count: count)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(shape)(\(shown)\(count > 8 ? ", …" : ""))"
    }
}
