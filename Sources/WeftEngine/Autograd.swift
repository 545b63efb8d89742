/// The record of one op on the tape: its inputs and how to send its output's gradient back.
final class GradientFunction {
    /// The op's name, for messages.
    let name: String
    /// The tensors the op read that may need gradients.
    let inputs: [Tensor]
    /// Receives the output's gradient (`dout`) and accumulates (`+=`) into the inputs' gradients.
    let backward: (Tensor) -> Void
    /// The profiler scope (layer) that created the op.
    let scope: String

    init(name: String, inputs: [Tensor], backward: @escaping (Tensor) -> Void) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
        self.scope = Profiler.isEnabled ? Profiler.currentScope : ""
    }
}

/// Reverse-mode automatic differentiation.
///
/// Each op run while recording attaches a `GradientFunction` to its output; the graph of those
/// records is the tape. `Tensor.backward()` orders the tape topologically from the loss and runs
/// the backward closures in reverse; gradients accumulate. Inside `withoutRecording` nothing is
/// recorded, ops save nothing for a backward pass and no gradient is allocated.
public enum Autograd {
    /// Whether ops record themselves. Training is driven from one thread; this is not per-thread.
    nonisolated(unsafe) public private(set) static var isRecording = true

    /// Runs `body` with recording off (evaluation, optimiser updates), then restores the mode.
    public static func withoutRecording<Result>(_ body: () throws -> Result) rethrows -> Result {
        let previous = isRecording
        isRecording = false
        defer { isRecording = previous }
        return try body()
    }

    /// Whether an op reading `inputs` must record itself and save what its backward needs.
    @inline(__always)
    static func needsGradient(_ inputs: Tensor?...) -> Bool {
        guard isRecording else { return false }
        return inputs.contains { $0?.requiresGradient == true }
    }
}

extension Tensor {
    /// Attaches the op that made this tensor, when any of `inputs` requires a gradient and
    /// recording is on. `backward` gets this tensor's gradient and must not capture this tensor.
    @discardableResult
    func recorded(_ name: String, inputs: [Tensor?], backward: @escaping (Tensor) -> Void) -> Tensor {
        let live = inputs.compactMap { $0 }.filter { $0.requiresGradient }
        guard Autograd.isRecording, !live.isEmpty else { return self }
        requiresGradient = true
        gradientFunction = GradientFunction(name: name, inputs: live, backward: backward)
        return self
    }

    /// The gradient buffer to accumulate into, created as zeros on first use.
    func gradientForAccumulation() -> UnsafeMutablePointer<Float> {
        if let gradient { return gradient.data }
        let created = Tensor.zeros(shape)
        gradient = created
        return created.data
    }

    /// The gradient buffer for an op that writes every element: when no gradient exists yet it
    /// is created uninitialised and `overwrite` is true (store, do not add, and skip the zero
    /// fill); otherwise the existing buffer, to accumulate into.
    func gradientForWriting() -> (pointer: UnsafeMutablePointer<Float>, overwrite: Bool) {
        if let gradient { return (gradient.data, false) }
        let created = Tensor(uninitializedShape: shape)
        gradient = created
        return (created.data, true)
    }

    /// Sets the accumulated gradient to zero (keeping its buffer).
    public func zeroGradient() {
        if let gradient { gradient.data.update(repeating: 0, count: gradient.count) }
    }

    /// Back-propagates from this scalar (a loss): `d self / d self = 1`.
    public func backward() {
        precondition(count == 1, "backward(): needs a one-element tensor (a loss), got shape \(shape); pass a gradient")
        backward(gradient: Tensor(shape: shape, repeating: 1))
    }

    /// Back-propagates `gradient` (same shape as this tensor) through the recorded graph,
    /// accumulating into every tensor that requires a gradient. Afterwards the graph is released:
    /// intermediate tensors lose their gradient function and gradient, leaves keep their gradient.
    public func backward(gradient seed: Tensor) {
        precondition(seed.shape == shape, "backward(gradient:): gradient \(seed.shape) does not match tensor \(shape)")
        guard requiresGradient else { return }
        let order = topologicalOrder()
        let into = gradientForAccumulation()
        for index in 0..<count { into[index] += seed.data[index] }
        for node in order.reversed() {
            guard let function = node.gradientFunction else { continue }
            if let dout = node.gradient {
                Profiler.backward(function.scope) { function.backward(dout) }
            }
            node.gradientFunction = nil
            node.gradient = nil
        }
    }

    /// The tensors of the graph below this one, every tensor after all of its inputs.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            let inputs = node.gradientFunction?.inputs ?? []
            if next < inputs.count {
                stack.append((node, next + 1))
                let input = inputs[next]
                if visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}
