import WeftEngine
import XCTest

/// Checks the gradients an op's backward computes against central finite differences.
///
/// The op's output is projected to a scalar with fixed random weights `r` (`L = Σ r·f(inputs)`);
/// `backward(gradient: r)` gives the analytic `dL/dx`, and `(L(x+ε) - L(x-ε)) / 2ε` for each
/// element of each input gives the numeric one, the projection summed in Double. They must agree
/// within `absoluteTolerance + relativeTolerance * max(|analytic|, |numeric|)` element by element.
///
/// - Parameters:
///   - inputs: leaves to differentiate; each is marked `requiresGradient`. Their gradients are reset.
///   - epsilon: the finite-difference step (float32: around 1e-2 for smooth ops).
///   - function: the op under test; it must be deterministic (re-seed any generator inside).
public func assertGradientsMatchFiniteDifferences(
    _ name: String,
    inputs: [Tensor],
    epsilon: Float = 1e-2,
    absoluteTolerance: Float = 5e-3,
    relativeTolerance: Float = 2e-2,
    file: StaticString = #filePath, line: UInt = #line,
    _ function: ([Tensor]) -> Tensor
) {
    for input in inputs {
        input.requiresGradient = true
        input.gradient = nil
    }
    let output = function(inputs)
    var generator = RandomGenerator(seed: 0x5EED)
    let projection = Tensor.normal(output.shape, using: &generator)
    output.backward(gradient: projection)

    func projected() -> Double {
        let value = Autograd.withoutRecording { function(inputs) }
        var total: Double = 0
        for index in 0..<value.count { total += Double(value.data[index]) * Double(projection.data[index]) }
        return total
    }

    for (inputIndex, input) in inputs.enumerated() {
        guard let analytic = input.gradient else {
            XCTFail("\(name): input \(inputIndex) \(input.shape) received no gradient", file: file, line: line)
            continue
        }
        var worst: (index: Int, analytic: Float, numeric: Float, excess: Float)?
        for index in 0..<input.count {
            let saved = input.data[index]
            input.data[index] = saved + epsilon
            let plus = projected()
            input.data[index] = saved - epsilon
            let minus = projected()
            input.data[index] = saved
            let numeric = Float((plus - minus) / (2 * Double(epsilon)))
            let a = analytic.data[index]
            let allowed = absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric))
            let excess = abs(a - numeric) - allowed
            if excess > 0 && excess > (worst?.excess ?? 0) {
                worst = (index, a, numeric, excess)
            }
        }
        if let worst {
            XCTFail(
                "\(name): input \(inputIndex) \(input.shape) element \(worst.index): analytic gradient \(worst.analytic), finite difference \(worst.numeric)",
                file: file, line: line)
        }
    }
}

/// Random normal values, scaled, for test inputs.
public func randomTensor(_ shape: Shape, seed: UInt64, scale: Float = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return Tensor.normal(shape, std: scale, using: &generator)
}

/// Distinct values spaced at least `gap` apart in random order, so max-pooling windows have no
/// near-ties and ReLU inputs stay away from the kink when shifted.
public func distinctTensor(_ shape: Shape, seed: UInt64, gap: Float = 0.05) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    let count = shape.elementCount
    var values = (0..<count).map { Float($0) * gap - Float(count) * gap / 2 + gap / 2 }
    generator.shuffle(&values)
    return Tensor(shape: shape, scalars: values)
}
