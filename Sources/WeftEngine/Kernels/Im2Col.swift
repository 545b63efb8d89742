/// im2col and col2im for one image.
///
/// The column matrix of an image is `[channels*kh*kw, outH*outW]`, row-major: row
/// `(c*kh + i)*kw + j` holds input channel `c` shifted by kernel offset `(i, j)`, column
/// `oh*outW + ow` is output position `(oh, ow)`. Padding reads as 0. One image's matrix is small
/// enough to stay in the core's cache between im2col and the sgemm that reads it.
public enum Im2Col {
    /// Fills `columns` `[patchSize, outputPlane]` from one image `[C, H, W]`.
    public static func im2col(
        image: UnsafePointer<Float>, _ g: ConvolutionGeometry,
        into columns: UnsafeMutablePointer<Float>
    ) {
        var out = columns
        for c in 0..<g.channels {
            let plane = image + c * g.inputPlane
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let (first, end) = validColumns(offset: j, g)
                    for oh in 0..<g.outputHeight {
                        let ih = oh * g.stride - g.padding + i
                        if ih < 0 || ih >= g.height || first >= end {
                            out.update(repeating: 0, count: g.outputWidth)
                        } else {
                            let source = plane + ih * g.width + (j - g.padding)
                            for ow in 0..<first { out[ow] = 0 }
                            if g.stride == 1 {
                                (out + first).update(from: source + first, count: end - first)
                            } else {
                                for ow in first..<end { out[ow] = source[ow * g.stride] }
                            }
                            for ow in end..<g.outputWidth { out[ow] = 0 }
                        }
                        out += g.outputWidth
                    }
                }
            }
        }
    }

    /// Adds one image's columns `[patchSize, outputPlane]` back onto its gradient `[C, H, W]`
    /// (each input element receives the sum over every window position that read it), in a
    /// fixed order.
    public static func col2im(
        _ columns: UnsafePointer<Float>, _ g: ConvolutionGeometry,
        addingInto image: UnsafeMutablePointer<Float>
    ) {
        var source = columns
        for c in 0..<g.channels {
            let plane = image + c * g.inputPlane
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let (first, end) = validColumns(offset: j, g)
                    for oh in 0..<g.outputHeight {
                        let ih = oh * g.stride - g.padding + i
                        if ih >= 0 && ih < g.height {
                            let target = plane + ih * g.width + (j - g.padding)
                            if g.stride == 1 {
                                for ow in first..<end { target[ow] += source[ow] }
                            } else {
                                for ow in first..<end { target[ow * g.stride] += source[ow] }
                            }
                        }
                        source += g.outputWidth
                    }
                }
            }
        }
    }

    /// The output columns `first..<end` whose input column `ow*stride - padding + offset` lies
    /// inside the image.
    @inline(__always)
    static func validColumns(offset j: Int, _ g: ConvolutionGeometry) -> (Int, Int) {
        let shift = j - g.padding
        // ow*stride + shift >= 0  and  ow*stride + shift <= width - 1
        let first = shift >= 0 ? 0 : (-shift + g.stride - 1) / g.stride
        let lastInput = g.width - 1 - shift
        let end = lastInput < 0 ? 0 : min(g.outputWidth, lastInput / g.stride + 1)
        return (min(first, end), end)
    }
}
