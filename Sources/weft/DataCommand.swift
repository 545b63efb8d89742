import ArgumentParser
import Foundation
import Weft

/// `weft data`: what a dataset holds, and a picture of it.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Describe the dataset: images, classes, pixel statistics, and a sample grid.",
        discussion: """
            Loads Fashion-MNIST's training and test splits (IDX files, gzipped or not) and prints, \
            per split, the image count and size, the images per class and the pixel mean and \
            standard deviation (pixel/255, the values to normalise with). On Debian the files come \
            from the package dataset-fashion-mnist (\(FashionMNIST.defaultDirectory)).

            --grid writes a PNG with one row per class: its name, then samples enlarged twice.
            """
    )

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp("The directory holding the IDX files.", valueName: "directory"))
    var dataDirectory = FashionMNIST.defaultDirectory

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
            let dataset = FashionMNIST.dataset(directory: dataDirectory)
            print("\(dataset.name) in \(dataset.directory)")
            var training: ImageDataset?
            for split in DatasetSplit.allCases {
                let start = Date()
                let images = try dataset.load(split)
                let seconds = Date().timeIntervalSince(start)
                describe(images, split: split, seconds: seconds)
                if split == .train { training = images }
            }
            if let grid, let training {
                let picture = SampleGrid.render(
                    dataset: training, samplesPerClass: samples, scale: 2, seed: seed,
                    title: "\(dataset.name) train, seed \(seed)")
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

    private func describe(_ images: ImageDataset, split: DatasetSplit, seconds: Double) {
        let statistics = PixelStatistics(dataset: images)
        print("")
        print(
            String(
                format: "%@: %d images of %d×%d×%d, pixel mean %.4f, std %.4f (loaded in %.2f s)",
                split.rawValue, images.count, images.channels, images.height, images.width,
                statistics.mean, statistics.standardDeviation, seconds))
        if images.channels > 1 {
            let means = statistics.channelMeans.map { String(format: "%.4f", $0) }.joined(separator: ", ")
            let deviations = statistics.channelStandardDeviations.map { String(format: "%.4f", $0) }.joined(
                separator: ", ")
            print("  per channel: mean [\(means)], std [\(deviations)]")
        }
        let nameWidth = images.classNames.map(\.count).max() ?? 0
        for (label, count) in statistics.classCounts.enumerated() {
            let name = images.classNames[label].padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            print(
                String(format: "  %2d %@ %7d  %5.2f%%", label, name, count, 100 * Double(count) / Double(images.count)))
        }
    }
}
