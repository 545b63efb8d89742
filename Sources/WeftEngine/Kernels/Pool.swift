/// Max and average pooling loops over NCHW planes; planes are split across threads.
public enum Pool {
    /// Max over each window (padding never wins). Writes `output` `[N, C, outH, outW]` and, when
    /// `argmax` is given, the index within the input plane (`ih*W + iw`) each maximum came from.
    public static func maxForward(
        _ input: UnsafePointer<Float>, _ g: ConvolutionGeometry,
        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?
    ) {
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
                            if value > best || (value.isNaN && !best.isNaN) {
                                best = value; bestIndex = ih * g.width + iw
                            }
                        }
                    }
                    out[oh * g.outputWidth + ow] = best
                    arg?[oh * g.outputWidth + ow] = Int32(bestIndex)
                }
            }
        }
    }

    /// The common 2×2 window with stride 2 and no padding, plane by plane (`maxPlane2x2`).
    private static func maxForward2x2(
        _ input: UnsafePointer<Float>, _ g: ConvolutionGeometry,
        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?
    ) {
        Parallel.forChunks(g.batch * g.channels, grain: 4) { planes in
            for planeIndex in planes {
                maxPlane2x2(
                    input + planeIndex * g.inputPlane, g, output: output + planeIndex * g.outputPlane,
                    argmax: argmax.map { $0 + planeIndex * g.outputPlane })
            }
        }
    }

    /// `max(x * scale + shift, 0)`: a batch-norm channel's affine map and a ReLU, applied to the
    /// values a fused pooling reads; or, not rectifying, the affine map alone (`negation` turns
    /// the max pooling into a min pooling).
    public struct AffineReLU: Sendable {
        public let scale: Float, shift: Float, rectifies: Bool
        public init(scale: Float, shift: Float, rectifies: Bool = true) {
            self.scale = scale; self.shift = shift; self.rectifies = rectifies
        }
        /// `-x`: pooling the largest `-x` finds the smallest `x` (first one, NaN winning, as for the maximum).
        public static let negation = AffineReLU(scale: -1, shift: 0, rectifies: false)
        @inline(__always) func callAsFunction(_ x: Float) -> Float {
            rectifies ? max(x * scale + shift, 0) : x * scale + shift
        }
        @inline(__always) func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> {
            let y = x * scale + shift
            return rectifies ? y.replacing(with: 0, where: y .< 0) : y
        }
        @inline(__always) func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
            let y = x * scale + shift
            return rectifies ? y.replacing(with: 0, where: y .< 0) : y
        }
    }

    /// 2×2 max pooling with stride 2 of one plane `[H, W]` into `[H/2, W/2]`, eight windows at a
    /// time in SIMD lanes (four when a row has fewer than eight; the last group of a row may
    /// overlap the previous one, which rewrites the same values), rows narrower than four windows
    /// one by one; the values first mapped by `transform` when given. Same results as the general
    /// loop: the first maximum in row-major window order wins, NaN wins. `argmax` gets `ih*W + iw`,
    /// and `winnerInputs` (with a transform) the untransformed input value there.
    @inline(__always)
    static func maxPlane2x2(
        _ plane: UnsafePointer<Float>, _ g: ConvolutionGeometry, output out: UnsafeMutablePointer<Float>,
        argmax arg: UnsafeMutablePointer<Int32>?, transform: AffineReLU? = nil,
        winnerInputs: UnsafeMutablePointer<Float>? = nil
    ) {
        let width = g.width, outWidth = g.outputWidth
        let laneColumns = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        for oh in 0..<g.outputHeight {
            let top = plane + 2 * oh * width, bottom = top + width
            let rowOffset = 2 * oh * width, outRow = oh * outWidth
            if outWidth >= 8 {
                var ow = 0
                while ow < outWidth {
                    ow = min(ow, outWidth - 8)
                    let rawUpper = UnsafeRawPointer(top + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
                    let rawLower = UnsafeRawPointer(bottom + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
                    let upper = transform.map { $0(rawUpper) } ?? rawUpper
                    let lower = transform.map { $0(rawLower) } ?? rawLower
                    let first = laneColumns &+ Int32(rowOffset + 2 * ow)
                    // Candidates in row-major order: top left, top right, bottom left, bottom right.
                    var best = upper.evenHalf, index = first, raw = rawUpper.evenHalf
                    var candidate = upper.oddHalf
                    var wins = (candidate .> best) .| ((candidate .!= candidate) .& (best .== best))
                    best.replace(with: candidate, where: wins)
                    index.replace(with: first &+ 1, where: wins)
                    raw.replace(with: rawUpper.oddHalf, where: wins)
                    candidate = lower.evenHalf
                    wins = (candidate .> best) .| ((candidate .!= candidate) .& (best .== best))
                    best.replace(with: candidate, where: wins)
                    index.replace(with: first &+ Int32(width), where: wins)
                    raw.replace(with: rawLower.evenHalf, where: wins)
                    candidate = lower.oddHalf
                    wins = (candidate .> best) .| ((candidate .!= candidate) .& (best .== best))
                    best.replace(with: candidate, where: wins)
                    index.replace(with: first &+ Int32(width + 1), where: wins)
                    raw.replace(with: rawLower.oddHalf, where: wins)
                    UnsafeMutableRawPointer(out + outRow + ow).storeBytes(of: best, as: SIMD8<Float>.self)
                    if let arg {
                        UnsafeMutableRawPointer(arg + outRow + ow).storeBytes(of: index, as: SIMD8<Int32>.self)
                    }
                    if let winnerInputs {
                        UnsafeMutableRawPointer(winnerInputs + outRow + ow).storeBytes(of: raw, as: SIMD8<Float>.self)
                    }
                    ow += 8
                }
            } else if outWidth >= 4 {
                // The same selection four windows wide, written out again: as a shared helper
                // taking its vectors inout, it was called rather than inlined and spilled them to
                // the stack (the 28×28 pooling ran 1.6 times slower).
                var ow = 0
                while ow < outWidth {
                    ow = min(ow, outWidth - 4)
                    let rawUpper = UnsafeRawPointer(top + 2 * ow).loadUnaligned(as: SIMD8<Float>.self)
                    let rawLower = UnsafeRawPointer(bottom + 2 * ow).loadUnaligned(as: SIMD8<Float>.self)
                    let upper = transform.map { $0(rawUpper) } ?? rawUpper
                    let lower = transform.map { $0(rawLower) } ?? rawLower
                    let first = laneColumns.lowHalf &+ Int32(rowOffset + 2 * ow)
                    var best = upper.evenHalf, index = first, raw = rawUpper.evenHalf
                    var candidate = upper.oddHalf
                    var wins = (candidate .> best) .| ((candidate .!= candidate) .& (best .== best))
                    best.replace(with: candidate, where: wins)
                    index.replace(with: first &+ 1, where: wins)
                    raw.replace(with: rawUpper.oddHalf, where: wins)
                    candidate = lower.evenHalf
                    wins = (candidate .> best) .| ((candidate .!= candidate) .& (best .== best))
                    best.replace(with: candidate, where: wins)
                    index.replace(with: first &+ Int32(width), where: wins)
                    raw.replace(with: rawLower.evenHalf, where: wins)
                    candidate = lower.oddHalf
                    wins = (candidate .> best) .| ((candidate .!= candidate) .& (best .== best))
                    best.replace(with: candidate, where: wins)
                    index.replace(with: first &+ Int32(width + 1), where: wins)
                    raw.replace(with: rawLower.oddHalf, where: wins)
                    UnsafeMutableRawPointer(out + outRow + ow).storeBytes(of: best, as: SIMD4<Float>.self)
                    if let arg {
                        UnsafeMutableRawPointer(arg + outRow + ow).storeBytes(of: index, as: SIMD4<Int32>.self)
                    }
                    if let winnerInputs {
                        UnsafeMutableRawPointer(winnerInputs + outRow + ow).storeBytes(of: raw, as: SIMD4<Float>.self)
                    }
                    ow += 4
                }
            } else {
                for ow in 0..<outWidth {
                    let column = 2 * ow
                    var best = -Float.infinity, bestIndex = -1
                    for corner in 0..<4 {  // row-major: top left, top right, bottom left, bottom right
                        let windowIndex = rowOffset + (corner >> 1) * width + column + (corner & 1)
                        var value = plane[windowIndex]
                        if let transform { value = transform(value) }
                        if bestIndex < 0 || value > best || (value.isNaN && !best.isNaN) {
                            best = value; bestIndex = windowIndex
                        }
                    }
                    out[outRow + ow] = best
                    arg?[outRow + ow] = Int32(bestIndex)
                    winnerInputs?[outRow + ow] = plane[bestIndex]
                }
            }
        }
    }

    /// Routes each output gradient to the input element that won its window: `dx[argmax] += dout`.
    public static func maxBackward(
        _ dout: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
        _ g: ConvolutionGeometry, addingInto dx: UnsafeMutablePointer<Float>
    ) {
        Parallel.forEach(g.batch * g.channels) { planeIndex in
            let target = dx + planeIndex * g.inputPlane
            let source = dout + planeIndex * g.outputPlane
            let arg = argmax + planeIndex * g.outputPlane
            for index in 0..<g.outputPlane { target[Int(arg[index])] += source[index] }
        }
    }

    /// Mean over each window, padding counted as zeros (PyTorch's `count_include_pad=True`):
    /// every window divides by `kh*kw`.
    public static func averageForward(
        _ input: UnsafePointer<Float>, _ g: ConvolutionGeometry,
        output: UnsafeMutablePointer<Float>
    ) {
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
    public static func averageBackward(
        _ dout: UnsafePointer<Float>, _ g: ConvolutionGeometry,
        addingInto dx: UnsafeMutablePointer<Float>
    ) {
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
