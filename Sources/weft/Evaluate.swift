import ArgumentParser
import Foundation
import Weft

/// `weft evaluate CHECKPOINT`: a checkpoint's model on one split, in numbers.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint: loss, accuracy, per-class report and confusion matrix.",
        discussion: """
            A checkpoint of a run with training.ema is used with its moving average of the \
            weights (its average.* tensors), the model its validation measured.

            Loads the checkpoint's model and the dataset its config names, and evaluates one split \
            in evaluation mode: the test split (after data.testLimit) by default, or the validation \
            split recomputed from the config's seed exactly as training made it, or the training \
            images (without augmentation). Prints the loss, the accuracy, the top-2 accuracy, \
            precision / recall / F1 / support per class with macro and weighted averages (the \
            layout of scikit-learn's classification_report; a class never predicted has precision \
            0) and the confusion matrix (rows: true class, columns: predicted class).

            --json writes all of it as JSON (accuracy, top2Accuracy, loss, confusionMatrix, \
            perClass, macroAverage, weightedAverage, ...); --predictions writes one CSV line per \
            image: index,label,predicted and one probability column per class.

            With the config's "evaluation": {"tta": ["flip", "shift1"]}, the loss and accuracies \
            of the softmax probabilities averaged over the test-time views (identity, mirror, \
            ±1-pixel shifts) are printed beside the plain ones and written as ttaLoss, \
            ttaAccuracy and ttaTop2Accuracy; the per-class report, the confusion matrix and \
            --predictions stay the plain network's.

            Examples:
              weft evaluate Models/cnn-bn/best.safetensors
              weft evaluate Models/quick/last.safetensors --split validation
              weft evaluate Models/quick/last.safetensors --json test.json
              weft evaluate Models/quick/last.safetensors --predictions test.csv
            """
    )

    @Argument(help: "A checkpoint written by weft train, e.g. Models/cnn-bn/last.safetensors.")
    var checkpoint: String

    @Option(help: "The images to evaluate: test, validation or train.")
    var split: String = EvaluationSplit.test.rawValue

    @Option(help: "The dataset folder (overrides data.directory).")
    var dataDir: String?

    @Option(help: ArgumentHelp("Also write every metric to this JSON file.", valueName: "file.json"))
    var json: String?

    @Option(
        help: ArgumentHelp(
            "Also write each image's label, prediction and probabilities to this CSV file.", valueName: "file.csv"))
    var predictions: String?

    @Option(help: "Images per forward pass (default: the config's training.evaluationBatchSize).")
    var batchSize: Int?

    @Option(
        help: ArgumentHelp(
            "Test-time views instead of the config's evaluation.tta: flip, shift1, flip,shift1 or none.",
            valueName: "families"))
    var tta: String?

    @OptionGroup var threading: ThreadsOption

    func validate() throws {
        guard EvaluationSplit(rawValue: split) != nil else {
            throw ValidationError("--split must be test, validation or train, got \(split)")
        }
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
    }

    func run() throws {
        try reportingErrors {
            threading.apply()
            for path in [json, predictions].compactMap({ $0 }) { try OutputFile.checkWritable(path) }
            let split = EvaluationSplit(rawValue: split) ?? .test
            let evaluation = try ModelEvaluation.evaluate(
                checkpointPath: checkpoint, split: split, dataDirectory: dataDir,
                batchSize: batchSize, testTimeAugmentation: try tta.map(Evaluate.viewFamilies)
            ).evaluation
            print(evaluation.text, terminator: "")
            if let json {
                try OutputFile.write(evaluation.json.serialized() + "\n", to: json)
                print("wrote \(json)")
            }
            if let predictions {
                try OutputFile.write(evaluation.predictions.csv, to: predictions)
                print("wrote \(predictions): \(evaluation.count) images")
            }
        }
    }

    /// The families `--tta` names ("flip,shift1"; "none" for the plain network only).
    static func viewFamilies(_ text: String) throws -> [EvaluationConfig.ViewFamily] {
        if text == "none" { return [] }
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let families = names.compactMap(EvaluationConfig.ViewFamily.init(rawValue:))
        guard families.count == names.count, !families.isEmpty, Set(families).count == families.count else {
            throw WeftError("--tta must be flip, shift1, flip,shift1 or none, got \"\(text)\"")
        }
        return families
    }
}
