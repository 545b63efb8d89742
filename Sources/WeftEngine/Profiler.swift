import Dispatch
import Foundation

/// Time spent per layer, forward and backward, while enabled (`weft bench --profile`).
///
/// Modules mark the scope they run in (`Profiler.scope`); each recorded op remembers the scope it
/// was created in, so its backward time is charged to the same layer. Disabled, it costs one
/// branch per op.
public enum Profiler {
    /// Seconds per scope.
    public struct Times: Sendable {
        public var forward: Double = 0
        public var backward: Double = 0
    }

    nonisolated(unsafe) public static var isEnabled = false
    /// The scope running now ("" outside any).
    nonisolated(unsafe) public private(set) static var currentScope = ""
    nonisolated(unsafe) public private(set) static var times: [String: Times] = [:]
    /// Scopes in the order first seen.
    nonisolated(unsafe) public private(set) static var order: [String] = []

    /// Clears the collected times.
    public static func reset() {
        times = [:]
        order = []
    }

    /// Runs `body` as scope `name`, charging its wall time to that scope's forward time.
    @inline(__always)
    public static func scope<Result>(_ name: String, _ body: () -> Result) -> Result {
        guard isEnabled else { return body() }
        let outer = currentScope
        currentScope = name
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        add(name, forward: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        currentScope = outer
        return result
    }

    /// Adds time to a scope.
    public static func add(_ name: String, forward: Double = 0, backward: Double = 0) {
        if times[name] == nil { order.append(name) }
        times[name, default: Times()].forward += forward
        times[name, default: Times()].backward += backward
    }

    /// Times `body` as a backward step of `scope`.
    @inline(__always)
    static func backward(_ scope: String, _ body: () -> Void) {
        guard isEnabled else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        add(scope, backward: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Times `body`, run on any thread inside a parallel loop, and adds its wall time to the
    /// scope `name` (forward or backward): summed over threads, so thread-seconds, not wall time.
    @inline(__always)
    static func concurrent(_ name: String, backward: Bool, _ body: () -> Void) {
        guard isEnabled else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        concurrentLock.lock()
        add(name, forward: backward ? 0 : seconds, backward: backward ? seconds : 0)
        concurrentLock.unlock()
    }

    private static let concurrentLock = NSLock()

    /// The scope im2col and col2im inside the convolutions are charged to.
    static let im2colScope = "im2col+col2im (thread-seconds)"
}
