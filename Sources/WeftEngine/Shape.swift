/// The dimensions of a tensor, outermost first (NCHW for images: `[N, C, H, W]`).
public struct Shape: Equatable, Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The size of each dimension.
    public var dimensions: [Int]

    public init(_ dimensions: [Int]) {
        precondition(dimensions.allSatisfy { $0 >= 0 }, "Shape: negative dimension in \(dimensions)")
        self.dimensions = dimensions
    }

    public init(arrayLiteral elements: Int...) {
        self.init(elements)
    }

    /// The number of dimensions (0 for a scalar).
    public var rank: Int { dimensions.count }

    /// The number of elements: the product of the dimensions (1 for a scalar).
    public var elementCount: Int { dimensions.reduce(1, *) }

    public subscript(index: Int) -> Int {
        get { dimensions[index] }
        set { dimensions[index] = newValue }
    }

    /// Row-major strides in elements: the last dimension has stride 1.
    public var strides: [Int] {
        var strides = [Int](repeating: 1, count: rank)
        var running = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= dimensions[axis]
        }
        return strides
    }

    /// Fan-in and fan-out as PyTorch's `torch.nn.init` computes them: for a weight
    /// `[out, in, kh, kw]` fan-in is `in*kh*kw` and fan-out `out*kh*kw`; for `[out, in]`,
    /// `in` and `out`.
    public var fans: (fanIn: Int, fanOut: Int) {
        precondition(rank >= 2, "Shape.fans: needs at least 2 dimensions, got \(self)")
        let receptiveField = dimensions.dropFirst(2).reduce(1, *)
        return (dimensions[1] * receptiveField, dimensions[0] * receptiveField)
    }

    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }

    /// The shape both operands broadcast to under NumPy's rules (trailing dimensions aligned;
    /// a dimension of 1 stretches), or `nil` when they are incompatible.
    public static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
        let rank = max(a.rank, b.rank)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let da = axis < rank - a.rank ? 1 : a[axis - (rank - a.rank)]
            let db = axis < rank - b.rank ? 1 : b[axis - (rank - b.rank)]
            if da == db || db == 1 {
                result[axis] = da
            } else if da == 1 {
                result[axis] = db
            } else {
                return nil
            }
        }
        return Shape(result)
    }
}
