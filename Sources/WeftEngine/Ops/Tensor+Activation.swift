import Foundation

extension Tensor {
    /// `max(x, 0)` element-wise, as `torch.relu`; the gradient at 0 is 0.
    public func relu() -> Tensor {
        rectified("relu", slope: 0)
    }

    /// `x` where positive, `slope * x` elsewhere, as `torch.nn.functional.leaky_relu`.
    public func leakyRelu(slope: Float = 0.01) -> Tensor {
        rectified("leakyRelu", slope: slope)
    }

    /// ReLU and leaky ReLU with plain loops the compiler vectorises (the hot activation of CNNs).
    /// The backward passes `dout` where `x > 0` and `slope * dout` elsewhere.
    private func rectified(_ name: String, slope: Float) -> Tensor {
        let output = Tensor(uninitializedShape: shape)
        let x = data, y = output.data
        Parallel.forChunks(count, grain: 1 << 16) { range in
            for index in range {
                let value = x[index]
                y[index] = value > 0 ? value : value * slope
            }
        }
        return output.recorded(name, inputs: [self]) { [self] dout in
            let dx = gradientForAccumulation(), dy = dout.data
            Parallel.forChunks(count, grain: 1 << 16) { range in
                for index in range { dx[index] += x[index] > 0 ? dy[index] : dy[index] * slope }
            }
        }
    }

    /// `1 / (1 + e^-x)` element-wise, as `torch.sigmoid`.
    public func sigmoid() -> Tensor {
        elementwise("sigmoid", { 1 / (1 + expf(-$0)) }, derivative: { _, y in y * (1 - y) })
    }

    /// `tanh(x)` element-wise, as `torch.tanh`.
    public func tanh() -> Tensor {
        elementwise("tanh", { tanhf($0) }, derivative: { _, y in 1 - y * y })
    }

    /// Applies `function` to every element; the backward multiplies `dout` by
    /// `derivative(x, y)`, given the input `x` and output `y` of the element.
    @inline(__always)
    func elementwise(
        _ name: String, _ function: @escaping (Float) -> Float,
        derivative: @escaping (Float, Float) -> Float
    ) -> Tensor {
        let output = Tensor(uninitializedShape: shape)
        let x = data, y = output.data
        Parallel.forChunks(count, grain: 1 << 15) { range in
            for index in range { y[index] = function(x[index]) }
        }
        let outputStorage = output.storage
        return output.recorded(name, inputs: [self]) { [self] dout in
            let dx = gradientForAccumulation(), dy = dout.data, y = outputStorage.pointer
            Parallel.forChunks(count, grain: 1 << 15) { range in
                for index in range { dx[index] += dy[index] * derivative(x[index], y[index]) }
            }
        }
    }
}
