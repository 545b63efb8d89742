import ArgumentParser
import Weft

@main
struct WeftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "Train convolutional neural networks on the CPU from a JSON config.",
        version: Weft.version,
        subcommands: [
            Train.self, Resume.self, Evaluate.self, Report.self, Predict.self, Export.self, Import.self,
            Inspect.self, DataCommand.self, Bench.self, Tune.self, LRFind.self
        ]
    )
}
