/// A naive direct convolution: the reference the im2col + sgemm convolution is tested against.
/// Slow on purpose: every output is a plain sum over its window, in Double.
public enum DirectConvolution {
    /// `output[n, f, oh, ow] = bias[f] + Σ_{c,i,j} weight[f, c, i, j] * input[n, c, oh*s-p+i, ow*s-p+j]`.
    /// - Parameters: input `[N, C, H, W]`, weight `[F, C, kh, kw]`, bias `[F]` or nil.
    /// - Returns: `[N, F, outH, outW]` as a flat array.
    public static func forward(
        input: [Float], weight: [Float], bias: [Float]?, filters: Int,
        geometry g: ConvolutionGeometry
    ) -> [Float] {
        var output = [Float](repeating: 0, count: g.batch * filters * g.outputPlane)
        for n in 0..<g.batch {
            for f in 0..<filters {
                for oh in 0..<g.outputHeight {
                    for ow in 0..<g.outputWidth {
                        var sum = Double(bias?[f] ?? 0)
                        for c in 0..<g.channels {
                            for i in 0..<g.kernelHeight {
                                for j in 0..<g.kernelWidth {
                                    let ih = oh * g.stride - g.padding + i, iw = ow * g.stride - g.padding + j
                                    guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                                    sum +=
                                        Double(weight[((f * g.channels + c) * g.kernelHeight + i) * g.kernelWidth + j])
                                        * Double(input[((n * g.channels + c) * g.height + ih) * g.width + iw])
                                }
                            }
                        }
                        output[((n * filters + f) * g.outputHeight + oh) * g.outputWidth + ow] = Float(sum)
                    }
                }
            }
        }
        return output
    }

    /// Gradients of `forward` for an output gradient `dout` `[N, F, outH, outW]`.
    /// - Returns: `dx` `[N, C, H, W]`, `dw` `[F, C, kh, kw]`, `db` `[F]`, as flat arrays.
    public static func backward(
        input: [Float], weight: [Float], dout: [Float], filters: Int,
        geometry g: ConvolutionGeometry
    ) -> (dx: [Float], dw: [Float], db: [Float]) {
        var dx = [Double](repeating: 0, count: input.count)
        var dw = [Double](repeating: 0, count: weight.count)
        var db = [Double](repeating: 0, count: filters)
        for n in 0..<g.batch {
            for f in 0..<filters {
                for oh in 0..<g.outputHeight {
                    for ow in 0..<g.outputWidth {
                        let d = Double(dout[((n * filters + f) * g.outputHeight + oh) * g.outputWidth + ow])
                        db[f] += d
                        for c in 0..<g.channels {
                            for i in 0..<g.kernelHeight {
                                for j in 0..<g.kernelWidth {
                                    let ih = oh * g.stride - g.padding + i, iw = ow * g.stride - g.padding + j
                                    guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                                    let wi = ((f * g.channels + c) * g.kernelHeight + i) * g.kernelWidth + j
                                    let xi = ((n * g.channels + c) * g.height + ih) * g.width + iw
                                    dx[xi] += d * Double(weight[wi])
                                    dw[wi] += d * Double(input[xi])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx.map(Float.init), dw.map(Float.init), db.map(Float.init))
    }
}
