import Dispatch

/// Splits loops across the engine's threads with a fixed partition: chunk `i` of `t` covers
/// `[i*n/t, (i+1)*n/t)`, so which thread computes which element never depends on timing and
/// results are identical from run to run for a given thread count.
public enum Parallel {
    /// The number of threads the engine uses, for its loops and its split of large matrix products.
    nonisolated(unsafe) public private(set) static var threadCount = 1

    /// The most threads the engine accepts.
    public static let maximumThreadCount = 1024

    /// Sets the engine's thread count (clamped to 1...maximumThreadCount) for its loops and its
    /// split of large matrix products (OpenBLAS itself stays on the calling thread).
    public static func setThreadCount(_ count: Int) {
        threadCount = min(max(1, count), maximumThreadCount)
        Gemm.useCallingThreadOnly()
    }

    /// Runs `body` over `0..<count` in contiguous chunks, one per thread, when there is at least
    /// `grain` work per chunk; otherwise in one call on this thread.
    @inline(__always)
    public static func forChunks(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(threadCount, count / max(grain, 1))
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            body((chunk * count / chunks)..<((chunk + 1) * count / chunks))
        }
    }

    /// Runs `body(index)` for every index in `0..<count`, chunked as `forChunks`.
    @inline(__always)
    public static func forEach(_ count: Int, grain: Int = 1, _ body: (Int) -> Void) {
        forChunks(count, grain: grain) { range in
            for index in range { body(index) }
        }
    }

    /// Splits `0..<count` into one contiguous chunk per thread (fewer when `count` is smaller),
    /// and runs `body(chunk, range)` for each, concurrently, each product inside staying on its
    /// thread: for loops whose items each make their own small sgemm calls (per-image
    /// convolutions). With a single chunk the loop runs on this thread and a large product inside
    /// may still be split across the threads.
    /// - Returns: the number of chunks, so callers can combine per-chunk partial results in order.
    @discardableResult
    public static func forChunksWithOwnGemms(_ count: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) -> Int {
        let chunks = min(threadCount, count)
        if chunks <= 1 {
            if count > 0 { body(0, 0..<count) }
            return 1
        }
        Gemm.insideParallelLoop = true
        defer { Gemm.insideParallelLoop = false }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            body(chunk, (chunk * count / chunks)..<((chunk + 1) * count / chunks))
        }
        return chunks
    }
}
