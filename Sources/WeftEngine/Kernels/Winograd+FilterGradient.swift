extension Winograd {
    /// Adds the filter gradient of a forward `convolve` to `dw` `[O, I, 3, 3]`, through the same
    /// F(2×2, 3×3) transforms: a tile's output block is `y = Aᵀ (U ⊙ V) A`, so
    /// `∂L/∂U[ξ][o, i] = Σ_t (A dy_t Aᵀ)[ξ][o, t] · V[ξ][i, t]` (16 sgemm calls `[O, T] × [T, I]`
    /// contracting over the tiles) and `∂L/∂g = Gᵀ (∂L/∂U) G` for every filter.
    /// - Parameters:
    ///   - images: the forward input `[N, I, H, W]`.
    ///   - outputGradient: `[N, O, outH, outW]`.
    /// Each thread sums its images' products into its own `[16][O, I]` buffer; the buffers are
    /// added in chunk order, so the result depends on the thread count but never on timing.
    public static func accumulateFilterGradient(
        images: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        batch: Int, inputChannels: Int, outputChannels: Int, _ tiling: Tiling,
        into dw: UnsafeMutablePointer<Float>
    ) {
        let inputSize = inputChannels * tiling.height * tiling.width
        let outputSize = outputChannels * tiling.outputHeight * tiling.outputWidth
        let partialSize = positions * outputChannels * inputChannels
        let partials = TensorStorage(
            count: partialSize * min(max(Parallel.threadCount, 1), max(batch, 1)), repeating: 0)
        let chunks = forEachGroup(
            batch: batch, inputChannels: inputChannels, outputChannels: outputChannels,
            tiling
        ) { chunk, group, buffers in
            let v = buffers.input.pointer, w = buffers.output.pointer, rowStride = group.rowStride
            let partial = partials.pointer + chunk * partialSize
            for image in 0..<group.count {  // in order: a tile row's spill is overwritten by the next
                transformInput(
                    images + (group.first + image) * inputSize, channels: inputChannels, tiling,
                    scratch: buffers.scratch.pointer, into: v + image * tiling.tiles,
                    rowStride: rowStride, positionStride: inputChannels * rowStride)
                transformOutputGradient(
                    dy + (group.first + image) * outputSize, channels: outputChannels, tiling,
                    scratch: buffers.scratch.pointer, into: w + image * tiling.tiles,
                    rowStride: rowStride, positionStride: outputChannels * rowStride)
            }
            for position in 0..<positions {
                Gemm.multiply(
                    transposeB: true, m: outputChannels, n: inputChannels, k: group.columns,
                    a: w + position * outputChannels * rowStride, lda: rowStride,
                    b: v + position * inputChannels * rowStride, ldb: rowStride,
                    beta: 1, c: partial + position * outputChannels * inputChannels, ldc: inputChannels)
            }
        }
        let pairs = outputChannels * inputChannels
        for chunk in 1..<max(chunks, 1) {
            let partial = partials.pointer + chunk * partialSize
            for index in 0..<partialSize { partials.pointer[index] += partial[index] }
        }
        // ∂L/∂g = Gᵀ X G with X[a][b] = ∂L/∂U[4a + b].
        let gradient = partials.pointer
        for pair in 0..<pairs {
            func x(_ position: Int) -> Float { gradient[position * pairs + pair] }
            // Gᵀ X, one column b of X at a time: column b of the [3, 4] result.
            let c0 = applyGTransposed(x(0), x(4), x(8), x(12)), c1 = applyGTransposed(x(1), x(5), x(9), x(13))
            let c2 = applyGTransposed(x(2), x(6), x(10), x(14)), c3 = applyGTransposed(x(3), x(7), x(11), x(15))
            // (Gᵀ X) G, row r: Gᵀ applied to (c0[r], c1[r], c2[r], c3[r]).
            let target = dw + pair * 9
            func add(_ row: (Float, Float, Float), r: Int) {
                target[3 * r] += row.0; target[3 * r + 1] += row.1; target[3 * r + 2] += row.2
            }
            add(applyGTransposed(c0.0, c1.0, c2.0, c3.0), r: 0)
            add(applyGTransposed(c0.1, c1.1, c2.1, c3.1), r: 1)
            add(applyGTransposed(c0.2, c1.2, c2.2, c3.2), r: 2)
        }
    }

    /// `Gᵀ · (z0, z1, z2, z3)` with `Gᵀ = [[1, ½, ½, 0], [0, ½, -½, 0], [0, ½, ½, 1]]`.
    @inline(__always)
    private static func applyGTransposed(_ z0: Float, _ z1: Float, _ z2: Float, _ z3: Float) -> (Float, Float, Float) {
        (z0 + 0.5 * (z1 + z2), 0.5 * (z1 - z2), 0.5 * (z1 + z2) + z3)
    }

    /// `W[ξ][o, t] = (A dy_t Aᵀ)[ξ]` for every channel `o` of one image's output gradient
    /// `[O, outH, outW]` and tile `t` (`dy_t` its 2×2 block, zero where it sticks out), laid out
    /// and spilling as `transformInput`. `A z = (z0, z0 + z1, z0 - z1, -z1)`.
    static func transformOutputGradient(
        _ gradient: UnsafePointer<Float>, channels: Int, _ t: Tiling,
        scratch: UnsafeMutablePointer<Float>, into w: UnsafeMutablePointer<Float>,
        rowStride: Int, positionStride: Int
    ) {
        let outH = t.outputHeight, outW = t.outputWidth, vectors = (t.tileColumns + lanes - 1) / lanes
        let width = 2 * lanes * vectors, padded = scratch  // [2*tileRows, width], zero past the plane
        padded.update(repeating: 0, count: 2 * t.tileRows * width)
        for o in 0..<channels {
            let plane = gradient + o * outH * outW
            for y in 0..<outH { (padded + y * width).update(from: plane + y * outW, count: outW) }
            for tileRow in 0..<t.tileRows {
                let target = w + o * rowStride + tileRow * t.tileColumns
                for vector in 0..<vectors {
                    let top = load16(padded + 2 * tileRow * width + 2 * lanes * vector)
                    let bottom = load16(padded + (2 * tileRow + 1) * width + 2 * lanes * vector)
                    let y00 = top.evenHalf, y01 = top.oddHalf, y10 = bottom.evenHalf, y11 = bottom.oddHalf
                    // A dy: the columns (y0j, y1j) ↦ rows a = 0…3; then A on each row's pair.
                    let p = target + vector * lanes
                    func store(_ left: SIMD8<Float>, _ right: SIMD8<Float>, a: Int) {
                        let row = p + 4 * a * positionStride
                        store8(left, row); store8(left + right, row + positionStride)
                        store8(left - right, row + 2 * positionStride); store8(-right, row + 3 * positionStride)
                    }
                    store(y00, y01, a: 0)
                    store(y00 + y10, y01 + y11, a: 1)
                    store(y00 - y10, y01 - y11, a: 2)
                    store(-y10, -y11, a: 3)
                }
            }
        }
    }
}
