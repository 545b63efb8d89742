import WeftEngine
import XCTest

/// `conv2d` of seeded random tensors against `DirectConvolution` (a plain sum in Double): the
/// output and the input, weight and bias gradients.
/// - Parameters: input `shape` `[N, C, H, W]`, `filters` kernels `kernelHeight × kernelWidth`.
public func assertConv2dMatchesDirectConvolution(
    _ shape: Shape, filters: Int, kernelHeight: Int, kernelWidth: Int,
    stride: Int, padding: Int, seed: UInt64, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let x = randomTensor(shape, seed: seed)
    let weight = randomTensor([filters, shape[1], kernelHeight, kernelWidth], seed: seed + 1, scale: 0.3)
    let bias = randomTensor([filters], seed: seed + 2)
    x.requiresGradient = true; weight.requiresGradient = true; bias.requiresGradient = true
    guard
        let geometry = ConvolutionGeometry(
            input: shape, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
            stride: stride, padding: padding)
    else {
        return XCTFail("\(label): geometry does not fit", file: file, line: line)
    }
    let out = x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    let expected = DirectConvolution.forward(
        input: x.scalars, weight: weight.scalars, bias: bias.scalars,
        filters: filters, geometry: geometry)
    assertClose(
        out, Tensor(shape: out.shape, scalars: expected), tolerance: 1e-4, "\(label) forward", file: file, line: line)
    let dout = randomTensor(out.shape, seed: seed + 3)
    out.backward(gradient: dout)
    let reference = DirectConvolution.backward(
        input: x.scalars, weight: weight.scalars, dout: dout.scalars,
        filters: filters, geometry: geometry)
    assertClose(x.gradient, Tensor(shape: x.shape, scalars: reference.dx), "\(label) dx", file: file, line: line)
    assertClose(
        weight.gradient, Tensor(shape: weight.shape, scalars: reference.dw), "\(label) dw", file: file, line: line)
    assertClose(bias.gradient, Tensor(shape: bias.shape, scalars: reference.db), "\(label) db", file: file, line: line)
}
