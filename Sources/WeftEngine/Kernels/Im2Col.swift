/// im2col and col2im over a whole batch.
///
/// The column matrix is `[channels*kh*kw, batch*outH*outW]`, row-major: row
/// `(c*kh + i)*kw + j` holds input channel `c` shifted by kernel offset `(i, j)`, column
/// `n*outH*outW + oh*outW + ow` is output position `(oh, ow)` of image `n`. Padding reads as 0.
public enum Im2Col {
    /// Fills `columns` `[patchSize, batch*outputPlane]` from `input` `[N, C, H, W]`.
    /// Images are split across threads.
    public static func im2col(_ input: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                              into columns: UnsafeMutablePointer<Float>) {
        let rowLength = g.batch * g.outputPlane
        Parallel.forEach(g.batch) { n in
            for c in 0..<g.channels {
                let plane = input + (n * g.channels + c) * g.inputPlane
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        let row = (c * g.kernelHeight + i) * g.kernelWidth + j
                        var out = columns + row * rowLength + n * g.outputPlane
                        for oh in 0..<g.outputHeight {
                            let ih = oh * g.stride - g.padding + i
                            if ih < 0 || ih >= g.height {
                                out.update(repeating: 0, count: g.outputWidth)
                            } else {
                                let source = plane + ih * g.width
                                var iw = j - g.padding
                                for ow in 0..<g.outputWidth {
                                    out[ow] = (iw >= 0 && iw < g.width) ? source[iw] : 0
                                    iw += g.stride
                                }
                            }
                            out += g.outputWidth
                        }
                    }
                }
            }
        }
    }

    /// Adds the columns `[patchSize, batch*outputPlane]` back onto `gradient` `[N, C, H, W]`
    /// (each input element receives the sum over every window position that read it).
    /// Images are split across threads; each image's sums run in a fixed order.
    public static func col2im(_ columns: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                              addingInto gradient: UnsafeMutablePointer<Float>) {
        let rowLength = g.batch * g.outputPlane
        Parallel.forEach(g.batch) { n in
            for c in 0..<g.channels {
                let plane = gradient + (n * g.channels + c) * g.inputPlane
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        let row = (c * g.kernelHeight + i) * g.kernelWidth + j
                        var source = columns + row * rowLength + n * g.outputPlane
                        for oh in 0..<g.outputHeight {
                            let ih = oh * g.stride - g.padding + i
                            if ih >= 0 && ih < g.height {
                                let target = plane + ih * g.width
                                var iw = j - g.padding
                                for ow in 0..<g.outputWidth {
                                    if iw >= 0 && iw < g.width { target[iw] += source[ow] }
                                    iw += g.stride
                                }
                            }
                            source += g.outputWidth
                        }
                    }
                }
            }
        }
    }
}
