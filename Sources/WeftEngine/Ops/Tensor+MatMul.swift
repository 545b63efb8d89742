extension Tensor {
    /// Matrix product `[M, K] × [K, N] → [M, N]`, as `torch.matmul` on 2-D tensors (one sgemm).
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(
            shape.rank == 2 && other.shape.rank == 2 && shape[1] == other.shape[0],
            "matmul: shapes \(shape) and \(other.shape) do not chain as [M, K] × [K, N]")
        let m = shape[0], k = shape[1], n = other.shape[1]
        let output = Tensor(uninitializedShape: [m, n])
        Gemm.multiply(m: m, n: n, k: k, a: data, lda: k, b: other.data, ldb: n, c: output.data, ldc: n)
        return output.recorded("matmul", inputs: [self, other]) { [self] dout in
            if requiresGradient {  // dA += dout · Bᵀ
                Gemm.multiply(
                    transposeB: true, m: m, n: k, k: n, a: dout.data, lda: n, b: other.data, ldb: n,
                    beta: 1, c: gradientForAccumulation(), ldc: k)
            }
            if other.requiresGradient {  // dB += Aᵀ · dout
                Gemm.multiply(
                    transposeA: true, m: k, n: n, k: m, a: data, lda: k, b: dout.data, ldb: n,
                    beta: 1, c: other.gradientForAccumulation(), ldc: n)
            }
        }
    }

    /// A fully connected layer `x · weightᵀ + bias`, as `torch.nn.functional.linear`.
    /// - Parameters:
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]`, or nil.
    /// - Returns: `[N, out]` for this `[N, in]` input.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(
            shape.rank == 2 && weight.shape.rank == 2 && shape[1] == weight.shape[1],
            "linear: input \(shape) and weight \(weight.shape) must be [N, in] and [out, in]")
        let batch = shape[0], inputs = shape[1], outputs = weight.shape[0]
        precondition(bias == nil || bias!.shape == [outputs], "linear: bias \(bias?.shape ?? []) must be [\(outputs)]")
        let output = Tensor(uninitializedShape: [batch, outputs])
        if let bias {
            for row in 0..<batch { (output.data + row * outputs).update(from: bias.data, count: outputs) }
        }
        Gemm.multiply(
            transposeB: true, m: batch, n: outputs, k: inputs, a: data, lda: inputs,
            b: weight.data, ldb: inputs, beta: bias == nil ? 0 : 1, c: output.data, ldc: outputs)
        return output.recorded("linear", inputs: [self, weight, bias]) { [self] dout in
            if requiresGradient {  // dx += dout · W
                Gemm.multiply(
                    m: batch, n: inputs, k: outputs, a: dout.data, lda: outputs, b: weight.data, ldb: inputs,
                    beta: 1, c: gradientForAccumulation(), ldc: inputs)
            }
            if weight.requiresGradient {  // dW += doutᵀ · x
                Gemm.multiply(
                    transposeA: true, m: outputs, n: inputs, k: batch, a: dout.data, lda: outputs,
                    b: data, ldb: inputs, beta: 1, c: weight.gradientForAccumulation(), ldc: inputs)
            }
            if let bias, bias.requiresGradient {  // db += Σ_rows dout
                let db = bias.gradientForAccumulation(), dy = dout.data
                for row in 0..<batch { for column in 0..<outputs { db[column] += dy[row * outputs + column] } }
            }
        }
    }
}
