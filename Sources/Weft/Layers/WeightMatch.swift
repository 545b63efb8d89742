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

/// Saved tensors matched to a model's parameters and buffers by name and shape. The one path by
/// which weights enter a model: checkpoints (`Trainer.restore`, `TrainedModel(checkpoint:)`), the
/// PyTorch import and fine-tuning's initial weights (`InitialWeights`) use it.
///
/// - `.strict` (the default), as PyTorch's `load_state_dict(strict=True)`: every target needs a
///   saved tensor of its name and shape, and every saved tensor a target; `copy()` only when
///   `mismatches` is empty.
/// - `.partial`, for fine-tuning: the fitting pairs are copied (`matched`), the targets without a
///   saved tensor of their shape keep their values (`left`), the saved tensors no target wants
///   are ignored (`unused`); `copy()` may run whatever the mismatches.
///
/// Matching changes nothing; `copy()` copies once the caller has checked `mismatches` (and
/// anything else it requires), so a refused file leaves the model as it was.
public struct WeightMatch<Saved: SavedWeight> {
    /// Whether every tensor must fit (`strict`) or the fitting ones are enough (`partial`).
    public enum Mode: Sendable {
        case strict, partial
    }

    public let mode: Mode
    /// Every mismatch: the targets' in target order, then the saved tensors no target wants.
    public let mismatches: [WeightMismatch]
    /// Each fitting target with its saved tensor, in target order.
    public let pairs: [(target: NamedParameter, saved: Saved)]

    /// - Parameters:
    ///   - targets: the model's parameters and buffers.
    ///   - saved: the saved tensors; of several with one name the first counts.
    ///   - savedName: the name a target has in the saved set (PyTorch's for an import).
    ///   - mode: `.strict` (every tensor must fit) or `.partial` (see the type's summary).
    public init(
        targets: [NamedParameter], saved: [Saved], savedName: (String) -> String = { $0 }, mode: Mode = .strict
    ) {
        self.mode = mode
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

    /// The targets that get a saved tensor, in target order.
    public var matched: [NamedParameter] { pairs.map(\.target) }

    /// The targets that keep their values: no saved tensor of their name (`missing`) or one of
    /// another shape (`wrongShape`), in target order.
    public var left: [WeightMismatch] {
        mismatches.filter {
            if case .unexpected = $0 { return false }
            return true
        }
    }

    /// The saved tensors that no target wants (`unexpected`), in saved order.
    public var unused: [WeightMismatch] {
        mismatches.filter {
            if case .unexpected = $0 { return true }
            return false
        }
    }

    /// Copies every saved tensor of `pairs` into its target. In `.strict` mode call it only when
    /// `mismatches` is empty; in `.partial` mode the other targets keep their values.
    public func copy() {
        precondition(
            mode == .partial || mismatches.isEmpty, "WeightMatch.copy: the saved tensors do not fit the model")
        for (target, saved) in pairs {
            saved.values.withUnsafeBufferPointer { values in
                guard let base = values.baseAddress else { return }
                target.tensor.data.update(from: base, count: min(values.count, target.tensor.count))
            }
        }
    }
}
