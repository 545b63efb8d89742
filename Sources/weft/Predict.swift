import ArgumentParser
import Foundation
import Weft

/// `weft predict CHECKPOINT IMAGE...`: the most probable classes of images.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify PNG, JPEG or PGM images, or images of an IDX file, with a checkpoint's model.",
        discussion: """
            A checkpoint of a run with training.ema is used with its moving average of the \
            weights (its average.* tensors), the model its validation measured.

            Each image is prepared as the model was trained: converted to the model's channels \
            (gray by ITU-R BT.601 luma, or gray repeated as RGB), for a model of Fashion-MNIST or \
            IDX files inverted when its border is light (those show light garments on black; \
            --invert always|never decides instead), and fitted to the model's input as the \
            config's data.resize fits training images (stretch, or centerCrop to the aspect ratio \
            first; area averaging when shrinking, bilinear when enlarging). Then it is normalised \
            with the checkpoint's mean and std.

            --idx reads images from an IDX file (gzipped or not), e.g. Fashion-MNIST's \
            t10k-images-idx3-ubyte.gz, never inverted unless --invert always; --range picks \
            images by index (0..<10, 0...9 or 7; default: all); --labels adds the true classes \
            and the accuracy.

            Prints one line per image with the --top classes and their probabilities, or with \
            --json one JSON document. With the config's "evaluation": {"tta": [...]}, or --tta, \
            the probabilities are averaged over the test-time views (identity, mirror, ±1-pixel \
            shifts).

            Examples:
              weft predict Models/cnn-bn/best.safetensors shirt.png boot.pgm --top 3
              weft predict Models/cnn-bn/best.safetensors --idx /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --range 0..<10 --json
            """
    )

    @Argument(help: "A checkpoint written by weft train or weft import.")
    var checkpoint: String

    @Argument(help: "PNG, JPEG or PGM images of any size (recognised by their first bytes).")
    var images: [String] = []

    @Option(help: "How many of the most probable classes to show.")
    var top = 3

    @Flag(help: "Print one JSON document instead of lines.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Invert the images: auto (when the border is light; never for --idx), always or never.", valueName: "when"))
    var invert = "auto"

    @Option(help: ArgumentHelp("An IDX file of images ([N, H, W] or [N, H, W, C] bytes).", valueName: "file"))
    var idx: String?

    @Option(
        help: ArgumentHelp(
            "The images of the IDX file to classify: 0..<10, 0...9 or 7 (default: all).", valueName: "range"))
    var range: String?

    @Option(
        help: ArgumentHelp(
            "An IDX file of the --idx images' labels, to show the true classes and the accuracy.", valueName: "file"))
    var labels: String?

    @Option(
        help: ArgumentHelp(
            "Test-time views instead of the config's evaluation.tta: flip, shift1, flip,shift1 or none.",
            valueName: "families"))
    var tta: String?

    @OptionGroup var threading: ThreadsOption

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be positive, got \(top)") }
        guard !images.isEmpty || idx != nil else { throw ValidationError("give at least one image, or --idx FILE") }
        if idx == nil, range != nil || labels != nil { throw ValidationError("--range and --labels need --idx FILE") }
    }

    /// An image to classify: where it came from, its prepared bytes, and its true label if known.
    private struct Item {
        let source: String
        let index: Int?
        let prepared: ImagePreparation.Prepared
        let label: Int?
    }

    func run() throws {
        try reportingErrors {
            threading.apply()
            guard let inversion = ImagePreparation.Inversion(rawValue: invert) else {
                throw WeftError("--invert must be auto, always or never, got \"\(invert)\"")
            }
            var model = try TrainedModel(checkpointPath: checkpoint)
            if let tta { model.testTimeAugmentation = TestTimeAugmentation(families: try Evaluate.viewFamilies(tta)) }
            let photos = !["fashion-mnist", "idx"].contains(model.config.data.dataset)
            var preparation = ImagePreparation(
                input: model.config.model.input, inversion: photos && inversion == .automatic ? .never : inversion,
                resize: model.config.data.resize)
            var items: [Item] = []
            for path in images {
                let image = try PixelImage.read(path: path)
                items.append(
                    Item(source: path, index: nil, prepared: try preparation.prepare(image, source: path), label: nil))
            }
            if let idx {
                if inversion == .automatic { preparation.inversion = .never }
                items += try idxItems(idx, preparation: preparation, classCount: model.classNames.count)
            }
            let bytes = items.flatMap(\.prepared.planes)
            let predictions = model.predict(imageBytes: bytes, count: items.count, top: top)
            if json {
                print(document(items, predictions, model: model).serialized(pretty: true))
            } else {
                for (item, prediction) in zip(items, predictions) { print(line(item, prediction, model: model)) }
                let labelled = zip(items, predictions).filter { $0.0.label != nil }
                if !labelled.isEmpty {
                    let correct = labelled.filter { $0.0.label == $0.1.label }.count
                    let tta = model.testTimeAugmentation.map { " with \($0.label), \($0.views.count) views" } ?? ""
                    print(
                        String(
                            format: "accuracy: %d of %d (%.2f%%)", correct, labelled.count,
                            100 * Double(correct) / Double(labelled.count)) + tta)
                }
            }
        }
    }

    /// The chosen images of the IDX file, with their labels when `--labels` is given.
    private func idxItems(_ path: String, preparation: ImagePreparation, classCount: Int) throws -> [Item] {
        let file = try IDXImageFile(path: path)
        let chosen = try Predict.indices(range, count: file.count, file: path)
        let trueLabels = try labels.map { try file.labels(path: $0, classCount: classCount) }
        return try chosen.map { index in
            Item(
                source: path, index: index, prepared: try preparation.prepare(file.image(at: index), source: path),
                label: trueLabels?[index])
        }
    }

    /// The indices `text` names (`0..<10`, `0...9`, `7`; nil: all) among `count` images.
    static func indices(_ text: String?, count: Int, file: String) throws -> [Int] {
        guard let text else { return Array(0..<count) }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var bounds: (Int, Int)?
        if let separator = trimmed.range(of: "..<") {
            if let low = Int(trimmed[..<separator.lowerBound]), let high = Int(trimmed[separator.upperBound...]) {
                bounds = (low, high)
            }
        } else if let separator = trimmed.range(of: "...") {
            if let low = Int(trimmed[..<separator.lowerBound]), let high = Int(trimmed[separator.upperBound...]),
                high < Int.max
            {
                bounds = (low, high + 1)
            }
        } else if let single = Int(trimmed), single < Int.max {
            bounds = (single, single + 1)
        }
        guard let (low, high) = bounds, low >= 0, low < high else {
            throw WeftError("--range must look like 0..<10, 0...9 or 7 (non-empty, from 0), got \"\(text)\"")
        }
        guard high <= count else {
            throw WeftError(
                "\(file): holds \(count) images, but --range \(text) goes up to index \(high - 1); use indices below \(count)"
            )
        }
        return Array(low..<high)
    }

    private func name(_ item: Item) -> String {
        item.index.map { "\(item.source) #\($0)" } ?? item.source
    }

    private func line(_ item: Item, _ prediction: Prediction, model: TrainedModel) -> String {
        let classes = prediction.ranked.map { String(format: "%@ %.2f%%", $0.className, 100 * $0.probability) }.joined(
            separator: ", ")
        var notes: [String] = []
        if item.prepared.resized {
            notes.append(
                "\(item.prepared.originalWidth)×\(item.prepared.originalHeight) resized to \(model.config.model.input[2])×\(model.config.model.input[1])"
            )
        }
        if item.prepared.inverted { notes.append("inverted") }
        if let label = item.label {
            notes.append("label \(model.classNames[label])\(label == prediction.label ? "" : ", wrong")")
        }
        return "\(name(item)): \(classes)" + (notes.isEmpty ? "" : "  (\(notes.joined(separator: ", ")))")
    }

    private func document(_ items: [Item], _ predictions: [Prediction], model: TrainedModel) -> JSONValue {
        let entries: [JSONValue] = zip(items, predictions).map { item, prediction in
            var members: [(key: String, value: JSONValue)] = [("source", .string(item.source))]
            if let index = item.index { members.append(("index", .number(Double(index)))) }
            members += [
                ("width", .number(Double(item.prepared.originalWidth))),
                ("height", .number(Double(item.prepared.originalHeight))),
                ("inverted", .bool(item.prepared.inverted)),
                (
                    "top",
                    .array(
                        prediction.ranked.map { ranked in
                            .object([
                                ("label", .number(Double(ranked.label))), ("class", .string(ranked.className)),
                                ("probability", .number(Double(ranked.probability)))
                            ])
                        })
                )
            ]
            if let label = item.label {
                members += [
                    ("trueLabel", .number(Double(label))), ("trueClass", .string(model.classNames[label])),
                    ("correct", .bool(label == prediction.label))
                ]
            }
            return .object(members)
        }
        var members: [(key: String, value: JSONValue)] = [
            ("checkpoint", .string(checkpoint)), ("predictions", .array(entries))
        ]
        let labelled = zip(items, predictions).filter { $0.0.label != nil }
        if !labelled.isEmpty {
            let correct = labelled.filter { $0.0.label == $0.1.label }.count
            members.append(("accuracy", .number(Double(correct) / Double(labelled.count))))
        }
        return .object(members)
    }
}
