import Foundation

/// Measures a config's steady-state training step (batch assembly, forward, loss, backward,
/// optimiser update) and evaluation speed, the same way the PyTorch peer script does: whole
/// steps in timed windows after a warm-up, the median over windows reported.
public struct TrainingBenchmark {
    public let config: TrainingConfig
    public let source: String
    public var warmupSteps = 5
    public var windows = 5
    public var stepsPerWindow = 20
    public var evaluationBatchSize = 1000
    public var evaluationPasses = 3
    public var profile = false

    public init(config: TrainingConfig, source: String) {
        self.config = config
        self.source = source
    }

    /// What one benchmark measured.
    public struct Result: Sendable {
        public var batchSize: Int
        public var threads: Int
        /// Images per second of each window.
        public var trainWindows: [Double]
        public var evalImagesPerSecond: Double
        public var flopsPerImage: Int
        public var sgemmGflops: Double
        public var peakRSSMegabytes: Double
        /// Median seconds per step of data, forward, backward and optimiser.
        public var phases: [(name: String, seconds: Double)]
        /// Per layer: forward and backward seconds per step (with `profile`).
        public var layers: [(name: String, forward: Double, backward: Double)]
        /// How the training steps' Winograd products ran (`Trainer.convolutionProducts`), and the
        /// trainer's line about it (nil for float32 as asked).
        public var convolutionProducts: Winograd.Products
        public var precisionNote: String?

        public var trainImagesPerSecond: Double { TrainingBenchmark.median(trainWindows) }
        /// Training arithmetic: forward FLOPs ×3 per image.
        public var trainGflops: Double { trainImagesPerSecond * Double(3 * flopsPerImage) / 1e9 }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    public func run() throws -> Result {
        let data = try TrainingData(config: config)
        let progress = Progress(epochs: 1)
        progress.enabled = false
        let trainer = try Trainer(config: config, data: data, source: source, progress: progress)
        let loader = trainer.trainLoader
        let batches = loader.batches(order: loader.epochOrder(epoch: 0)).filter { $0.count == loader.batchSize }
        guard !batches.isEmpty else {
            throw WeftError(
                "\(source): the training split has fewer images than one batch of \(loader.batchSize); lower --batch")
        }
        var generator: RandomGenerator? = loader.augmentation == .none ? nil : loader.augmentationGenerator(epoch: 0)
        var batchIndex = 0
        var phaseSamples: [[Double]] = [[], [], [], []]
        func step() throws {
            var clock = StepClock()
            let (images, labels) = loader.batch(indices: batches[batchIndex % batches.count], augment: &generator)
            let dataSeconds = clock.lap()
            batchIndex += 1
            _ = try trainer.step(
                images: images, labels: labels, learningRate: trainer.config.training.optimizer.learningRate)
            let times = trainer.lastStepTimes
            for (index, value) in [dataSeconds, times.forward, times.backward, times.optimizer].enumerated() {
                phaseSamples[index].append(value)
            }
        }
        for _ in 0..<warmupSteps { try step() }
        phaseSamples = [[], [], [], []]
        Profiler.reset()
        Profiler.isEnabled = profile
        defer { Profiler.isEnabled = false }
        var windowRates: [Double] = []
        for _ in 0..<windows {
            var clock = StepClock()
            for _ in 0..<stepsPerWindow { try step() }
            windowRates.append(Double(stepsPerWindow * loader.batchSize) / clock.lap())
        }
        Profiler.isEnabled = false
        let steps = Double(windows * stepsPerWindow)
        // Layers in model order, then the engine's own rows (im2col+col2im) after them.
        let order =
            Profiler.order.filter { $0.hasPrefix("layers.") || $0.isEmpty }
            + Profiler.order.filter { !$0.hasPrefix("layers.") && !$0.isEmpty }
        let layers = order.map { name in
            (
                name: name, forward: (Profiler.times[name]?.forward ?? 0) / steps,
                backward: (Profiler.times[name]?.backward ?? 0) / steps
            )
        }

        let model = TrainedModel(
            config: config, model: trainer.model, normalization: data.normalization, classNames: data.test.classNames)
        let evaluationIndices = Array(data.testIndices.prefix(evaluationBatchSize))
        let evaluationLoader = BatchLoader(
            dataset: data.test, indices: evaluationIndices, batchSize: evaluationIndices.count,
            normalization: data.normalization, seed: 0)
        guard let (_, images, _) = evaluationLoader.evaluationBatches(order: evaluationIndices).first else {
            throw WeftError("\(source): the test split is empty; weft bench needs test images to time evaluation")
        }
        _ = model.logits(images)
        var evaluationRates: [Double] = []
        for _ in 0..<evaluationPasses {
            var clock = StepClock()
            _ = model.logits(images)
            evaluationRates.append(Double(evaluationIndices.count) / clock.lap())
        }
        let builder = try ModelBuilder(config: config.model, source: source)
        let sgemm = EngineBenchmark(repetitions: 5).sgemm(size: 2048).gflops
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let names = ["data", "forward", "backward", "optimizer"]
        return Result(
            batchSize: loader.batchSize, threads: Parallel.threadCount, trainWindows: windowRates,
            evalImagesPerSecond: TrainingBenchmark.median(evaluationRates), flopsPerImage: builder.flopsPerImage,
            sgemmGflops: sgemm, peakRSSMegabytes: Double(usage.ru_maxrss) / 1024,
            phases: zip(names, phaseSamples).map { ($0, TrainingBenchmark.median($1)) }, layers: layers,
            convolutionProducts: trainer.convolutionProducts, precisionNote: trainer.precisionNote)
    }
}
