import Foundation

/// Test-time augmentation (TTA): the model is run on several views of each image and the
/// softmax probabilities are averaged over the views (the probabilities, not the logits).
/// Predictions, accuracy and loss then come from the averaged probabilities; the loss is
/// `-log p̄(label)`.
///
/// The views of a config's `evaluation.tta`:
/// - `["flip"]`: identity, horizontal mirror (2 views);
/// - `["shift1"]`: identity, then the content moved one pixel up, down, left, right (5 views);
/// - both: the product {identity, mirror} × {no shift, up, down, left, right} (10 views), each
///   view mirroring first and translating second.
///
/// A translation fills the row or column it uncovers with the pixel value 0 (black) before
/// normalisation, as torchvision's `RandomCrop(padding=...)` pads with zeros; on normalised
/// images that is each channel's `(0 - mean) / std`. The identity view is always first, so the
/// plain (identity-only) result comes with no extra forward pass.
///
/// Batches are transformed as `[N, C, H, W]` bytes or normalised floats; the averaging sums the
/// views' probabilities in the order of `views` (a fixed order, so results are reproducible).
public struct TestTimeAugmentation: Equatable, Sendable {
    /// One view of an image: an optional horizontal mirror, then a translation of at most one
    /// pixel. `output[y][x] = mirrored(input)[y - rowShift][x - columnShift]`, the fill outside.
    public struct View: Equatable, Sendable {
        public var mirrored: Bool
        /// Rows the content moves down (-1: up).
        public var rowShift: Int
        /// Columns the content moves right (-1: left).
        public var columnShift: Int

        public init(mirrored: Bool = false, rowShift: Int = 0, columnShift: Int = 0) {
            self.mirrored = mirrored
            self.rowShift = rowShift
            self.columnShift = columnShift
        }

        public static let identity = View()
        /// The four ±1-pixel translations: up, down, left, right.
        public static let shifts = [
            View(rowShift: -1), View(rowShift: 1), View(columnShift: -1), View(columnShift: 1)
        ]

        /// `identity`, `flip`, `up`, `down`, `left`, `right`, or `flip+up` and so on.
        public var name: String {
            let shift =
                rowShift < 0 ? "up" : rowShift > 0 ? "down" : columnShift < 0 ? "left" : columnShift > 0 ? "right" : ""
            switch (mirrored, shift.isEmpty) {
            case (false, true): return "identity"
            case (true, true): return "flip"
            case (false, false): return shift
            case (true, false): return "flip+" + shift
            }
        }

        /// Writes this view of `images` images `[N, C, H, W]` from `source` into `destination`
        /// (separate buffers), uncovered pixels set to `fill[channel]`.
        public func transform<Element>(
            _ source: UnsafePointer<Element>, into destination: UnsafeMutablePointer<Element>, images: Int,
            channels: Int, height: Int, width: Int, fill: [Element]
        ) {
            precondition(fill.count == channels, "TestTimeAugmentation.View: one fill value per channel is needed")
            for plane in 0..<(images * channels) {
                let from = source + plane * height * width, to = destination + plane * height * width
                let value = fill[plane % channels]
                for y in 0..<height {
                    let sourceRow = y - rowShift
                    guard sourceRow >= 0, sourceRow < height else {
                        (to + y * width).update(repeating: value, count: width)
                        continue
                    }
                    for x in 0..<width {
                        let shifted = x - columnShift
                        guard shifted >= 0, shifted < width else {
                            to[y * width + x] = value
                            continue
                        }
                        to[y * width + x] = from[sourceRow * width + (mirrored ? width - 1 - shifted : shifted)]
                    }
                }
            }
        }

        /// This view of image bytes `[N, C, H, W]` (`shape`), uncovered pixels 0 (black).
        public func apply(bytes: [UInt8], shape: [Int]) -> [UInt8] {
            precondition(
                shape.count == 4 && bytes.count == shape.reduce(1, *), "View.apply: bytes do not fill \(shape)")
            var output = [UInt8](repeating: 0, count: bytes.count)
            bytes.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { destination in
                    guard let from = source.baseAddress, let to = destination.baseAddress else { return }
                    transform(
                        from, into: to, images: shape[0], channels: shape[1], height: shape[2], width: shape[3],
                        fill: [UInt8](repeating: 0, count: shape[1]))
                }
            }
            return output
        }

        /// This view of normalised images `[N, C, H, W]`, uncovered pixels `fill[channel]`.
        public func apply(images: Tensor, fill: [Float]) -> Tensor {
            precondition(images.shape.rank == 4, "View.apply: images \(images.shape) must be [N, C, H, W]")
            if self == .identity { return images }
            let output = Tensor(uninitializedShape: images.shape)
            transform(
                images.data, into: output.data, images: images.shape[0], channels: images.shape[1],
                height: images.shape[2], width: images.shape[3], fill: fill)
            return output
        }
    }

    /// The families the config names, in its order.
    public let families: [EvaluationConfig.ViewFamily]
    /// The views, identity first.
    public let views: [View]

    /// The views of `families` (see the type's documentation); nil when `families` is empty.
    public init?(families: [EvaluationConfig.ViewFamily]) {
        guard !families.isEmpty else { return nil }
        self.families = families
        let mirrors = families.contains(.flip) ? [false, true] : [false]
        let shifts = [View.identity] + (families.contains(.shift1) ? View.shifts : [])
        views = mirrors.flatMap { mirrored in
            shifts.map { View(mirrored: mirrored, rowShift: $0.rowShift, columnShift: $0.columnShift) }
        }
    }

    /// The views of a config's `evaluation.tta`, or nil when the config has none.
    public init?(config: TrainingConfig) {
        self.init(families: config.evaluation?.testTimeAugmentation ?? [])
    }

    /// How reports name it: `TTA flip`, `TTA shift1`, `TTA flip+shift1`.
    public var label: String { "TTA " + families.map(\.rawValue).joined(separator: "+") }

    /// The softmax probabilities `[N, classes]` of normalised images `[N, C, H, W]` averaged over
    /// the views.
    ///
    /// - Parameters:
    ///   - images: the normalised batch (the identity view).
    ///   - fill: each channel's normalised value of the byte 0, written where a shift uncovers pixels.
    ///   - identityLogits: the logits of `images` when already computed (saves one forward pass).
    ///   - logits: the model, `[N, C, H, W]` → `[N, classes]` logits, in evaluation mode.
    public func averagedProbabilities(
        images: Tensor, fill: [Float], identityLogits: Tensor? = nil, logits: (Tensor) -> Tensor
    ) -> Tensor {
        var sum: Tensor?
        for view in views {
            let output =
                view == .identity ? (identityLogits ?? logits(images)) : logits(view.apply(images: images, fill: fill))
            let probabilities = Autograd.withoutRecording { output.softmax() }
            if let sum {
                for index in 0..<sum.count { sum.data[index] += probabilities.data[index] }
            } else {
                sum = probabilities.copy()
            }
        }
        guard let sum else { preconditionFailure("TestTimeAugmentation: no views") }
        let count = Float(views.count)
        for index in 0..<sum.count { sum.data[index] /= count }
        return sum
    }

    /// The logarithm of `probabilities` (clamped at the smallest positive float), so the averaged
    /// probabilities can be read wherever logits are: their softmax gives the probabilities back,
    /// their argmax the same class, their cross-entropy `-log p̄(label)`.
    public static func logarithms(of probabilities: Tensor) -> Tensor {
        let output = Tensor(uninitializedShape: probabilities.shape)
        for index in 0..<probabilities.count {
            output.data[index] = logf(max(probabilities.data[index], Float.leastNonzeroMagnitude))
        }
        return output
    }
}

extension TrainedModel {
    /// Each channel's normalised value of the byte 0: what a TTA shift fills uncovered pixels with.
    public var blackFill: [Float] {
        (0..<config.model.input[0]).map { normalization.table(channel: $0)[0] }
    }

    /// The softmax probabilities `[N, classes]` of normalised images `[N, C, H, W]` averaged over
    /// `augmentation`'s views (`identityLogits`: the plain logits, when already computed).
    public func averagedProbabilities(
        _ images: Tensor, augmentation: TestTimeAugmentation, identityLogits: Tensor? = nil
    ) -> Tensor {
        augmentation.averagedProbabilities(images: images, fill: blackFill, identityLogits: identityLogits) {
            logits($0)
        }
    }
}
