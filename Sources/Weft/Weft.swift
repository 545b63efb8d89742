@_exported import WeftEngine

/// Weft: a convolutional-neural-network trainer for Linux CPUs.
public enum Weft {
    /// The release of this build.
    public static let version = "0.1.0"
}
