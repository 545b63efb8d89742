/// How a `conv2d` layer's filters start (`"initialization"`).
public enum ConvolutionInitialization: Equatable, Sendable {
    /// `"default"`: drawn as `torch.nn.Conv2d` draws them (Kaiming-uniform).
    case standard
    /// `"dirac"`: the first min(filters, input channels) filters are the identity
    /// (`Conv2d.setIdentityFilters`), the rest drawn.
    case dirac
    /// `"whitening"` (the model's first layer only, `filters` = 2·C·k·k): the eigenvectors of the
    /// training patches' covariance, scaled by `1/√(λ + epsilon)`, and their negatives
    /// (`PatchWhitening`); `"whiteningEpsilon"`, default 5e-4 as airbench.
    case whitening(epsilon: Double)

    /// The default `whiteningEpsilon`.
    public static let defaultWhiteningEpsilon = 5e-4
    /// The largest patch, `C·k·k`, whitening may decompose (RGB 9×9, 16-channel 4×4): the
    /// covariance's sum and eigendecomposition stay under a second.
    public static let maximumWhiteningPatchSize = 256

    /// Reads `initialization` (and, for whitening, `whiteningEpsilon`) of a conv2d object.
    init(_ object: ConfigObject) throws {
        switch try object.optional("initialization")?.string(oneOf: ["default", "dirac", "whitening"]) {
        case "dirac": self = .dirac
        case "whitening":
            self = .whitening(
                epsilon: try object.optional("whiteningEpsilon")?.double(1e-12...1e6)
                    ?? ConvolutionInitialization.defaultWhiteningEpsilon)
        default: self = .standard
        }
    }

    /// The config members that say it (none for the default).
    var members: [(String, JSONValue)] {
        switch self {
        case .standard: []
        case .dirac: [("initialization", .string("dirac"))]
        case let .whitening(epsilon): [("initialization", .string("whitening")), ("whiteningEpsilon", .number(epsilon))]
        }
    }
}
