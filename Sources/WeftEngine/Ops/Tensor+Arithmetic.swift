/// Element-wise arithmetic with NumPy/PyTorch broadcasting (trailing dimensions aligned, a
/// dimension of 1 stretches): a bias `[1, C, 1, 1]` adds over channels of `[N, C, H, W]`, a
/// bias `[F]` over the features of `[N, F]`. The backward sums the gradient over stretched
/// dimensions.
extension Tensor {
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.broadcasting("add", rhs, { $0 + $1 }, dLeft: { _, _ in 1 }, dRight: { _, _ in 1 })
    }

    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.broadcasting("sub", rhs, { $0 - $1 }, dLeft: { _, _ in 1 }, dRight: { _, _ in -1 })
    }

    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.broadcasting("mul", rhs, { $0 * $1 }, dLeft: { _, b in b }, dRight: { a, _ in a })
    }

    /// Every element multiplied by `factor`.
    public static func * (lhs: Tensor, factor: Float) -> Tensor { lhs.scaled(by: factor) }

    /// Every element multiplied by `factor`, as `x * factor` in PyTorch.
    public func scaled(by factor: Float) -> Tensor {
        elementwise("scale", { $0 * factor }, derivative: { _, _ in factor })
    }

    /// Applies `function(a, b)` over the broadcast shape; the backward multiplies `dout` by the
    /// partial derivatives `dLeft(a, b)` and `dRight(a, b)` and sums over stretched dimensions.
    private func broadcasting(
        _ name: String, _ other: Tensor, _ function: @escaping (Float, Float) -> Float,
        dLeft: @escaping (Float, Float) -> Float,
        dRight: @escaping (Float, Float) -> Float
    ) -> Tensor {
        guard let outputShape = Shape.broadcast(shape, other.shape) else {
            preconditionFailure("\(name): shapes \(shape) and \(other.shape) do not broadcast")
        }
        let output = Tensor(uninitializedShape: outputShape)
        let a = data, b = other.data, y = output.data
        if shape == other.shape {
            Parallel.forChunks(count, grain: 1 << 15) { range in
                for index in range { y[index] = function(a[index], b[index]) }
            }
        } else {
            let map = BroadcastMap(output: outputShape, left: shape, right: other.shape)
            map.forEach { index, left, right in y[index] = function(a[left], b[right]) }
        }
        return output.recorded(name, inputs: [self, other]) { [self] dout in
            let dy = dout.data
            let da = requiresGradient ? gradientForAccumulation() : nil
            let db = other.requiresGradient ? other.gradientForAccumulation() : nil
            if shape == other.shape {
                Parallel.forChunks(count, grain: 1 << 15) { range in
                    for index in range {
                        da?[index] += dy[index] * dLeft(a[index], b[index])
                        db?[index] += dy[index] * dRight(a[index], b[index])
                    }
                }
            } else {
                let map = BroadcastMap(output: outputShape, left: shape, right: other.shape)
                map.forEach { index, left, right in
                    da?[left] += dy[index] * dLeft(a[left], b[right])
                    db?[right] += dy[index] * dRight(a[left], b[right])
                }
            }
        }
    }
}

/// For each element of a broadcast output, the offsets of the two operand elements it reads.
struct BroadcastMap {
    let output: Shape
    let leftStrides: [Int], rightStrides: [Int]

    init(output: Shape, left: Shape, right: Shape) {
        self.output = output
        leftStrides = BroadcastMap.strides(of: left, within: output)
        rightStrides = BroadcastMap.strides(of: right, within: output)
    }

    /// Row-major strides of `shape` aligned to `output`'s rank, 0 along stretched dimensions.
    private static func strides(of shape: Shape, within output: Shape) -> [Int] {
        let own = shape.strides, offset = output.rank - shape.rank
        return (0..<output.rank).map { axis in
            axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
        }
    }

    /// Calls `body(outputIndex, leftOffset, rightOffset)` for every output element in order.
    func forEach(_ body: (Int, Int, Int) -> Void) {
        let rank = output.rank
        var position = [Int](repeating: 0, count: rank)
        var left = 0, right = 0
        for index in 0..<output.elementCount {
            body(index, left, right)
            var axis = rank - 1
            while axis >= 0 {
                position[axis] += 1
                left += leftStrides[axis]
                right += rightStrides[axis]
                if position[axis] < output[axis] { break }
                left -= leftStrides[axis] * position[axis]
                right -= rightStrides[axis] * position[axis]
                position[axis] = 0
                axis -= 1
            }
        }
    }
}
