import Dispatch
import Foundation

/// The replicas of one model in a data-parallel job, one per rank of a `Communicator`, as
/// Horovod and PyTorch's `DistributedDataParallel` keep them: every rank holds the whole model,
/// trains on its own shard of each global batch, and after the backward pass the gradients are
/// averaged (weighted by each shard's share of the batch) with an allreduce, so every rank
/// applies the same update and the replicas stay bit-identical.
///
/// Batch-norm layers normalise with each rank's own batch statistics (unless
/// `training.syncBatchNorm`); their running statistics travel in the same allreduce and are
/// averaged across ranks after every step, so the buffers stay identical too.
public final class ReplicaGroup {
    public let communicator: Communicator
    /// This process's rank and the job's rank count.
    public var rank: Int { communicator.rank }
    public var size: Int { communicator.size }
    /// Whether this rank prints and writes (rank 0).
    public var isLeader: Bool { rank == 0 }
    /// Whether this is a job of ranks that a launcher started (MPI), even of one rank; false for
    /// the group of a plain run, whose communicator is a `SingleProcessCommunicator`.
    public var isDataParallel: Bool { !(communicator is SingleProcessCommunicator) }

    /// The largest bucket, in floats (4 MiB): gradients are copied into contiguous buckets, in
    /// reverse parameter order (the order the backward pass finishes them), one allreduce each.
    public static let bucketCapacity = 1 << 20
    /// `[≤ bucketCapacity]` reused by every step.
    private var bucket: [Float] = []

    /// When true, `checkReplicas` hashes every rank's weights after each step and fails on a difference.
    public var checksReplicas = false
    /// Steps `checkReplicas` has verified.
    public private(set) var checkedSteps = 0

    /// This rank's share of the current global batch, `shard / global` (scales its gradients).
    public private(set) var shardWeight: Double = 1

    /// Seconds of the current epoch: forward + backward, and the gradient allreduce (which
    /// includes waiting for the slowest rank unless `separatesWaiting`), and the steps they cover.
    public var epochComputeSeconds: Double = 0
    public var epochCommunicationSeconds: Double = 0
    public var epochSteps = 0
    /// When true, each step waits at a barrier before the allreduce, so that
    /// `epochCommunicationSeconds` is the transfer alone and `epochWaitingSeconds` the time
    /// spent waiting for the slowest rank (a measurement aid: it costs one more latency per step).
    public var separatesWaiting = false
    public var epochWaitingSeconds: Double = 0

    /// Waits for every rank when `separatesWaiting`; returns the seconds waited.
    public func waitForSlowestRank() throws -> Double {
        guard separatesWaiting else { return 0 }
        let start = DispatchTime.now().uptimeNanoseconds
        try during("the wait for the slowest rank") { try communicator.barrier() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        epochWaitingSeconds += seconds
        return seconds
    }

    /// - Parameter communicator: the job's ranks; a `SingleProcessCommunicator` for a plain run.
    public init(communicator: Communicator = SingleProcessCommunicator()) {
        self.communicator = communicator
    }

    /// Adds one step's seconds to the epoch's breakdown.
    public func recordStep(computeSeconds: Double, communicationSeconds: Double) {
        epochComputeSeconds += computeSeconds
        epochCommunicationSeconds += communicationSeconds
        epochSteps += 1
    }

    /// The epoch's per-step breakdown as the line `weft train` prints after each epoch of a
    /// data-parallel job (nil for a plain run or an epoch without steps), and a fresh count.
    public func finishEpochBreakdown() -> String? {
        defer {
            epochSteps = 0
            epochWaitingSeconds = 0
            epochComputeSeconds = 0
            epochCommunicationSeconds = 0
        }
        guard isDataParallel, epochSteps > 0 else { return nil }
        let steps = Double(epochSteps)
        let compute = epochComputeSeconds / steps, allreduce = epochCommunicationSeconds / steps
        let waiting =
            separatesWaiting
            ? String(format: ", waiting for the slowest rank %.1f ms/step", 1000 * epochWaitingSeconds / steps)
            : " (waiting for the slowest rank included)"
        return String(
            format: "  %d rank%@: forward+backward %.1f ms/step, gradient allreduce %.1f ms/step%@",
            size, size == 1 ? "" : "s", 1000 * compute, 1000 * allreduce, waiting)
    }

    // MARK: - Sharding

    /// This rank's part of a global batch: contiguous, sizes differing by at most one, rank 0 first.
    public func shard(of batch: ArraySlice<Int>) -> ArraySlice<Int> {
        let start = batch.startIndex, count = batch.count
        let lower = start + rank * count / size, upper = start + (rank + 1) * count / size
        return batch[lower..<upper]
    }

    /// The fewest and the most images `shard(of:)` gives a rank of a full global batch of
    /// `batchSize` images on `ranks` ranks.
    public static func shardSizes(batchSize: Int, ranks: Int) -> ClosedRange<Int> {
        (batchSize / ranks)...((batchSize + ranks - 1) / ranks)
    }

    /// Sets this step's shard weight, `shardCount / globalCount`.
    public func beginStep(shardCount: Int, globalCount: Int) {
        shardWeight = Double(shardCount) / Double(globalCount)
    }

    // MARK: - Collectives of a step

    /// Replaces every rank's gradients by `Σ_r weight_r · gradient_r` (the gradient of the mean
    /// loss over the global batch) and every buffer by its mean over the ranks. On one rank the
    /// values are already that: nothing is done.
    /// - Returns: the floats reduced.
    @discardableResult
    public func averageGradients(_ parameters: [NamedParameter], buffers: [NamedParameter]) throws -> Int {
        guard size > 1 else { return 0 }
        let weight = Float(shardWeight)
        // (tensor, is a gradient), in reverse parameter order, then the buffers.
        var items: [(tensor: Tensor, gradient: Bool)] = []
        for named in parameters.reversed() {
            if named.tensor.gradient == nil { named.tensor.gradient = Tensor.zeros(named.tensor.shape) }
            if let gradient = named.tensor.gradient { items.append((gradient, true)) }
        }
        items += buffers.map { ($0.tensor, false) }
        let total = items.reduce(0) { $0 + $1.tensor.count }
        if bucket.count < min(total, ReplicaGroup.bucketCapacity) {
            bucket = [Float](repeating: 0, count: min(total, ReplicaGroup.bucketCapacity))
        }
        let divisor = Float(size)
        var index = 0
        while index < items.count {
            // Fill one bucket with whole tensors (a tensor larger than a bucket goes alone, in pieces).
            var end = index, filled = 0
            while end < items.count, filled == 0 || filled + items[end].tensor.count <= ReplicaGroup.bucketCapacity {
                filled += items[end].tensor.count
                end += 1
            }
            if filled > ReplicaGroup.bucketCapacity {
                try reduceLarge(items[index], weight: weight, divisor: divisor)
                index = end
                continue
            }
            try bucket.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                var offset = 0
                for item in items[index..<end] {
                    let source = item.tensor.data, count = item.tensor.count
                    if item.gradient {
                        for i in 0..<count { base[offset + i] = source[i] * weight }
                    } else {
                        (base + offset).update(from: source, count: count)
                    }
                    offset += count
                }
                try during("the gradient allreduce") { try communicator.sumInPlace(base, count: offset) }
                offset = 0
                for item in items[index..<end] {
                    let destination = item.tensor.data, count = item.tensor.count
                    if item.gradient {
                        destination.update(from: base + offset, count: count)
                    } else {
                        for i in 0..<count { destination[i] = base[offset + i] / divisor }
                    }
                    offset += count
                }
            }
            index = end
        }
        return total
    }

    /// One tensor larger than a bucket, reduced in place.
    private func reduceLarge(_ item: (tensor: Tensor, gradient: Bool), weight: Float, divisor: Float) throws {
        let data = item.tensor.data, count = item.tensor.count
        if item.gradient { for i in 0..<count { data[i] *= weight } }
        try during("the gradient allreduce") { try communicator.sumInPlace(data, count: count) }
        if !item.gradient { for i in 0..<count { data[i] /= divisor } }
    }

    /// The step's training statistics summed over the ranks: loss × images, correct predictions,
    /// images, and how many ranks were asked to stop (so that all stop after the same step).
    public func sumStepStatistics(lossSum: Double, correct: Int, images: Int, stopRequested: Bool) throws
        -> (lossSum: Double, correct: Int, images: Int, stop: Bool)
    {
        let sums = try during("the sum of the step's loss and accuracy") {
            try communicator.sum([lossSum, Double(correct), Double(images), stopRequested ? 1 : 0])
        }
        return (sums[0], Int(sums[1]), Int(sums[2]), sums[3] > 0)
    }

    // MARK: - Broadcast

    /// Copies rank 0's parameters, buffers, optimiser state and step count to every rank (on one
    /// rank there is nothing to copy).
    /// - Parameter trainable: the parameters the optimiser updates and keeps state for (those
    ///   `training.freeze` leaves); nil: all of `parameters`.
    ///
    /// This is the first collective after every rank loaded its data, so it waits with
    /// `Communicator.duringStartup`'s longer deadline.
    public func broadcastFromRankZero(
        parameters: [NamedParameter], buffers: [NamedParameter], optimizer: Optimizer,
        trainable: [NamedParameter]? = nil
    ) throws {
        guard size > 1 else { return }
        try communicator.duringStartup {
            try broadcastLeaderState(
                parameters: parameters, buffers: buffers, optimizer: optimizer, trainable: trainable)
        }
    }

    private func broadcastLeaderState(
        parameters: [NamedParameter], buffers: [NamedParameter], optimizer: Optimizer,
        trainable: [NamedParameter]?
    ) throws {
        var values = (parameters + buffers).flatMap { $0.tensor.scalars }
        try during("the broadcast of rank 0's weights") { try communicator.broadcastFromRankZero(&values) }
        var offset = 0
        for named in parameters + buffers {
            values.withUnsafeBufferPointer {
                named.tensor.data.update(from: $0.baseAddress! + offset, count: named.tensor.count)
            }
            offset += named.tensor.count
        }
        // The optimiser's state: its keys and shapes as JSON text, then the values.
        let state = optimizer.stateTensors()
        let keys = state.keys.sorted()
        let layout = JSONValue.object([
            ("stepCount", .number(Double(optimizer.stepCount))),
            ("keys", .array(keys.map { .string($0) }))
        ]).serialized(pretty: false)
        let leaderLayout = String(
            decoding: try during("the broadcast of rank 0's weights") {
                try communicator.broadcastFromRankZero(Array(layout.utf8))
            }, as: UTF8.self)
        guard !isLeader else {
            var stateValues = keys.flatMap { state[$0]!.scalars }
            try during("the broadcast of rank 0's weights") { try communicator.broadcastFromRankZero(&stateValues) }
            return
        }
        guard case .object(let members) = try JSONParser.parse(leaderLayout, source: "rank 0's optimiser layout"),
            case .number(let stepCount)? = members.first(where: { $0.key == "stepCount" })?.value,
            case .array(let keyValues)? = members.first(where: { $0.key == "keys" })?.value
        else {
            throw WeftError("rank \(rank): rank 0 sent a malformed optimiser layout")
        }
        let leaderKeys = keyValues.compactMap { value -> String? in
            if case .string(let key) = value { return key }; return nil
        }
        let optimized = trainable ?? parameters
        let shapes = Dictionary(uniqueKeysWithValues: optimized.map { ($0.name, $0.tensor.shape) })
        var tensors: [String: Tensor] = [:]
        var count = 0
        for key in leaderKeys {
            guard
                let parameter = shapes.keys.first(where: {
                    key.hasPrefix($0 + ".") && !key.dropFirst($0.count + 1).contains(".")
                }),
                let shape = shapes[parameter]
            else {
                throw WeftError("rank \(rank): rank 0's optimiser state has \(key), which names no parameter here")
            }
            tensors[key] = Tensor.zeros(shape)
            count += shape.elementCount
        }
        var stateValues = [Float](repeating: 0, count: count)
        try during("the broadcast of rank 0's weights") { try communicator.broadcastFromRankZero(&stateValues) }
        offset = 0
        for key in leaderKeys {
            guard let tensor = tensors[key] else { continue }
            stateValues.withUnsafeBufferPointer {
                tensor.data.update(from: $0.baseAddress! + offset, count: tensor.count)
            }
            offset += tensor.count
        }
        try optimizer.loadState(tensors, stepCount: Int(stepCount), parameters: optimized)
    }

    // MARK: - Generators

    /// Every rank's dropout and augmentation generators, gathered in rank order.
    public func gatherGenerators(dropout: RandomGenerator, augmentation: RandomGenerator) throws -> [ReplicaGenerators]
    {
        let words = try during("the gathering of the ranks' generators for a checkpoint") {
            try communicator.allGather(dropout.state + augmentation.state)
        }
        return (0..<size).compactMap { rank in
            let slice = Array(words[(rank * 8)..<(rank * 8 + 8)])
            guard let dropout = RandomGenerator(state: Array(slice[0..<4])),
                let augmentation = RandomGenerator(state: Array(slice[4..<8]))
            else { return nil }
            return ReplicaGenerators(dropout: dropout, augmentation: augmentation)
        }
    }

    // MARK: - Checks

    /// Hashes `tensors` (FNV-1a over their bit patterns) on every rank and throws unless all
    /// ranks hold exactly the same values.
    public func checkReplicas(_ tensors: [Tensor], step: Int) throws {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for tensor in tensors {
            let data = tensor.data
            for index in 0..<tensor.count {
                hash = (hash ^ UInt64(data[index].bitPattern)) &* 0x0000_0100_0000_01B3
            }
        }
        let hashes = try during("the replica check") { try communicator.allGather([hash]) }
        if let differing = hashes.firstIndex(where: { $0 != hashes[0] }) {
            throw WeftError(
                "replica check: after step \(step) the weights of rank \(differing) differ from rank 0's (hash \(String(hashes[differing], radix: 16)) vs \(String(hashes[0], radix: 16)))"
            )
        }
        checkedSteps += 1
    }

    /// Runs a collective; a `RankTimeout` it throws learns what the job was doing.
    private func during<T>(_ what: String, _ collective: () throws -> T) throws -> T {
        do {
            return try collective()
        } catch var timeout as RankTimeout {
            if timeout.during == nil { timeout.during = what }
            throw timeout
        }
    }

    // MARK: - Synchronised batch-norm

    /// The allreduce closures of `training.syncBatchNorm`; nil for a plain run, whose batch-norm
    /// statistics are its own. A failed allreduce cannot be thrown from inside the forward or
    /// backward pass: it ends the job with a message.
    public func batchNormSynchronization() -> BatchNormSynchronization? {
        guard isDataParallel else { return nil }
        let communicator = communicator
        func sum(_ values: UnsafeMutablePointer<Double>, _ count: Int) {
            do {
                try communicator.sumInPlace(values, count: count)
            } catch var timeout as RankTimeout {
                timeout.during = "the synchronised batch-norm statistics"
                FileHandle.standardError.write(Data("error: \(timeout.message)\n".utf8))
                communicator.abort(status: 1)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                communicator.abort(status: 1)
            }
        }
        return BatchNormSynchronization(
            sumStatistics: { sum($0, $1) },
            sumGradientTerms: { [unowned self] values, count in
                let weight = shardWeight
                for i in 0..<count { values[i] *= weight }
                sum(values, count)
                for i in 0..<count { values[i] /= weight }
            })
    }
}
