extension Pool {
    /// The input gradient of one plane of a 2×2 stride-2 max pooling (`maxPlane2x2`), written in
    /// one pass over the plane instead of a zero fill followed by a scatter:
    /// `dx[i] = base(x[i]) + (i won its window and the gate is open ? scale·dy[window] : 0)`.
    /// - Parameters:
    ///   - dy: the pooled gradient `[H/2, W/2]`; `argmax` the winners `ih*W + iw` (as `maxPlane2x2`).
    ///   - gate: the pooled output; a window passes its gradient only where it is positive (a
    ///     ReLU before the pooling). Nil: every window passes.
    ///   - affine: `base(x) = -slope·(x - center) - shift` from `x` `[H, W]` (batch-norm's statistics
    ///     term, `x` centred first: `batchNormInputGradient`), or nil for `base = 0`.
    ///   - dx: `[H, W]`, overwritten when `overwrite`, else added to. Elements outside every window
    ///     (an odd last row or column) get `base` alone.
    /// Rows of at least eight windows (`W ≥ 16`) go eight windows at a time; narrower planes are
    /// faster as a pass writing `base` and a scatter of the winners. (A plain ReLU + pooling
    /// backward, with no `base` to compute, is as fast as a zero fill and a scatter of a whole
    /// batch: that pass is bound by memory.)
    @inline(__always)
    static func maxGradientPlane2x2(
        _ dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, gate: UnsafePointer<Float>?,
        scale: Float, affine: (x: UnsafePointer<Float>, slope: Float, center: Float, shift: Float)?,
        _ g: ConvolutionGeometry, into dx: UnsafeMutablePointer<Float>, overwrite: Bool
    ) {
        let width = g.width, outWidth = g.outputWidth
        guard outWidth >= 8 else {
            for index in 0..<g.inputPlane {
                let value = affine.map { -$0.slope * ($0.x[index] - $0.center) - $0.shift } ?? 0
                if overwrite { dx[index] = value } else { dx[index] += value }
            }
            for window in 0..<g.outputPlane where gate == nil || gate![window] > 0 {
                dx[Int(argmax[window])] += scale * dy[window]
            }
            return
        }
        let laneColumns = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        let columnLanes = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        for oh in 0..<g.outputHeight {
            let rowOffset = 2 * oh * width, outRow = oh * outWidth
            // Eight windows (sixteen columns of two rows) at a time. The last group of a row may
            // overlap the previous one: overwriting rewrites the same values; adding adds zeros
            // in the lanes already done.
            var done = 0
            while done < outWidth {
                let ow = min(done, outWidth - 8), repeated = done - ow
                var passed = scale * UnsafeRawPointer(dy + outRow + ow).loadUnaligned(as: SIMD8<Float>.self)
                if let gate {
                    let pooled = UnsafeRawPointer(gate + outRow + ow).loadUnaligned(as: SIMD8<Float>.self)
                    passed.replace(with: 0, where: .!(pooled .> 0))
                }
                // Which corner won, 0, 1, W or W+1, as floats (their masks compile to blends).
                let corner = SIMD8<Float>(
                    UnsafeRawPointer(argmax + outRow + ow).loadUnaligned(as: SIMD8<Int32>.self)
                        &- (laneColumns &+ Int32(rowOffset + 2 * ow)))
                var top = SIMD16<Float>(), bottom = SIMD16<Float>()
                top.evenHalf = passed.replacing(with: 0, where: corner .!= 0)
                top.oddHalf = passed.replacing(with: 0, where: corner .!= 1)
                bottom.evenHalf = passed.replacing(with: 0, where: corner .!= Float(width))
                bottom.oddHalf = passed.replacing(with: 0, where: corner .!= Float(width + 1))
                let topIndex = rowOffset + 2 * ow, bottomIndex = topIndex + width
                if let affine {
                    let upper = UnsafeRawPointer(affine.x + topIndex).loadUnaligned(as: SIMD16<Float>.self)
                    let lower = UnsafeRawPointer(affine.x + bottomIndex).loadUnaligned(as: SIMD16<Float>.self)
                    top -= affine.slope * (upper - affine.center) + affine.shift
                    bottom -= affine.slope * (lower - affine.center) + affine.shift
                }
                let topTarget = UnsafeMutableRawPointer(dx + topIndex),
                    bottomTarget = UnsafeMutableRawPointer(dx + bottomIndex)
                if !overwrite {
                    if repeated > 0 {
                        top.replace(with: 0, where: columnLanes .< Float(2 * repeated))
                        bottom.replace(with: 0, where: columnLanes .< Float(2 * repeated))
                    }
                    top += topTarget.loadUnaligned(as: SIMD16<Float>.self)
                    bottom += bottomTarget.loadUnaligned(as: SIMD16<Float>.self)
                }
                topTarget.storeBytes(of: top, as: SIMD16<Float>.self)
                bottomTarget.storeBytes(of: bottom, as: SIMD16<Float>.self)
                done = ow + 8
            }
            if 2 * outWidth < width {  // an odd last column: outside every window
                for index in [rowOffset + width - 1, rowOffset + 2 * width - 1] {
                    let value = affine.map { -$0.slope * ($0.x[index] - $0.center) - $0.shift } ?? 0
                    if overwrite { dx[index] = value } else { dx[index] += value }
                }
            }
        }
        for index in (2 * g.outputHeight * width)..<(g.height * width) {  // an odd last row
            let value = affine.map { -$0.slope * ($0.x[index] - $0.center) - $0.shift } ?? 0
            if overwrite { dx[index] = value } else { dx[index] += value }
        }
    }
}
