import Foundation

extension Tensor {
    /// Softmax over the last dimension of `[N, C]`, as `torch.softmax(x, dim=1)`.
    public func softmax() -> Tensor {
        let (rows, columns) = rowsAndColumns("softmax")
        let output = Tensor(uninitializedShape: shape)
        Tensor.softmaxRows(data, rows: rows, columns: columns, into: output.data, logarithm: false)
        let y = output.storage
        return output.recorded("softmax", inputs: [self]) { [self] dout in
            // dx = y * (dout - Σ dout·y)
            let dx = gradientForAccumulation(), dy = dout.data, p = y.pointer
            for row in 0..<rows {
                let base = row * columns
                var dot: Float = 0
                for column in 0..<columns { dot += dy[base + column] * p[base + column] }
                for column in 0..<columns { dx[base + column] += p[base + column] * (dy[base + column] - dot) }
            }
        }
    }

    /// Log-softmax over the last dimension of `[N, C]`, as `torch.log_softmax(x, dim=1)`.
    public func logSoftmax() -> Tensor {
        let (rows, columns) = rowsAndColumns("logSoftmax")
        let output = Tensor(uninitializedShape: shape)
        Tensor.softmaxRows(data, rows: rows, columns: columns, into: output.data, logarithm: true)
        let y = output.storage
        return output.recorded("logSoftmax", inputs: [self]) { [self] dout in
            // dx = dout - softmax * Σ dout
            let dx = gradientForAccumulation(), dy = dout.data, logP = y.pointer
            for row in 0..<rows {
                let base = row * columns
                var total: Float = 0
                for column in 0..<columns { total += dy[base + column] }
                for column in 0..<columns { dx[base + column] += dy[base + column] - expf(logP[base + column]) * total }
            }
        }
    }

    private func rowsAndColumns(_ op: String) -> (Int, Int) {
        precondition(shape.rank == 2, "\(op): input \(shape) must be [N, C]")
        return (shape[0], shape[1])
    }

    /// Writes the softmax (or its logarithm) of each row, computed stably after subtracting the
    /// row's maximum.
    static func softmaxRows(
        _ x: UnsafePointer<Float>, rows: Int, columns: Int,
        into y: UnsafeMutablePointer<Float>, logarithm: Bool
    ) {
        for row in 0..<rows {
            let from = x + row * columns, to = y + row * columns
            var maximum = -Float.infinity
            for column in 0..<columns { maximum = max(maximum, from[column]) }
            var total: Float = 0
            for column in 0..<columns { total += expf(from[column] - maximum) }
            if logarithm {
                let logTotal = logf(total)
                for column in 0..<columns { to[column] = from[column] - maximum - logTotal }
            } else {
                for column in 0..<columns { to[column] = expf(from[column] - maximum) / total }
            }
        }
    }
}
