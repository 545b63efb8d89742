extension Tensor {
    /// Inverted dropout, as `torch.nn.functional.dropout`: in training each element is zeroed
    /// with probability `probability` and the survivors are scaled by `1 / (1 - probability)`;
    /// outside training, the identity. The mask is drawn from `generator`, one number per
    /// element in row-major order.
    public func dropout(probability: Float, training: Bool, generator: inout RandomGenerator) -> Tensor {
        precondition(probability >= 0 && probability < 1, "dropout: probability must be in [0, 1), got \(probability)")
        guard training, probability > 0 else { return self }
        let scale = 1 / (1 - probability)
        let mask = TensorStorage(uninitializedCount: count)
        for index in 0..<count {
            mask.pointer[index] = generator.nextFloat() < probability ? 0 : scale
        }
        let output = Tensor(uninitializedShape: shape)
        let x = data, y = output.data, m = mask.pointer
        for index in 0..<count { y[index] = x[index] * m[index] }
        return output.recorded("dropout", inputs: [self]) { [self] dout in
            let dx = gradientForAccumulation(), dy = dout.data, kept = mask.pointer
            for index in 0..<count { dx[index] += dy[index] * kept[index] }
        }
    }
}
