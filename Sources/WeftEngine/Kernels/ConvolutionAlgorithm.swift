/// How a convolution is computed. A model chooses it once per layer, when it is built, from the
/// layer's geometry (`best(for:filters:)`), and passes it to every `conv2d` call: there is no
/// global switch.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// Winograd's F(2×2, 3×3) (`Winograd`): 3×3 windows with stride 1, padding at most 2, at least
    /// 8 input and output channels; 16 multiplies per 2×2 output block and channel pair instead of 36.
    case winograd
    /// Each image's im2col matrix times the filters in one sgemm (any geometry).
    case im2col

    /// Winograd where it fits, im2col elsewhere.
    public static func best(for geometry: ConvolutionGeometry, filters: Int) -> ConvolutionAlgorithm {
        Winograd.fits(geometry, filters: filters) ? .winograd : .im2col
    }

    /// Whether this algorithm can compute a convolution of `geometry` with `filters` kernels.
    public func fits(_ geometry: ConvolutionGeometry, filters: Int) -> Bool {
        self == .im2col || Winograd.fits(geometry, filters: filters)
    }

    /// How `weft inspect` names it.
    public var summary: String {
        switch self {
        case .winograd: return "Winograd F(2×2, 3×3)"
        case .im2col: return "im2col + sgemm"
        }
    }
}
