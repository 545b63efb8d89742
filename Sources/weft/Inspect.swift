import ArgumentParser
import Weft

/// `weft inspect CONFIG`: validate a config and print its layer table.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a config and print its layers, output shapes, parameters and FLOPs.",
        discussion: "Nothing is trained or allocated. FLOPs count the multiply-adds (×2) of convolutions and dense layers for one image's forward pass; a training step costs about three times that."
    )

    @Argument(help: "A JSON config, e.g. Configs/cnn-bn.json.")
    var file: String

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set training.epochs=3 (repeatable).")
    var overrides: [String] = []

    func run() throws {
        try reportingErrors {
            let config = try TrainingConfig.load(path: file, overrides: overrides)
            let builder = try ModelBuilder(config: config.model, source: file)
            print("\(config.name): \(file)")
            print(builder.layerTable)
            print("\(builder.parameterCount) parameters, \(ModelBuilder.megaflops(builder.flopsPerImage)) MFLOP per image forward")
        }
    }
}
