extension Tensor {
    /// The same elements viewed with another shape (one dimension may be -1: inferred), as
    /// `torch.reshape` on a contiguous tensor. Shares storage.
    public func reshaped(_ newDimensions: [Int]) -> Tensor {
        var dimensions = newDimensions
        if let inferred = dimensions.firstIndex(of: -1) {
            let known = dimensions.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            precondition(
                known > 0 && count % known == 0,
                "reshape: cannot infer -1 in \(dimensions) for \(count) elements of \(shape)")
            dimensions[inferred] = count / known
        }
        let target = Shape(dimensions)
        precondition(
            target.elementCount == count,
            "reshape: \(shape) has \(count) elements, \(target) needs \(target.elementCount)")
        let output = Tensor(shape: target, storage: storage)
        return output.recorded("reshape", inputs: [self]) { [self] dout in
            let (dx, fresh) = gradientForWriting(), dy = dout.data
            if fresh {
                dx.update(from: dy, count: count)
            } else {
                for index in 0..<count { dx[index] += dy[index] }
            }
        }
    }

    /// `[N, ...]` flattened to `[N, product of the rest]`, as `torch.flatten(x, 1)`.
    public func flattened() -> Tensor {
        precondition(shape.rank >= 1, "flatten: a scalar has no batch dimension")
        return reshaped([shape[0], -1])
    }
}
