import Foundation

/// Measures the engine's convolutions against the machine's sgemm ceiling: forward and backward
/// GFLOP/s of the reference CNN's convolutions at a given batch, next to a large square sgemm.
public struct EngineBenchmark {
    /// One convolution to time: input `[batch, channels, size, size]`, `filters` kernels
    /// `kernel × kernel`, stride 1, the given padding.
    public struct Convolution: Sendable {
        public let name: String
        public let channels: Int, size: Int, filters: Int, kernel: Int, padding: Int

        /// Whether Winograd can compute this convolution (`ConvolutionAlgorithm.best` picks it).
        public var hasWinogradPath: Bool {
            guard
                let g = ConvolutionGeometry(
                    input: [1, channels, size, size], kernelHeight: kernel, kernelWidth: kernel,
                    stride: 1, padding: padding)
            else { return false }
            return Winograd.fits(g, filters: filters)
        }

        /// Multiply-adds of one forward pass per image (of the direct convolution: the FLOP count
        /// every GFLOP/s figure uses, whichever algorithm runs).
        public var forwardMultiplyAdds: Int {
            let out = size + 2 * padding - kernel + 1
            return channels * kernel * kernel * filters * out * out
        }
    }

    /// One timed result.
    public struct Result: Sendable {
        public let name: String
        /// Median seconds of one pass.
        public let seconds: Double
        /// Floating-point operations of one pass.
        public let flops: Double
        public var gflops: Double { flops / seconds / 1e9 }
    }

    /// The convolutions of the reference `cnn` (and `cnn-bn`) of the PyTorch peer scripts.
    public static let referenceConvolutions = [
        Convolution(name: "conv1 1→32 3×3 @28×28", channels: 1, size: 28, filters: 32, kernel: 3, padding: 1),
        Convolution(name: "conv2 32→64 3×3 @14×14", channels: 32, size: 14, filters: 64, kernel: 3, padding: 1)
    ]

    public let batch: Int
    public let repetitions: Int

    public init(batch: Int = 128, repetitions: Int = 15) {
        self.batch = batch
        self.repetitions = repetitions
    }

    /// Median wall time of `body` over the repetitions, after two warm-up calls.
    func medianSeconds(_ body: () -> Void) -> Double {
        body(); body()
        var times: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    /// Forward and backward (input, weight and bias gradients) of one convolution, through
    /// Winograd where it applies unless `winograd` is false (then im2col + sgemm; the names say which).
    public func run(_ convolution: Convolution, winograd: Bool = true) -> (forward: Result, backward: Result) {
        let algorithm: ConvolutionAlgorithm = winograd && convolution.hasWinogradPath ? .winograd : .im2col
        let label = convolution.hasWinogradPath ? (winograd ? " (Winograd)" : " (im2col)") : ""
        var generator = RandomGenerator(seed: 1)
        let c = convolution
        let input = Tensor.normal([batch, c.channels, c.size, c.size], using: &generator)
        input.requiresGradient = true
        let weight = Tensor.kaimingNormal([c.filters, c.channels, c.kernel, c.kernel], using: &generator)
        weight.requiresGradient = true
        let bias = Tensor.zeros([c.filters], requiresGradient: true)
        let flops = 2 * Double(c.forwardMultiplyAdds * batch)
        let forward = medianSeconds {
            _ = Autograd.withoutRecording {
                input.conv2d(weight: weight, bias: bias, padding: c.padding, algorithm: algorithm)
            }
        }
        let output = input.conv2d(weight: weight, bias: bias, padding: c.padding, algorithm: algorithm)
        let dout = Tensor.normal(output.shape, using: &generator)
        let backward =
            medianSeconds {
                let output = input.conv2d(weight: weight, bias: bias, padding: c.padding, algorithm: algorithm)
                output.backward(gradient: dout)
            } - forward
        return (
            Result(name: c.name + " forward" + label, seconds: forward, flops: flops),
            Result(name: c.name + " backward" + label, seconds: backward, flops: 2 * flops)
        )
    }

    /// A square sgemm of side `size`.
    public func sgemm(size: Int = 2048) -> Result {
        var generator = RandomGenerator(seed: 2)
        let a = Tensor.normal([size, size], using: &generator)
        let b = Tensor.normal([size, size], using: &generator)
        let seconds = medianSeconds { _ = Autograd.withoutRecording { a.matmul(b) } }
        return Result(name: "sgemm \(size)³", seconds: seconds, flops: 2 * pow(Double(size), 3))
    }
}

extension EngineBenchmark {
    /// Forward and backward of the fused ReLU + 2×2 max pooling on `[batch, channels, size, size]`.
    public func runReLUMaxPool(channels: Int = 32, size: Int = 28) -> (forward: Result, backward: Result) {
        var generator = RandomGenerator(seed: 3)
        let input = Tensor.normal([batch, channels, size, size], using: &generator)
        input.requiresGradient = true
        let name = "ReLU+MaxPool \(channels)×\(size)×\(size)"
        let bytes = Double(batch * channels * size * size * 4)
        let forward = medianSeconds { _ = input.reluMaxPool2x2() }
        let dout = Tensor.normal([batch, channels, size / 2, size / 2], using: &generator)
        let backward =
            medianSeconds {
                input.gradient = nil  // a fresh gradient, as for a layer's output in training
                let output = input.reluMaxPool2x2()
                output.backward(gradient: dout)
            } - forward
        return (
            Result(name: name + " forward", seconds: forward, flops: bytes),
            Result(name: name + " backward", seconds: backward, flops: bytes)
        )
    }
}
