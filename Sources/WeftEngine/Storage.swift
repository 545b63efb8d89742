import Foundation

/// A tensor's float32 buffer. Its memory comes from and returns to the `BufferPool`, so a
/// training step that repeats the same shapes allocates nothing once warmed up.
public final class TensorStorage: @unchecked Sendable {
    /// The first element; `count` elements follow.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of float32 elements.
    public let count: Int

    /// A buffer of `count` elements, uninitialised.
    public init(uninitializedCount count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.take(count: count)
    }

    /// A buffer of `count` elements, all `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    deinit {
        BufferPool.shared.give(pointer, count: count)
    }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}

/// Free buffers kept by size for reuse, so steady-state steps cause no `malloc`, no page
/// faults and no zeroing of fresh pages. Idle memory is capped (`idleByteLimit`); past it,
/// released buffers are freed.
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()

    /// The most idle memory the pool keeps, in bytes.
    public var idleByteLimit: Int = 6 << 30

    private var idle: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var idleBytes = 0
    private let lock = NSLock()

    /// A buffer of at least `count` floats (exactly `count` are usable), uninitialised.
    func take(count: Int) -> UnsafeMutablePointer<Float> {
        let capacity = max(count, 1)
        lock.lock()
        if var list = idle[capacity], let pointer = list.popLast() {
            idle[capacity] = list
            idleBytes -= capacity * MemoryLayout<Float>.stride
            lock.unlock()
            return pointer
        }
        lock.unlock()
        return UnsafeMutablePointer<Float>.allocate(capacity: capacity)
    }

    /// Returns a buffer obtained from `take(count:)`.
    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let capacity = max(count, 1)
        let bytes = capacity * MemoryLayout<Float>.stride
        lock.lock()
        if idleBytes + bytes <= idleByteLimit {
            idle[capacity, default: []].append(pointer)
            idleBytes += bytes
            lock.unlock()
        } else {
            lock.unlock()
            pointer.deallocate()
        }
    }
}
