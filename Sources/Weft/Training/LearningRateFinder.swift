import Foundation

/// Smith's learning-rate range test (arXiv 1506.01186) as fastai's `lr_find` and
/// PyTorch Lightning's `Tuner.lr_find` run it: train a fresh model for `steps` steps with a rate
/// growing exponentially from `start` to `end`, record each step's loss, smooth it, stop when
/// it diverges, and suggest the rate where the smoothed loss falls fastest.
///
/// `run(trainer:onStep:)` trains a `Trainer` (built as `weft train` builds it: the config's data,
/// normalisation, augmentation, seeded weights and optimiser, with its schedule ignored);
/// `run(step:onStep:)` is the same loop over any step function, which the tests feed synthetic
/// losses. The pieces of the rule (`rates`, `smoothed`, `suggestion`) are pure functions.
public struct LearningRateFinder: Equatable, Sendable {
    /// Steps to train at most (Lightning's `num_training`), at least 2.
    public var steps: Int
    /// The rate of the first step, positive.
    public var start: Double
    /// The rate of the last step, above `start`.
    public var end: Double
    /// The weight of the past in the loss's moving average (fastai's and Lightning's 0.98).
    public var beta: Double = 0.98
    /// The run stops once the smoothed loss exceeds this multiple of the best smoothed loss so
    /// far (Lightning's `early_stop_threshold`, fastai's `stop_div`: 4).
    public var divergenceFactor: Double = 4
    /// Points left out of the suggestion at the start and at the end (Lightning's
    /// `suggestion(skip_begin=10, skip_end=1)`).
    public var skipStart = 10
    public var skipEnd = 1

    /// One recorded step.
    public struct Point: Equatable, Sendable {
        /// The rate the step trained with.
        public var rate: Double
        /// The batch's mean training loss (with the config's label smoothing), computed before
        /// the step's update.
        public var loss: Double
        /// The bias-corrected moving average of the losses up to this step.
        public var smoothedLoss: Double

        public init(rate: Double, loss: Double, smoothedLoss: Double) {
            self.rate = rate
            self.loss = loss
            self.smoothedLoss = smoothedLoss
        }
    }

    /// Why the run ended.
    public enum Stop: Equatable, Sendable {
        /// All `steps` steps were trained.
        case completed
        /// The smoothed loss exceeded `divergenceFactor` × the best smoothed loss (that step is
        /// the last point).
        case diverged
        /// The loss or the weights became infinite or NaN at `step` (0-based), which was not
        /// recorded.
        case notFinite(step: Int)
    }

    /// What a run found.
    public struct Result: Equatable, Sendable {
        /// The settings of the run.
        public var finder: LearningRateFinder
        /// One point per recorded step, in order (at most `finder.steps`).
        public var points: [Point]
        public var stop: Stop
        /// The index in `points` of the suggested rate; nil when too few points remain after
        /// the skipped ones (see `LearningRateFinder.suggestion`).
        public var suggestionIndex: Int?

        /// The suggested learning rate, if there is one.
        public var suggestedRate: Double? { suggestionIndex.map { points[$0].rate } }

        /// One line on how the run ended: `completed all 100 steps`,
        /// `stopped at step 73 of 100: the smoothed loss passed 4 × its best`, ...
        public var stopDescription: String {
            switch stop {
            case .completed:
                return "completed all \(finder.steps) steps"
            case .diverged:
                return
                    "stopped at step \(points.count) of \(finder.steps): the smoothed loss passed \(JSONValue.format(finder.divergenceFactor)) × its best"
            case .notFinite(let step):
                return "stopped at step \(step + 1) of \(finder.steps): the loss or the weights became infinite or NaN"
            }
        }

        /// For scripts: `{"start", "end", "steps", "stop", "suggestion", "rates", "losses",
        /// "smoothedLosses"}` (the suggestion null when there is none).
        public var json: JSONValue {
            let stopName: String
            switch stop {
            case .completed: stopName = "completed"
            case .diverged: stopName = "diverged"
            case .notFinite: stopName = "notFinite"
            }
            return .object([
                ("start", .number(finder.start)), ("end", .number(finder.end)),
                ("steps", .number(Double(finder.steps))), ("stepsRun", .number(Double(points.count))),
                ("stop", .string(stopName)), ("suggestion", suggestedRate.map(JSONValue.number) ?? .null),
                ("suggestionIndex", suggestionIndex.map { .number(Double($0)) } ?? .null),
                ("rates", .array(points.map { .number($0.rate) })),
                ("losses", .array(points.map { .number($0.loss) })),
                ("smoothedLosses", .array(points.map { .number($0.smoothedLoss) }))
            ])
        }
    }

    /// - Parameters: steps at least 2; 0 < start < end, both finite. The callers check these
    ///   and say which flag is wrong; here they are preconditions.
    public init(steps: Int = 100, start: Double = 1e-7, end: Double = 10) {
        precondition(steps >= 2, "LearningRateFinder: steps must be at least 2, got \(steps)")
        precondition(
            start > 0 && start < end && end.isFinite, "LearningRateFinder: need 0 < start < end, got \(start), \(end)")
        self.steps = steps
        self.start = start
        self.end = end
    }

    /// The rate of each step: `start · (end/start)^(i/(steps−1))` for `i` in `0..<steps`
    /// (Lightning's `_ExponentialLR`), so the first is `start`, the last `end`, and each is the
    /// one before times `(end/start)^(1/(steps−1))`.
    /// - Returns: `[steps]` rates.
    public static func rates(start: Double, end: Double, steps: Int) -> [Double] {
        (0..<steps).map { start * pow(end / start, Double($0) / Double(steps - 1)) }
    }

    /// The rates of this finder's steps (`rates(start:end:steps:)`).
    public var rates: [Double] { LearningRateFinder.rates(start: start, end: end, steps: steps) }

    /// The bias-corrected exponential moving average of `losses`, as fastai and Lightning
    /// compute it: `average = beta·average + (1−beta)·loss` from 0, and the smoothed value of
    /// step `i` is `average / (1 − beta^(i+1))`.
    /// - Returns: `[losses.count]` smoothed losses.
    public static func smoothed(_ losses: [Double], beta: Double = 0.98) -> [Double] {
        var average = 0.0
        return losses.enumerated().map { index, loss in
            average = beta * average + (1 - beta) * loss
            return average / (1 - pow(beta, Double(index + 1)))
        }
    }

    /// NumPy's `np.gradient(values, coordinates)` (second-order central differences inside,
    /// one-sided first-order differences at both ends; the coordinates need not be evenly spaced).
    /// - Parameters: `values` and `coordinates` `[n]`, n ≥ 2, coordinates strictly increasing.
    /// - Returns: `[n]` derivatives.
    public static func gradient(_ values: [Double], coordinates: [Double]) -> [Double] {
        let count = values.count
        precondition(
            count >= 2 && coordinates.count == count, "gradient: need two or more values and as many coordinates")
        return (0..<count).map { index in
            if index == 0 { return (values[1] - values[0]) / (coordinates[1] - coordinates[0]) }
            if index == count - 1 {
                return (values[index] - values[index - 1]) / (coordinates[index] - coordinates[index - 1])
            }
            // NumPy's hs (the step before) and hd (the step after).
            let before = coordinates[index] - coordinates[index - 1]
            let after = coordinates[index + 1] - coordinates[index]
            let next = before * before * values[index + 1]
            let here = (after * after - before * before) * values[index]
            let previous = after * after * values[index - 1]
            return (next + here - previous) / (before * after * (before + after))
        }
    }

    /// The suggested point, Lightning's `suggestion()`: leave out the first `skipStart` and the
    /// last `skipEnd` points, take the gradient of the smoothed loss with respect to log(rate)
    /// there (`gradient`), and return the index of its most negative value (the first of equals,
    /// as `np.argmin`), i.e. where the loss falls fastest per decade of rate.
    /// - Parameters: `rates` and `smoothedLosses` `[n]`, rates increasing.
    /// - Returns: an index into the `n` points; nil when fewer than 2 remain after the skips.
    public static func suggestion(
        rates: [Double], smoothedLosses: [Double], skipStart: Int = 10, skipEnd: Int = 1
    ) -> Int? {
        let upper = min(rates.count, smoothedLosses.count) - skipEnd
        guard upper - skipStart >= 2 else { return nil }
        let range = skipStart..<upper
        let slopes = gradient(Array(smoothedLosses[range]), coordinates: rates[range].map { log($0) })
        guard let steepest = slopes.indices.min(by: { slopes[$0] < slopes[$1] }) else { return nil }
        return skipStart + steepest
    }

    /// Runs the test over `step`, which trains one step at the rate it is given (the step's
    /// index, 0-based, and its rate) and returns the step's loss, or a value that is not finite
    /// when the loss or the weights became infinite or NaN. The loop stops at `steps`, at
    /// divergence (after recording that point), or at a loss that is not finite (not recorded).
    /// - Parameter onStep: called after each recorded point with it and its index.
    public func run(
        step: (_ index: Int, _ rate: Double) throws -> Double, onStep: ((Point, Int) -> Void)? = nil
    ) rethrows -> Result {
        var points: [Point] = []
        var average = 0.0
        var best = Double.infinity
        var stop = Stop.completed
        for (index, rate) in rates.enumerated() {
            let loss = try step(index, rate)
            guard loss.isFinite else {
                stop = .notFinite(step: index)
                break
            }
            // The same recurrence as `smoothed(_:beta:)`, one step at a time.
            average = beta * average + (1 - beta) * loss
            let smoothedLoss = average / (1 - pow(beta, Double(index + 1)))
            points.append(Point(rate: rate, loss: loss, smoothedLoss: smoothedLoss))
            onStep?(points[index], index)
            best = min(best, smoothedLoss)
            if smoothedLoss > divergenceFactor * best {
                stop = .diverged
                break
            }
        }
        let suggestion = LearningRateFinder.suggestion(
            rates: points.map(\.rate), smoothedLosses: points.map(\.smoothedLoss), skipStart: skipStart,
            skipEnd: skipEnd)
        return Result(finder: self, points: points, stop: stop, suggestionIndex: suggestion)
    }

    /// Runs the test on a fresh `trainer` (one process; its model is changed and is meant to be
    /// thrown away afterwards): each step is `Trainer.step(images:labels:learningRate:)` on the
    /// next batch of its `trainLoader`, in the order and with the augmentation `weft train`
    /// would use, continuing with the next epoch's order when an epoch's batches run out.
    /// The trainer's schedule is ignored; its optimiser, weight decay, clipping, label
    /// smoothing and frozen parameters apply as in training. Nothing is written.
    /// - Throws: a `WeftError` when the training split gives no batch; divergence is no error.
    public func run(trainer: Trainer, onStep: ((Point, Int) -> Void)? = nil) throws -> Result {
        let loader = trainer.trainLoader
        guard loader.batchesPerEpoch > 0 else {
            throw WeftError(
                "the training split has no batch to train on; give it more images (data.trainLimit, data.validationFraction)"
            )
        }
        var batches = loader.batches(order: loader.epochOrder(epoch: trainer.state.epoch))
        let augments = loader.augmentation != .none
        return try run(
            step: { _, rate in
                if trainer.state.batchInEpoch == batches.count {
                    trainer.state.epoch += 1
                    trainer.state.batchInEpoch = 0
                    // On one process the trainer's augmentation stream of an epoch is the loader's.
                    trainer.state.augmentationGenerator = loader.augmentationGenerator(epoch: trainer.state.epoch)
                    batches = loader.batches(order: loader.epochOrder(epoch: trainer.state.epoch))
                }
                var generator: RandomGenerator? = augments ? trainer.state.augmentationGenerator : nil
                let (images, labels) = loader.batch(
                    indices: batches[trainer.state.batchInEpoch], augment: &generator, epoch: trainer.state.epoch)
                if let generator { trainer.state.augmentationGenerator = generator }
                let loss: Float
                do {
                    loss = try trainer.step(images: images, labels: labels, learningRate: Float(rate)).loss
                } catch let error as WeftError where error.message.hasPrefix("training diverged") {
                    // `Trainer.step`'s two checks: a loss or weights that are not finite.
                    return .nan
                }
                trainer.state.step += 1
                trainer.state.batchInEpoch += 1
                return Double(loss)
            }, onStep: onStep)
    }
}
