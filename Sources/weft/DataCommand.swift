import ArgumentParser
import Foundation
import Weft

/// `weft data`: what a dataset holds, and a picture of it.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Describe the dataset: images, classes, pixel statistics, and a sample grid.",
        discussion: """
            With a config, loads the dataset its data section names (any layout: fashion-mnist, \
            idx, imageFolder, csv, cifar10, cifar100, npz) at its model.input shape; without one, \
            Fashion-MNIST's IDX files (from --data-dir, on Debian the package \
            dataset-fashion-mnist in \(FashionMNIST.defaultDirectory)). Prints, per split, the \
            image count and shape, the images per class, the pixel mean and standard deviation \
            per channel (pixel/255, the values to normalise with), and for image files how they \
            were decoded: the sizes found in the files and how many were resized.

            --grid writes a PNG with one row per class: its name, then samples enlarged twice.
            """
    )

    @Argument(help: "A training config whose data section to describe (default: Fashion-MNIST).")
    var config: String?

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "The directory holding the data (overrides data.directory).", valueName: "directory"))
    var dataDirectory: String?

    @Option(help: ArgumentHelp("Write a labelled grid of training samples to this PNG file.", valueName: "file.png"))
    var grid: String?

    @Option(help: "Training samples per class in the grid.")
    var samples = 8

    @Option(help: "Which samples the grid shows.")
    var seed: UInt64 = 0

    func validate() throws {
        guard samples > 0 else { throw ValidationError("--samples must be positive, got \(samples)") }
        if let grid, !grid.lowercased().hasSuffix(".png") {
            throw ValidationError("--grid must name a .png file, got \(grid)")
        }
    }

    func run() throws {
        do {
            var splits: [(DatasetSplit, ImageDataset, Double?)] = []
            var decoded: [DatasetSplit: DecodedImages] = [:]
            let name: String
            if let config {
                let settings = try TrainingConfig.load(path: config)
                let start = Date()
                let data = try loadTrainingData(settings, directoryOverride: dataDirectory)
                print(String(format: "loaded in %.2f s", Date().timeIntervalSince(start)))
                name = "\(settings.name) (\(settings.data.dataset))"
                splits.append((.train, data.train, nil))
                if data.hasTestSplit { splits.append((.test, data.test, nil)) }
                decoded = data.decoded
            } else {
                let dataset = FashionMNIST.dataset(directory: dataDirectory ?? FashionMNIST.defaultDirectory)
                name = dataset.name
                print("\(dataset.name) in \(dataset.directory)")
                for split in DatasetSplit.allCases {
                    let start = Date()
                    let images = try dataset.load(split)
                    splits.append((split, images, Date().timeIntervalSince(start)))
                }
            }
            for (split, images, seconds) in splits {
                describe(images, split: split, seconds: seconds, decoded: decoded[split])
            }
            if let grid, let training = splits.first?.1 {
                let picture = SampleGrid.render(
                    dataset: training, samplesPerClass: samples, scale: 2, seed: seed,
                    title: "\(name) train, seed \(seed)")
                try PNGFile.write(picture, to: grid)
                print(
                    "wrote \(grid): \(picture.width)×\(picture.height), \(training.classCount) classes × \(samples) samples"
                )
            }
        } catch let error as WeftError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func describe(_ images: ImageDataset, split: DatasetSplit, seconds: Double?, decoded: DecodedImages?) {
        let statistics = PixelStatistics(dataset: images)
        print("")
        let time = seconds.map { String(format: " (loaded in %.2f s)", $0) } ?? ""
        print(
            String(
                format: "%@: %d images of %d×%d×%d, pixel mean %.4f, std %.4f",
                split.rawValue, images.count, images.channels, images.height, images.width,
                statistics.mean, statistics.standardDeviation) + time)
        if images.channels > 1 {
            let means = statistics.channelMeans.map { String(format: "%.4f", $0) }.joined(separator: ", ")
            let deviations = statistics.channelStandardDeviations.map { String(format: "%.4f", $0) }.joined(
                separator: ", ")
            print("  per channel: mean [\(means)], std [\(deviations)]")
        }
        if let decoded { print("  " + DataCommand.sizeSummary(decoded, target: images)) }
        let nameWidth = images.classNames.map(\.count).max() ?? 0
        for (label, count) in statistics.classCounts.enumerated() {
            let name = images.classNames[label].padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            print(
                String(format: "  %2d %@ %7d  %5.2f%%", label, name, count, 100 * Double(count) / Double(images.count)))
        }
    }

    /// "sizes in the files: width 5–16 (median 10), height 4–16 (median 8); 9 of 9 resized to
    /// 8×8, 1 unreadable skipped".
    static func sizeSummary(_ decoded: DecodedImages, target: ImageDataset) -> String {
        func range(_ values: [Int]) -> String {
            let sorted = values.sorted()
            guard let first = sorted.first, let last = sorted.last else { return "none" }
            return first == last ? "\(first)" : "\(first)–\(last) (median \(sorted[sorted.count / 2]))"
        }
        var text =
            "sizes in the files: width \(range(decoded.originalSizes.map(\.width))), height \(range(decoded.originalSizes.map(\.height))); \(decoded.resizedCount) of \(target.count) resized to \(target.width)×\(target.height)"
        if !decoded.skipped.isEmpty { text += ", \(decoded.skipped.count) unreadable skipped" }
        if decoded.fromCache { text += " (from the cache)" }
        return text
    }
}
