import Foundation
import WeftEngine
import WeftTestSupport
import XCTest

/// Synchronised batch-norm (`batchNorm(..., synchronization:)`): alone it is plain batch-norm
/// and differentiates correctly; two replicas on two halves of a batch, summing through an
/// in-process "allreduce", compute what one batch-norm computes on the whole batch.
final class BatchNormSyncTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(1) }

    /// A one-replica synchronisation: the sums are the replica's own.
    private let alone = BatchNormSynchronization(sumStatistics: { _, _ in }, sumGradientTerms: { _, _ in })

    func testOneReplicaMatchesPlainBatchNormAndFiniteDifferences() {
        for (index, shape) in [[3, 2, 3, 5], [5, 4]].enumerated() {
            let channels = shape[1]
            let x = randomTensor(Shape(shape), seed: UInt64(700 + index), scale: 1.5)
            let gamma = randomTensor([channels], seed: UInt64(710 + index)),
                beta = randomTensor([channels], seed: UInt64(720 + index))
            assertGradientsMatchFiniteDifferences("synchronised batchNorm \(shape)", inputs: [x, gamma, beta]) {
                $0[0].batchNorm(
                    weight: $0[1], bias: $0[2], runningMean: nil, runningVariance: nil, training: true,
                    synchronization: alone)
            }
            let plainMean = Tensor.zeros([channels]), plainVariance = Tensor.ones([channels])
            let syncMean = Tensor.zeros([channels]), syncVariance = Tensor.ones([channels])
            let plain = x.batchNorm(
                weight: gamma, bias: beta, runningMean: plainMean, runningVariance: plainVariance, training: true)
            let synced = x.batchNorm(
                weight: gamma, bias: beta, runningMean: syncMean, runningVariance: syncVariance, training: true,
                synchronization: alone)
            assertClose(synced, plain, tolerance: 1e-5, "output \(shape)")
            assertClose(syncMean, plainMean, tolerance: 1e-6, "running mean \(shape)")
            assertClose(syncVariance, plainVariance, tolerance: 1e-6, "running variance \(shape)")
        }
    }

    /// Sums a buffer across two threads, each standing for a replica.
    final class PairSum: @unchecked Sendable {
        private let condition = NSCondition()
        private var buffers: [[Double]] = [[], []]
        private var arrived = 0, generation = 0
        private var result: [Double] = []

        func sum(_ values: UnsafeMutablePointer<Double>, _ count: Int, party: Int) {
            condition.lock()
            let mine = generation
            buffers[party] = Array(UnsafeBufferPointer(start: values, count: count))
            arrived += 1
            if arrived == 2 {
                result = zip(buffers[0], buffers[1]).map { $0 + $1 }
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine { condition.wait() }
            }
            let sums = result
            condition.unlock()
            for index in 0..<count { values[index] = sums[index] }
        }
    }

    func testTwoReplicasOnHalvesEqualOneBatchNormOnTheWholeBatch() {
        let shape: [Int] = [6, 3, 2, 2], channels = 3, half = 3, perImage = 3 * 2 * 2
        let x = randomTensor(Shape(shape), seed: 801, scale: 2)
        let gamma = randomTensor([channels], seed: 802), beta = randomTensor([channels], seed: 803)
        let projection = randomTensor(Shape(shape), seed: 804)  // the loss is Σ y · projection

        // One batch-norm on the whole batch.
        let wholeX = x.copy(), wholeGamma = gamma.copy(), wholeBeta = beta.copy()
        for tensor in [wholeX, wholeGamma, wholeBeta] { tensor.requiresGradient = true }
        let wholeMean = Tensor.zeros([channels]), wholeVariance = Tensor.ones([channels])
        let whole = wholeX.batchNorm(
            weight: wholeGamma, bias: wholeBeta, runningMean: wholeMean, runningVariance: wholeVariance,
            training: true)
        whole.backward(gradient: projection)

        // Two replicas, each with its half and its own copies of the parameters.
        let pair = PairSum()
        func part(_ tensor: Tensor, _ replica: Int) -> Tensor {
            Tensor(
                shape: Shape([half] + shape.dropFirst()),
                scalars: Array(tensor.scalars[(replica * half * perImage)..<((replica + 1) * half * perImage)]))
        }
        var outputs: [Tensor?] = [nil, nil], inputs: [Tensor?] = [nil, nil]
        var gammas: [Tensor?] = [nil, nil], betas: [Tensor?] = [nil, nil], means: [Tensor?] = [nil, nil],
            variances: [Tensor?] = [nil, nil]
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { replica in
            let input = part(x, replica), weight = gamma.copy(), bias = beta.copy()
            for tensor in [input, weight, bias] { tensor.requiresGradient = true }
            let mean = Tensor.zeros([channels]), variance = Tensor.ones([channels])
            let synchronization = BatchNormSynchronization(
                sumStatistics: { pair.sum($0, $1, party: replica) },
                sumGradientTerms: { pair.sum($0, $1, party: replica) })
            let output = input.batchNorm(
                weight: weight, bias: bias, runningMean: mean, runningVariance: variance, training: true,
                synchronization: synchronization)
            output.backward(gradient: part(projection, replica))
            lock.lock()
            outputs[replica] = output; inputs[replica] = input; gammas[replica] = weight; betas[replica] = bias
            means[replica] = mean; variances[replica] = variance
            lock.unlock()
        }
        let joinedOutput = Tensor(
            shape: Shape(shape), scalars: (outputs[0]?.scalars ?? []) + (outputs[1]?.scalars ?? []))
        assertClose(joinedOutput, whole, tolerance: 1e-5, "the replicas' outputs are the whole batch's")
        let joinedGradient = Tensor(
            shape: Shape(shape), scalars: (inputs[0]?.gradient?.scalars ?? []) + (inputs[1]?.gradient?.scalars ?? []))
        assertClose(joinedGradient, wholeX.gradient ?? Tensor.zeros(Shape(shape)), tolerance: 1e-4, "dx")
        let dgamma = Tensor(
            shape: [channels],
            scalars: zip(gammas[0]?.gradient?.scalars ?? [], gammas[1]?.gradient?.scalars ?? []).map { $0 + $1 })
        let dbeta = Tensor(
            shape: [channels],
            scalars: zip(betas[0]?.gradient?.scalars ?? [], betas[1]?.gradient?.scalars ?? []).map { $0 + $1 })
        assertClose(
            dgamma, wholeGamma.gradient ?? gamma, tolerance: 1e-4,
            "dγ summed over replicas (as the gradient allreduce does)")
        assertClose(dbeta, wholeBeta.gradient ?? beta, tolerance: 1e-4, "dβ summed over replicas")
        for replica in 0..<2 {
            assertClose(means[replica], wholeMean, tolerance: 1e-6, "replica \(replica): running mean")
            assertClose(
                variances[replica], wholeVariance, tolerance: 1e-6,
                "replica \(replica): running variance (unbiased over both halves)")
        }
    }
}
