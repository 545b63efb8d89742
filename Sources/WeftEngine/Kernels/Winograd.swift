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

    /// Whether a convolution runs through Winograd: 3×3 window, stride 1, padding 0…2, and enough
    /// channels on both sides for the per-position products to be worth an sgemm.
    public static func applies(to g: ConvolutionGeometry, filters: Int) -> Bool {
        isEnabled && g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding <= 2
            && g.channels >= minimumChannels && filters >= minimumChannels
    }

    /// Switches Winograd off (for comparisons); the convolutions then take im2col + sgemm.
    nonisolated(unsafe) public static var isEnabled = true

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
        /// The zero-padded copy of an input plane every tile reads from: `[2*tileRows + 2, 2*tileColumns + 2]`.
        var paddedHeight: Int { 2 * tileRows + 2 }
        var paddedWidth: Int { 2 * tileColumns + 2 }

        /// A 3×3 stride-1 window over a `height × width` plane zero-padded by `padding`.
        public init(height: Int, width: Int, padding: Int) {
            precondition(padding >= 0 && height + 2 * padding >= 3 && width + 2 * padding >= 3,
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
    public static func transformFilters(_ weight: UnsafePointer<Float>, filters: Int, channels: Int,
                                        flippedAndTransposed: Bool, into u: UnsafeMutablePointer<Float>) {
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

    /// Convolves `images` `[N, I, H, W]` with transformed filters `u` `[16][O, I]` into
    /// `output` `[N, O, outH, outW]`: written as `bias + convolution` (bias `[O]` or nil), or added
    /// onto what `output` holds when `accumulate`. Images are split across the engine's threads in
    /// a fixed partition; each thread transforms a group of its images at a time, runs the 16
    /// products on its own and transforms the results back.
    public static func convolve(_ images: UnsafePointer<Float>, batch: Int, inputChannels: Int, outputChannels: Int,
                                _ tiling: Tiling, filters u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                accumulate: Bool, into output: UnsafeMutablePointer<Float>) {
        let inputSize = inputChannels * tiling.height * tiling.width
        let outputSize = outputChannels * tiling.outputHeight * tiling.outputWidth
        let groupSize = max(1, targetColumns / tiling.tiles)
        Parallel.forChunksWithOwnGemms(batch) { _, range in
            let columnsCapacity = min(groupSize, range.count) * tiling.tiles
            let v = TensorStorage(uninitializedCount: positions * inputChannels * columnsCapacity)   // [16][I, cols]
            let m = TensorStorage(uninitializedCount: positions * outputChannels * columnsCapacity)  // [16][O, cols]
            let scratch = TensorStorage(uninitializedCount: tiling.paddedHeight * tiling.paddedWidth + 4 * tiling.paddedWidth)
            var first = range.lowerBound
            while first < range.upperBound {
                let count = min(groupSize, range.upperBound - first), columns = count * tiling.tiles
                for image in 0..<count {
                    transformInput(images + (first + image) * inputSize, channels: inputChannels, tiling,
                                   scratch: scratch.pointer, into: v.pointer + image * tiling.tiles,
                                   rowStride: columns, positionStride: inputChannels * columns)
                }
                for position in 0..<positions {
                    Gemm.multiply(m: outputChannels, n: columns, k: inputChannels,
                                  a: u + position * outputChannels * inputChannels, lda: inputChannels,
                                  b: v.pointer + position * inputChannels * columns, ldb: columns,
                                  c: m.pointer + position * outputChannels * columns, ldc: columns)
                }
                for image in 0..<count {
                    transformOutput(m.pointer + image * tiling.tiles, channels: outputChannels, tiling,
                                    rowStride: columns, positionStride: outputChannels * columns, bias: bias,
                                    accumulate: accumulate, into: output + (first + image) * outputSize)
                }
                first += count
            }
        }
    }

    /// Tile columns per group of images (the `T` of the products): wide enough for sgemm to run
    /// near its peak, small enough for a group's transformed tiles to stay in the core's cache.
    static let targetColumns = 196

    /// `V[ξ][c, t] = (Bᵀ d_t B)[ξ]` for every channel `c` of one image `[I, H, W]` and tile `t`;
    /// `v` points at the image's first column, `rowStride` separates channels, `positionStride` positions.
    /// `scratch` holds the zero-padded plane and four transformed rows.
    static func transformInput(_ image: UnsafePointer<Float>, channels: Int, _ t: Tiling,
                               scratch: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>,
                               rowStride: Int, positionStride: Int) {
        let pw = t.paddedWidth, padded = scratch, rows = scratch + t.paddedHeight * pw
        padded.update(repeating: 0, count: t.paddedHeight * pw)
        let copiedRows = max(0, min(t.height, t.paddedHeight - t.padding))
        let copiedColumns = max(0, min(t.width, pw - t.padding))
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
                transformColumns(r0, tiles: t.tileColumns, into: target, positionStride: positionStride)
                transformColumns(r1, tiles: t.tileColumns, into: target + 4 * positionStride, positionStride: positionStride)
                transformColumns(r2, tiles: t.tileColumns, into: target + 8 * positionStride, positionStride: positionStride)
                transformColumns(r3, tiles: t.tileColumns, into: target + 12 * positionStride, positionStride: positionStride)
            }
        }
    }

    /// `(r B)` for one row `r` of `Bᵀ d`, every tile: the four values of tile `t` go to
    /// `target[b * positionStride + t]`.
    @inline(__always)
    private static func transformColumns(_ r: UnsafePointer<Float>, tiles: Int, into target: UnsafeMutablePointer<Float>,
                                         positionStride: Int) {
        let t0 = target, t1 = t0 + positionStride, t2 = t1 + positionStride, t3 = t2 + positionStride
        for tile in 0..<tiles {
            let x = 2 * tile
            t0[tile] = r[x] - r[x + 2]; t1[tile] = r[x + 1] + r[x + 2]
            t2[tile] = r[x + 2] - r[x + 1]; t3[tile] = r[x + 1] - r[x + 3]
        }
    }

    /// `y_t = Aᵀ m_t A` for every output channel `o` and tile `t`, written into one image's
    /// output `[O, outH, outW]` as `bias[o] + y` or added onto it (`accumulate`).
    static func transformOutput(_ m: UnsafePointer<Float>, channels: Int, _ t: Tiling, rowStride: Int,
                                positionStride: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                                into output: UnsafeMutablePointer<Float>) {
        let outH = t.outputHeight, outW = t.outputWidth, fullColumns = outW / 2
        for o in 0..<channels {
            let offset = bias?[o] ?? 0, plane = output + o * outH * outW
            for tileRow in 0..<t.tileRows {
                let p0 = m + o * rowStride + tileRow * t.tileColumns, p1 = p0 + positionStride, p2 = p1 + positionStride
                let p3 = p2 + positionStride, p4 = p3 + positionStride, p5 = p4 + positionStride
                let p6 = p5 + positionStride, p7 = p6 + positionStride, p8 = p7 + positionStride
                let p9 = p8 + positionStride, p10 = p9 + positionStride, p11 = p10 + positionStride
                let p12 = p11 + positionStride, p13 = p12 + positionStride, p14 = p13 + positionStride
                let p15 = p14 + positionStride
                let y0 = plane + 2 * tileRow * outW, hasSecondRow = 2 * tileRow + 1 < outH, y1 = y0 + outW
                for tile in 0..<t.tileColumns {
                    // Aᵀ m: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (rows a of m), then the same on columns.
                    let s00 = p0[tile] + p4[tile] + p8[tile], s01 = p1[tile] + p5[tile] + p9[tile]
                    let s02 = p2[tile] + p6[tile] + p10[tile], s03 = p3[tile] + p7[tile] + p11[tile]
                    let s10 = p4[tile] - p8[tile] - p12[tile], s11 = p5[tile] - p9[tile] - p13[tile]
                    let s12 = p6[tile] - p10[tile] - p14[tile], s13 = p7[tile] - p11[tile] - p15[tile]
                    let x = 2 * tile, hasSecondColumn = tile < fullColumns
                    let a00 = s00 + s01 + s02, a01 = s01 - s02 - s03
                    let a10 = s10 + s11 + s12, a11 = s11 - s12 - s13
                    if accumulate {
                        y0[x] += a00; if hasSecondColumn { y0[x + 1] += a01 }
                        if hasSecondRow { y1[x] += a10; if hasSecondColumn { y1[x + 1] += a11 } }
                    } else {
                        y0[x] = offset + a00; if hasSecondColumn { y0[x + 1] = offset + a01 }
                        if hasSecondRow { y1[x] = offset + a10; if hasSecondColumn { y1[x + 1] = offset + a11 } }
                    }
                }
            }
        }
    }
}
