extension Tensor {
    /// The sum of all elements, as a scalar `[]` (`torch.sum`). Accumulates in Double, in order.
    public func sum() -> Tensor {
        var total: Double = 0
        for index in 0..<count { total += Double(data[index]) }
        let output = Tensor(scalar: Float(total))
        return output.recorded("sum", inputs: [self]) { [self] dout in
            let dx = gradientForAccumulation(), share = dout.data[0]
            for index in 0..<count { dx[index] += share }
        }
    }

    /// The mean of all elements, as a scalar `[]` (`torch.mean`).
    public func mean() -> Tensor {
        precondition(count > 0, "mean: tensor \(shape) is empty")
        var total: Double = 0
        for index in 0..<count { total += Double(data[index]) }
        let output = Tensor(scalar: Float(total / Double(count)))
        return output.recorded("mean", inputs: [self]) { [self] dout in
            let dx = gradientForAccumulation(), share = dout.data[0] / Float(count)
            for index in 0..<count { dx[index] += share }
        }
    }
}
