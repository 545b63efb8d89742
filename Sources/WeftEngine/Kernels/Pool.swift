/// Max and average pooling loops over NCHW planes; planes are split across threads.
public enum Pool {
    /// Max over each window (padding never wins). Writes `output` `[N, C, outH, outW]` and, when
    /// `argmax` is given, the index within the input plane (`ih*W + iw`) each maximum came from.
    public static func maxForward(_ input: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                                  output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?) {
        if g.kernelHeight == 2, g.kernelWidth == 2, g.stride == 2, g.padding == 0 {
            return maxForward2x2(input, g, output: output, argmax: argmax)
        }
        Parallel.forEach(g.batch * g.channels) { planeIndex in
            let plane = input + planeIndex * g.inputPlane
            let out = output + planeIndex * g.outputPlane
            let arg = argmax.map { $0 + planeIndex * g.outputPlane }
            for oh in 0..<g.outputHeight {
                let h0 = oh * g.stride - g.padding
                let hStart = max(h0, 0), hEnd = min(h0 + g.kernelHeight, g.height)
                for ow in 0..<g.outputWidth {
                    let w0 = ow * g.stride - g.padding
                    let wStart = max(w0, 0), wEnd = min(w0 + g.kernelWidth, g.width)
                    var best = -Float.infinity, bestIndex = hStart * g.width + wStart
                    for ih in hStart..<hEnd {
                        for iw in wStart..<wEnd {
                            let value = plane[ih * g.width + iw]
                            if value > best || (value.isNaN && !best.isNaN) { best = value; bestIndex = ih * g.width + iw }
                        }
                    }
                    out[oh * g.outputWidth + ow] = best
                    arg?[oh * g.outputWidth + ow] = Int32(bestIndex)
                }
            }
        }
    }

    /// The common 2×2 window with stride 2 and no padding, eight and four windows at a time in
    /// SIMD lanes (rows narrower than four windows one by one). Same results as the general loop:
    /// the first maximum in row-major window order wins, NaN wins.
    private static func maxForward2x2(_ input: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                                      output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?) {
        let width = g.width, outWidth = g.outputWidth
        let laneColumns = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        Parallel.forChunks(g.batch * g.channels, grain: 4) { planes in
            for planeIndex in planes {
                let plane = input + planeIndex * g.inputPlane
                let out = output + planeIndex * g.outputPlane
                let arg = argmax.map { $0 + planeIndex * g.outputPlane }
                for oh in 0..<g.outputHeight {
                    let top = plane + 2 * oh * width, bottom = top + width
                    let rowOffset = 2 * oh * width
                    var ow = 0
                    while ow + 8 <= outWidth {
                        let upper = UnsafeRawPointer(top + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
                        let lower = UnsafeRawPointer(bottom + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
                        var best = upper.evenHalf
                        let first = laneColumns &+ Int32(rowOffset + 2 * ow)
                        var index = first
                        keepFirstMaximum(&best, &index, upper.oddHalf, first &+ 1)
                        keepFirstMaximum(&best, &index, lower.evenHalf, first &+ Int32(width))
                        keepFirstMaximum(&best, &index, lower.oddHalf, first &+ Int32(width + 1))
                        UnsafeMutableRawPointer(out + oh * outWidth + ow).storeBytes(of: best, as: SIMD8<Float>.self)
                        if let arg { UnsafeMutableRawPointer(arg + oh * outWidth + ow).storeBytes(of: index, as: SIMD8<Int32>.self) }
                        ow += 8
                    }
                    // Four windows at a time; the last group may overlap the previous one (windows are
                    // independent, so the overlap rewrites the same values).
                    while ow < outWidth && outWidth >= 4 {
                        ow = min(ow, outWidth - 4)
                        let upper = UnsafeRawPointer(top + 2 * ow).loadUnaligned(as: SIMD8<Float>.self)
                        let lower = UnsafeRawPointer(bottom + 2 * ow).loadUnaligned(as: SIMD8<Float>.self)
                        var best = upper.evenHalf
                        let first = laneColumns.lowHalf &+ Int32(rowOffset + 2 * ow)
                        var index = first
                        keepFirstMaximum(&best, &index, upper.oddHalf, first &+ 1)
                        keepFirstMaximum(&best, &index, lower.evenHalf, first &+ Int32(width))
                        keepFirstMaximum(&best, &index, lower.oddHalf, first &+ Int32(width + 1))
                        UnsafeMutableRawPointer(out + oh * outWidth + ow).storeBytes(of: best, as: SIMD4<Float>.self)
                        if let arg { UnsafeMutableRawPointer(arg + oh * outWidth + ow).storeBytes(of: index, as: SIMD4<Int32>.self) }
                        ow += 4
                    }
                    for ow in ow..<outWidth {
                        let column = 2 * ow
                        var best = top[column], bestIndex = rowOffset + column
                        let candidates = (top[column + 1], bottom[column], bottom[column + 1])
                        if candidates.0 > best || candidates.0.isNaN && !best.isNaN { best = candidates.0; bestIndex = rowOffset + column + 1 }
                        if candidates.1 > best || candidates.1.isNaN && !best.isNaN { best = candidates.1; bestIndex = rowOffset + width + column }
                        if candidates.2 > best || candidates.2.isNaN && !best.isNaN { best = candidates.2; bestIndex = rowOffset + width + column + 1 }
                        out[oh * outWidth + ow] = best
                        arg?[oh * outWidth + ow] = Int32(bestIndex)
                    }
                }
            }
        }
    }

    /// Lane by lane, takes `candidate` where it beats `best` (or is NaN where `best` is not).
    @inline(__always)
    private static func keepFirstMaximum(_ best: inout SIMD8<Float>, _ index: inout SIMD8<Int32>,
                                         _ candidate: SIMD8<Float>, _ candidateIndex: SIMD8<Int32>) {
        let wins = (candidate .> best) .| ((candidate .!= candidate) .& (best .== best))
        best.replace(with: candidate, where: wins)
        index.replace(with: candidateIndex, where: wins)
    }

    /// `keepFirstMaximum` four lanes wide.
    @inline(__always)
    private static func keepFirstMaximum(_ best: inout SIMD4<Float>, _ index: inout SIMD4<Int32>,
                                         _ candidate: SIMD4<Float>, _ candidateIndex: SIMD4<Int32>) {
        let wins = (candidate .> best) .| ((candidate .!= candidate) .& (best .== best))
        best.replace(with: candidate, where: wins)
        index.replace(with: candidateIndex, where: wins)
    }

    /// Routes each output gradient to the input element that won its window: `dx[argmax] += dout`.
    public static func maxBackward(_ dout: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
                                   _ g: ConvolutionGeometry, addingInto dx: UnsafeMutablePointer<Float>) {
        Parallel.forEach(g.batch * g.channels) { planeIndex in
            let target = dx + planeIndex * g.inputPlane
            let source = dout + planeIndex * g.outputPlane
            let arg = argmax + planeIndex * g.outputPlane
            for index in 0..<g.outputPlane { target[Int(arg[index])] += source[index] }
        }
    }

    /// Mean over each window, padding counted as zeros (PyTorch's `count_include_pad=True`):
    /// every window divides by `kh*kw`.
    public static func averageForward(_ input: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                                      output: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        Parallel.forEach(g.batch * g.channels) { planeIndex in
            let plane = input + planeIndex * g.inputPlane
            let out = output + planeIndex * g.outputPlane
            for oh in 0..<g.outputHeight {
                let h0 = oh * g.stride - g.padding
                let hStart = max(h0, 0), hEnd = min(h0 + g.kernelHeight, g.height)
                for ow in 0..<g.outputWidth {
                    let w0 = ow * g.stride - g.padding
                    let wStart = max(w0, 0), wEnd = min(w0 + g.kernelWidth, g.width)
                    var sum: Float = 0
                    for ih in hStart..<hEnd { for iw in wStart..<wEnd { sum += plane[ih * g.width + iw] } }
                    out[oh * g.outputWidth + ow] = sum * scale
                }
            }
        }
    }

    /// Spreads each output gradient evenly (`/ kh*kw`) over the input elements of its window.
    public static func averageBackward(_ dout: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                                       addingInto dx: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        Parallel.forEach(g.batch * g.channels) { planeIndex in
            let target = dx + planeIndex * g.inputPlane
            let source = dout + planeIndex * g.outputPlane
            for oh in 0..<g.outputHeight {
                let h0 = oh * g.stride - g.padding
                let hStart = max(h0, 0), hEnd = min(h0 + g.kernelHeight, g.height)
                for ow in 0..<g.outputWidth {
                    let w0 = ow * g.stride - g.padding
                    let wStart = max(w0, 0), wEnd = min(w0 + g.kernelWidth, g.width)
                    let share = source[oh * g.outputWidth + ow] * scale
                    for ih in hStart..<hEnd { for iw in wStart..<wEnd { target[ih * g.width + iw] += share } }
                }
            }
        }
    }
}
