/// Weight initialisers as `torch.nn.init` defines them. Each draws from `generator` in
/// row-major order.
extension Tensor {
    /// Values uniform in `[low, high)` (`torch.nn.init.uniform_`).
    public static func uniform(
        _ shape: Shape, low: Float, high: Float,
        using generator: inout RandomGenerator
    ) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        for index in 0..<result.count { result.data[index] = generator.nextFloat(in: low, high) }
        return result
    }

    /// Values normal with mean `mean` and standard deviation `std` (`torch.nn.init.normal_`).
    public static func normal(
        _ shape: Shape, mean: Float = 0, std: Float = 1,
        using generator: inout RandomGenerator
    ) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        for index in 0..<result.count { result.data[index] = mean + std * generator.nextNormal() }
        return result
    }

    /// He/Kaiming normal (`kaiming_normal_`, fan-in mode): std = gain / sqrt(fanIn),
    /// gain sqrt(2) for ReLU.
    public static func kaimingNormal(
        _ shape: Shape, gain: Float = Float(2).squareRoot(),
        using generator: inout RandomGenerator
    ) -> Tensor {
        let std = gain / Float(shape.fans.fanIn).squareRoot()
        return normal(shape, std: std, using: &generator)
    }

    /// He/Kaiming uniform (`kaiming_uniform_`, fan-in mode): bound = gain * sqrt(3 / fanIn).
    /// With `gain = sqrt(1/3)` (a = sqrt(5)) this is PyTorch's default for Linear and Conv2d.
    public static func kaimingUniform(
        _ shape: Shape, gain: Float = Float(2).squareRoot(),
        using generator: inout RandomGenerator
    ) -> Tensor {
        let bound = gain * (3 / Float(shape.fans.fanIn)).squareRoot()
        return uniform(shape, low: -bound, high: bound, using: &generator)
    }

    /// Xavier/Glorot uniform (`xavier_uniform_`): bound = gain * sqrt(6 / (fanIn + fanOut)).
    public static func xavierUniform(
        _ shape: Shape, gain: Float = 1,
        using generator: inout RandomGenerator
    ) -> Tensor {
        let fans = shape.fans
        let bound = gain * (6 / Float(fans.fanIn + fans.fanOut)).squareRoot()
        return uniform(shape, low: -bound, high: bound, using: &generator)
    }

    /// Xavier/Glorot normal (`xavier_normal_`): std = gain * sqrt(2 / (fanIn + fanOut)).
    public static func xavierNormal(
        _ shape: Shape, gain: Float = 1,
        using generator: inout RandomGenerator
    ) -> Tensor {
        let fans = shape.fans
        let std = gain * (2 / Float(fans.fanIn + fans.fanOut)).squareRoot()
        return normal(shape, std: std, using: &generator)
    }
}
