/// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
/// Neural Networks", 2016) for 3×3 convolutions with stride 1: every 2×2 block of the output is
/// computed from a 4×4 tile of the input with 16 multiply-adds per channel pair instead of 36.
///
/// With the 16 positions of a transformed tile numbered `ξ = 4·a + b`:
/// - filters: `U[ξ] = (G g Gᵀ)[a][b]`, one `[O, I]` matrix per position (`O` output, `I` input channels);
/// - input: `V[ξ] = (Bᵀ d Bᵀᵀ)[a][b]` for every 4×4 input tile `d`, one `[I, T]` matrix per position
///   (`T` tiles, side by side for a group of images);
/// - products: `M[ξ] = U[ξ] · V[ξ]`, 16 sgemm calls `[O, I] × [I, T]`;
/// - output: `y = Aᵀ m A` for every tile, `m` `[4, 4]` gathered from `M[·][o, t]`, `y` the 2×2 block.
///
/// `Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]`,
/// `G = [[1, 0, 0], [½, ½, ½], [½, -½, ½], [0, 0, 1]]`, `Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]]`.
///
/// The input gradient of a stride-1 3×3 convolution is itself one (of the output gradient with
/// the filters flipped and their channels swapped, padding `2 - p`), so it runs through the same
/// kernel (`transformFilters(flippedAndTransposed: true)`).
public enum Winograd {
    /// Positions of a transformed 4×4 tile.
    public static let positions = 16

    /// Whether Winograd can take a convolution (`ConvolutionAlgorithm.winograd`): 3×3 window,
    /// stride 1, padding 0…2, and enough channels on both sides for the per-position products to
    /// be worth an sgemm.
    public static func fits(_ g: ConvolutionGeometry, filters: Int) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding <= 2
            && g.channels >= minimumChannels && filters >= minimumChannels
    }

    /// Below this many input or output channels the products are too thin for sgemm.
    static let minimumChannels = 8

    /// The tiles of one plane: 2×2 output blocks covering `outputHeight × outputWidth` (the last
    /// row or column of blocks may stick out by one; those outputs are not written).
    public struct Tiling: Equatable, Sendable {
        public let height: Int, width: Int, padding: Int
        public let outputHeight: Int, outputWidth: Int
        public let tileRows: Int, tileColumns: Int
        /// Tiles per plane: `tileRows * tileColumns`.
        public var tiles: Int { tileRows * tileColumns }
        /// The zero-padded copy of an input plane every tile reads from: `[2*tileRows + 2, scratchWidth]`
        /// (wide enough for the last vector of 8 tiles of a row, which reads 18 columns).
        var paddedHeight: Int { 2 * tileRows + 2 }
        var scratchWidth: Int { 2 * Winograd.lanes * ((tileColumns + Winograd.lanes - 1) / Winograd.lanes) + 2 }
        /// Floats of a thread's scratch: the padded plane and four transformed rows for the input,
        /// reused as the `[2*tileRows, scratchWidth]` plane of the output transform.
        var scratchCount: Int { (paddedHeight + 4) * scratchWidth }

        /// A 3×3 stride-1 window over a `height × width` plane zero-padded by `padding`.
        public init(height: Int, width: Int, padding: Int) {
            precondition(
                padding >= 0 && height + 2 * padding >= 3 && width + 2 * padding >= 3,
                "Winograd.Tiling: a 3×3 window does not fit \(height)×\(width) with padding \(padding)")
            self.height = height; self.width = width; self.padding = padding
            outputHeight = height + 2 * padding - 2; outputWidth = width + 2 * padding - 2
            tileRows = (outputHeight + 1) / 2; tileColumns = (outputWidth + 1) / 2
        }
    }

    /// Transforms filters for `convolve`: `u` `[16][O, I]`.
    /// - Parameters:
    ///   - weight: `[F, C, 3, 3]`.
    ///   - flippedAndTransposed: false for the forward convolution (`O = F`, `I = C`, filter
    ///     `(o, i)` = `weight[o, i]`); true for the input gradient (`O = C`, `I = F`, filter
    ///     `(o, i)` = `weight[i, o]` rotated by 180°).
    public static func transformFilters(
        _ weight: UnsafePointer<Float>, filters: Int, channels: Int,
        flippedAndTransposed: Bool, into u: UnsafeMutablePointer<Float>
    ) {
        let outputs = flippedAndTransposed ? channels : filters, inputs = flippedAndTransposed ? filters : channels
        let positionStride = outputs * inputs
        for o in 0..<outputs {
            for i in 0..<inputs {
                let g = flippedAndTransposed ? weight + (i * channels + o) * 9 : weight + (o * channels + i) * 9
                // The filter as applied, row-major (rotated by 180° when flipped).
                func k(_ index: Int) -> Float { flippedAndTransposed ? g[8 - index] : g[index] }
                // G k, one column of k at a time: c_s[a] = (G k)[a][s].
                let c0 = applyG(k(0), k(3), k(6)), c1 = applyG(k(1), k(4), k(7)), c2 = applyG(k(2), k(5), k(8))
                // (G k) Gᵀ, row a: G applied to (c0[a], c1[a], c2[a]).
                let target = u + o * inputs + i
                func store(_ row: (Float, Float, Float, Float), a: Int) {
                    target[(4 * a) * positionStride] = row.0
                    target[(4 * a + 1) * positionStride] = row.1
                    target[(4 * a + 2) * positionStride] = row.2
                    target[(4 * a + 3) * positionStride] = row.3
                }
                store(applyG(c0.0, c1.0, c2.0), a: 0); store(applyG(c0.1, c1.1, c2.1), a: 1)
                store(applyG(c0.2, c1.2, c2.2), a: 2); store(applyG(c0.3, c1.3, c2.3), a: 3)
            }
        }
    }

    /// `G · (x0, x1, x2)`.
    @inline(__always)
    private static func applyG(_ x0: Float, _ x1: Float, _ x2: Float) -> (Float, Float, Float, Float) {
        (x0, 0.5 * (x0 + x1 + x2), 0.5 * (x0 - x1 + x2), x2)
    }

    /// How the 16 per-position products multiply: float32 sgemm, or bfloat16 operands with
    /// float32 sums (`BFloat16Products`, on CPUs with AVX-512 BF16).
    public enum Products: Sendable { case float32, bfloat16 }

    /// Convolves `images` `[N, I, H, W]` with transformed filters `u` `[16][O, I]` into
    /// `output` `[N, O, outH, outW]`: written as `bias + convolution` (bias `[O]` or nil), or added
    /// onto what `output` holds when `accumulate`. Images are split across the engine's threads in
    /// a fixed partition; each thread transforms a group of its images at a time, runs the 16
    /// products on its own (`products`: in float32, or with both operands rounded to bfloat16)
    /// and transforms the results back.
    public static func convolve(
        _ images: UnsafePointer<Float>, batch: Int, inputChannels: Int, outputChannels: Int,
        _ tiling: Tiling, filters u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        products: Products = .float32, accumulate: Bool, into output: UnsafeMutablePointer<Float>
    ) {
        let inputSize = inputChannels * tiling.height * tiling.width
        let outputSize = outputChannels * tiling.outputHeight * tiling.outputWidth
        // bfloat16: the filters packed once for all threads, `[16][packedCount(rows: O, depth: I)]`.
        let bfloat16 = products == .bfloat16
        let filterWords = bfloat16 ? BFloat16Products.packedCount(rows: outputChannels, depth: inputChannels) : 0
        let packedFilters = bfloat16 ? TensorStorage(uninitializedCount: positions * filterWords) : nil
        if let packedFilters {
            Parallel.forEach(positions) { position in
                BFloat16Products.packA(
                    u + position * outputChannels * inputChannels, rows: outputChannels, depth: inputChannels,
                    lda: inputChannels, into: packedFilters.pointer + position * filterWords)
            }
        }
        forEachGroup(
            batch: batch, inputChannels: inputChannels, outputChannels: outputChannels, tiling,
            packsTiles: bfloat16
        ) { _, group, buffers in
            let v = buffers.input.pointer, m = buffers.output.pointer, rowStride = group.rowStride
            for image in 0..<group.count {  // in order: a tile row's spill is overwritten by the next
                transformInput(
                    images + (group.first + image) * inputSize, channels: inputChannels, tiling,
                    scratch: buffers.scratch.pointer, into: v + image * tiling.tiles,
                    rowStride: rowStride, positionStride: inputChannels * rowStride)
            }
            if let packedFilters, let packedTiles = buffers.packedTiles {
                for position in 0..<positions {
                    BFloat16Products.packB(
                        v + position * inputChannels * rowStride, depth: inputChannels, columns: group.columns,
                        ldb: rowStride, into: packedTiles.pointer)
                    BFloat16Products.multiply(
                        rows: outputChannels, columns: group.columns, depth: inputChannels,
                        a: packedFilters.pointer + position * filterWords, b: packedTiles.pointer,
                        c: m + position * outputChannels * rowStride, ldc: rowStride)
                }
            } else {
                for position in 0..<positions {
                    Gemm.multiply(
                        m: outputChannels, n: group.columns, k: inputChannels,
                        a: u + position * outputChannels * inputChannels, lda: inputChannels,
                        b: v + position * inputChannels * rowStride, ldb: rowStride,
                        c: m + position * outputChannels * rowStride, ldc: rowStride)
                }
            }
            for image in 0..<group.count {
                transformOutput(
                    m + image * tiling.tiles, channels: outputChannels, tiling,
                    rowStride: rowStride, positionStride: outputChannels * rowStride, bias: bias,
                    accumulate: accumulate, scratch: buffers.scratch.pointer,
                    into: output + (group.first + image) * outputSize)
            }
        }
    }

    /// Some consecutive images of one thread, transformed together: `columns` tiles side by side
    /// in rows of `rowStride = columns + lanes` (spare columns the vector loads and stores may run over).
    struct ImageGroup { let first: Int, count: Int, columns: Int, rowStride: Int }

    /// A thread's buffers for its groups: `input` `[16][I, rowStride]`, `output` `[16][O, rowStride]`
    /// (zero-filled once), the transforms' scratch (`Tiling.scratchCount`) and, for bfloat16
    /// products, one position's input tiles packed for `BFloat16Products.multiply`.
    struct GroupBuffers {
        let input: TensorStorage, output: TensorStorage, scratch: TensorStorage
        let packedTiles: TensorStorage?
    }

    /// Splits the images across the engine's threads (fixed partition) and runs `body` on each
    /// thread's images in groups of up to `targetColumns / tiles`, in order, with that thread's
    /// buffers (with `packsTiles`, room for a group's tiles packed as bfloat16). Returns the
    /// number of chunks (for per-chunk partial sums).
    @discardableResult
    static func forEachGroup(
        batch: Int, inputChannels: Int, outputChannels: Int, _ tiling: Tiling, packsTiles: Bool = false,
        _ body: (_ chunk: Int, _ group: ImageGroup, _ buffers: GroupBuffers) -> Void
    ) -> Int {
        let groupSize = max(1, targetColumns / tiling.tiles)
        return Parallel.forChunksWithOwnGemms(batch) { chunk, range in
            let columnCapacity = min(groupSize, range.count) * tiling.tiles, rowCapacity = columnCapacity + lanes
            let buffers = GroupBuffers(
                input: TensorStorage(count: positions * inputChannels * rowCapacity, repeating: 0),
                output: TensorStorage(count: positions * outputChannels * rowCapacity, repeating: 0),
                scratch: TensorStorage(count: tiling.scratchCount, repeating: 0),
                packedTiles: packsTiles
                    ? TensorStorage(
                        uninitializedCount: BFloat16Products.packedCount(depth: inputChannels, columns: columnCapacity))
                    : nil)
            var first = range.lowerBound
            while first < range.upperBound {
                let count = min(groupSize, range.upperBound - first), columns = count * tiling.tiles
                body(
                    chunk, ImageGroup(first: first, count: count, columns: columns, rowStride: columns + lanes), buffers
                )
                first += count
            }
        }
    }

    /// Tile columns per group of images (the `T` of the products): wide enough for sgemm to run
    /// near its peak, small enough for a group's transformed tiles to stay in the core's cache.
    static let targetColumns = 196

    /// Tiles transformed at once (one `SIMD8` per position).
    static let lanes = 8

    /// `V[ξ][c, t] = (Bᵀ d_t B)[ξ]` for every channel `c` of one image `[I, H, W]` and tile `t`;
    /// `v` points at the image's first column, `rowStride` separates channels, `positionStride`
    /// positions. Tiles go 8 at a time: a tile row's last vector writes up to 7 columns past the
    /// row, which the next tile row or image overwrites, or which land in the `lanes` spare
    /// columns of every row. `scratch` (`tiling.scratchCount`) holds the zero-padded plane and
    /// four transformed rows.
    static func transformInput(
        _ image: UnsafePointer<Float>, channels: Int, _ t: Tiling,
        scratch: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>,
        rowStride: Int, positionStride: Int
    ) {
        let pw = t.scratchWidth, padded = scratch, rows = scratch + t.paddedHeight * pw
        padded.update(repeating: 0, count: t.paddedHeight * pw)
        let copiedRows = max(0, min(t.height, t.paddedHeight - t.padding))
        let copiedColumns = max(0, min(t.width, pw - t.padding))
        let vectors = (t.tileColumns + lanes - 1) / lanes
        for c in 0..<channels {
            let plane = image + c * t.height * t.width
            for row in 0..<copiedRows {
                (padded + (row + t.padding) * pw + t.padding).update(from: plane + row * t.width, count: copiedColumns)
            }
            let r0 = rows, r1 = rows + pw, r2 = rows + 2 * pw, r3 = rows + 3 * pw
            for tileRow in 0..<t.tileRows {
                let d0 = padded + 2 * tileRow * pw, d1 = d0 + pw, d2 = d1 + pw, d3 = d2 + pw
                for x in 0..<pw {  // Bᵀ d: the rows
                    r0[x] = d0[x] - d2[x]; r1[x] = d1[x] + d2[x]; r2[x] = d2[x] - d1[x]; r3[x] = d1[x] - d3[x]
                }
                let target = v + c * rowStride + tileRow * t.tileColumns
                for vector in 0..<vectors {
                    let offset = vector * lanes
                    transformColumns(r0 + 2 * offset, into: target + offset, positionStride: positionStride)
                    transformColumns(
                        r1 + 2 * offset, into: target + 4 * positionStride + offset, positionStride: positionStride)
                    transformColumns(
                        r2 + 2 * offset, into: target + 8 * positionStride + offset, positionStride: positionStride)
                    transformColumns(
                        r3 + 2 * offset, into: target + 12 * positionStride + offset, positionStride: positionStride)
                }
            }
        }
    }

    /// `(r B)` for one row `r` of `Bᵀ d` and 8 tiles: tile `j` reads `r[2j ..< 2j+4]`; its four
    /// values go to `target[b * positionStride + j]`.
    @inline(__always)
    private static func transformColumns(
        _ r: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
        positionStride: Int
    ) {
        let here = load16(r), shifted = load16(r + 2)
        let even = here.evenHalf, odd = here.oddHalf, nextEven = shifted.evenHalf, nextOdd = shifted.oddHalf
        store8(even - nextEven, target)
        store8(odd + nextEven, target + positionStride)
        store8(nextEven - odd, target + 2 * positionStride)
        store8(odd - nextOdd, target + 3 * positionStride)
    }

    /// `y_t = Aᵀ m_t A` for every output channel `o` and tile `t`, written into one image's
    /// output `[O, outH, outW]` as `bias[o] + y` or added onto it (`accumulate`). Tiles go 8 at a
    /// time into a plane of `scratch` whose rows are wide enough for whole vectors (loads run up to
    /// 7 columns past a tile row, into the next one or the spare columns); the valid part is then
    /// copied (or added) into the output.
    static func transformOutput(
        _ m: UnsafePointer<Float>, channels: Int, _ t: Tiling, rowStride: Int,
        positionStride: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
        scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>
    ) {
        let outH = t.outputHeight, outW = t.outputWidth, vectors = (t.tileColumns + lanes - 1) / lanes
        let width = 2 * lanes * vectors  // of a scratch row
        for o in 0..<channels {
            let offset = SIMD8<Float>(repeating: accumulate ? 0 : bias?[o] ?? 0), plane = output + o * outH * outW
            for tileRow in 0..<t.tileRows {
                let row = m + o * rowStride + tileRow * t.tileColumns
                for vector in 0..<vectors {
                    let p = row + vector * lanes
                    // m_ξ of the 8 tiles
                    func m(_ position: Int) -> SIMD8<Float> { load8(p + position * positionStride) }
                    // Aᵀ m: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (rows a of m), then the same on columns.
                    let s00 = m(0) + m(4) + m(8), s01 = m(1) + m(5) + m(9)
                    let s02 = m(2) + m(6) + m(10), s03 = m(3) + m(7) + m(11)
                    let s10 = m(4) - m(8) - m(12), s11 = m(5) - m(9) - m(13)
                    let s12 = m(6) - m(10) - m(14), s13 = m(7) - m(11) - m(15)
                    var top = SIMD16<Float>(), bottom = SIMD16<Float>()
                    top.evenHalf = offset + s00 + s01 + s02; top.oddHalf = offset + s01 - s02 - s03
                    bottom.evenHalf = offset + s10 + s11 + s12; bottom.oddHalf = offset + s11 - s12 - s13
                    let y0 = scratch + 2 * tileRow * width + 2 * lanes * vector
                    store16(top, y0); store16(bottom, y0 + width)
                }
            }
            for y in 0..<outH {
                let source = scratch + y * width, target = plane + y * outW
                if accumulate {
                    for x in 0..<outW { target[x] += source[x] }
                } else {
                    target.update(from: source, count: outW)
                }
            }
        }
    }

    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func store8(_ value: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<Float>.self)
    }
    @inline(__always) static func store16(_ value: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD16<Float>.self)
    }
}
