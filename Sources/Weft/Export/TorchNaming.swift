/// The names PyTorch gives a Weft model's tensors: how Weft's dotted names map to the
/// `state_dict()` keys of the equivalent `torch.nn.Sequential`, and back.
///
/// The equivalent PyTorch model has one module per entry of the config's `model.layers`, at the
/// same index: `conv2d` → `nn.Conv2d`, `dense` → `nn.Linear`, `batchNorm` → `nn.BatchNorm2d`
/// (`nn.BatchNorm1d` after a flatten), `maxPool` → `nn.MaxPool2d`, `avgPool` → `nn.AvgPool2d`,
/// `globalAvgPool` → `nn.AdaptiveAvgPool2d(1)`, the activations, `nn.Dropout`, `nn.Flatten`,
/// and `residual` → a module with two children, `body` (an `nn.Sequential` of the block's
/// layers) and `projection` (the 1×1 `nn.Conv2d`, or `None`), whose forward is
/// `body(x) + (projection(x) if projection is not None else x)`. So:
///
/// | Weft | PyTorch |
/// | --- | --- |
/// | `layers.0.weight`, `layers.0.bias` | `0.weight`, `0.bias` |
/// | `layers.1.runningMean` | `1.running_mean` |
/// | `layers.1.runningVariance` | `1.running_var` |
/// | `layers.1.batchesTracked` (float32 `[]`) | `1.num_batches_tracked` (int64 `[]`) |
/// | `layers.3.body.0.weight` | `3.body.0.weight` |
/// | `layers.3.projection.weight` | `3.projection.weight` |
///
/// `Tests/Fixtures/make_torch_interop.py` builds these PyTorch models from the configs.
public enum TorchNaming {
    /// Weft's buffer names and PyTorch's.
    static let bufferNames: [(weft: String, torch: String)] = [
        ("runningMean", "running_mean"), ("runningVariance", "running_var"), ("batchesTracked", "num_batches_tracked")
    ]

    /// The last name component PyTorch gives to Weft's integer-valued buffer.
    public static let countName = "num_batches_tracked"

    /// The PyTorch `state_dict` key of a Weft tensor name: `layers.1.runningMean` → `1.running_mean`.
    public static func torchName(weftName: String) -> String {
        var components = weftName.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if components.first == "layers" { components.removeFirst() }
        if let last = components.last, let mapped = bufferNames.first(where: { $0.weft == last }) {
            components[components.count - 1] = mapped.torch
        }
        return components.joined(separator: ".")
    }

    /// The Weft tensor name of a PyTorch `state_dict` key: `1.running_mean` → `layers.1.runningMean`.
    public static func weftName(torchName: String) -> String {
        var components = torchName.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if let last = components.last, let mapped = bufferNames.first(where: { $0.torch == last }) {
            components[components.count - 1] = mapped.weft
        }
        return (["layers"] + components).joined(separator: ".")
    }

    /// Whether a PyTorch key names an integer buffer (`num_batches_tracked`, int64 in PyTorch).
    public static func isCount(torchName: String) -> Bool {
        torchName == countName || torchName.hasSuffix("." + countName)
    }

    /// The parameters and buffers of `model` under their Weft names, in the order PyTorch's
    /// `state_dict()` lists the equivalent model's: module by module, each module's parameters
    /// (`weight`, `bias`) before its buffers, a residual block's `body` before its `projection`.
    public static func stateDictionaryOrder(_ model: Sequential) -> [NamedParameter] {
        model.layers.enumerated().flatMap { ordered($0.element, prefix: "layers.\($0.offset)") }
    }

    private static func ordered(_ module: Module, prefix: String) -> [NamedParameter] {
        if let residual = module as? Residual {
            let body = residual.body.layers.enumerated().flatMap {
                ordered($0.element, prefix: "\(prefix).body.\($0.offset)")
            }
            return body + (residual.projection.map { ordered($0, prefix: "\(prefix).projection") } ?? [])
        }
        if let sequential = module as? Sequential {
            return sequential.layers.enumerated().flatMap { ordered($0.element, prefix: "\(prefix).\($0.offset)") }
        }
        return (module.parameters + module.buffers).prefixed(prefix)
    }
}
