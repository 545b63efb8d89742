/// A tensor saved under a name, which the model's parameter or buffer of that name is loaded from:
/// a checkpoint's, an export's or a PyTorch file's.
public protocol SavedWeight {
    var name: String { get }
    var shape: [Int] { get }
    /// `[shape.reduce(1, *)]` row-major float32 values.
    var values: [Float] { get }
}

/// One way in which a set of saved tensors does not fit a model. Names are the saved set's.
public enum WeightMismatch: Equatable, Sendable {
    /// The model needs `name` with `shape`; nothing is saved under it.
    case missing(name: String, shape: [Int])
    /// `name` is saved with shape `saved`; the model needs `needed`.
    case wrongShape(name: String, saved: [Int], needed: [Int])
    /// `name` (of `shape`) is saved but belongs to no parameter or buffer of the model.
    case unexpected(name: String, shape: [Int])
}

/// Saved tensors matched to a model's parameters and buffers strictly, as PyTorch's
/// `load_state_dict(strict=True)`: every target needs a saved tensor of its name and shape, and
/// every saved tensor a target. The one path by which weights enter a model: checkpoints
/// (`Trainer.restore`, `TrainedModel(checkpoint:)`) and the PyTorch import use it.
///
/// Matching changes nothing; `copy()` copies once the caller has checked `mismatches` (and
/// anything else it requires), so a refused file leaves the model as it was.
public struct WeightMatch<Saved: SavedWeight> {
    /// Every mismatch: the targets' in target order, then the saved tensors no target wants.
    public let mismatches: [WeightMismatch]
    /// Each fitting target with its saved tensor, in target order.
    public let pairs: [(target: NamedParameter, saved: Saved)]

    /// - Parameters:
    ///   - targets: the model's parameters and buffers.
    ///   - saved: the saved tensors; of several with one name the first counts.
    ///   - savedName: the name a target has in the saved set (PyTorch's for an import).
    public init(targets: [NamedParameter], saved: [Saved], savedName: (String) -> String = { $0 }) {
        var byName: [String: Saved] = [:]
        for tensor in saved where byName[tensor.name] == nil { byName[tensor.name] = tensor }
        var mismatches: [WeightMismatch] = []
        var pairs: [(target: NamedParameter, saved: Saved)] = []
        var wanted = Set<String>()
        for target in targets {
            let name = savedName(target.name), needed = target.tensor.shape.dimensions
            wanted.insert(name)
            guard let tensor = byName[name] else {
                mismatches.append(.missing(name: name, shape: needed))
                continue
            }
            if tensor.shape == needed {
                pairs.append((target, tensor))
            } else {
                mismatches.append(.wrongShape(name: name, saved: tensor.shape, needed: needed))
            }
        }
        for tensor in saved where !wanted.contains(tensor.name) {
            mismatches.append(.unexpected(name: tensor.name, shape: tensor.shape))
        }
        self.mismatches = mismatches
        self.pairs = pairs
    }

    /// Copies every saved tensor into its target. Call it only when `mismatches` is empty.
    public func copy() {
        precondition(mismatches.isEmpty, "WeightMatch.copy: the saved tensors do not fit the model")
        for (target, saved) in pairs {
            saved.values.withUnsafeBufferPointer { values in
                guard let base = values.baseAddress else { return }
                target.tensor.data.update(from: base, count: min(values.count, target.tensor.count))
            }
        }
    }
}
