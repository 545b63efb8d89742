import Weft

/// The config every fuzzed search is applied to (Configs/quick.json).
private let baseConfig = try? JSONParser.parse(
    """
    {"name": "quick", "data": {"dataset": "fashion-mnist", "validationFraction": 0.1, "trainLimit": 6000},
     "model": {"input": [1, 28, 28], "layers": [
        {"type": "conv2d", "filters": 8, "kernel": 3, "padding": 1}, {"type": "batchNorm"}, {"type": "relu"},
        {"type": "maxPool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}]},
     "training": {"epochs": 3, "batchSize": 64, "seed": 42, "optimizer": {"type": "adam", "learningRate": 0.003}}}
    """, source: "quick.json")

/// libFuzzer entry point: a `weft tune` search file (`--search`) and a stored search
/// (`search.json`, read by `--resume`). Any input must be refused with a `WeftError` or read; a
/// read search space must read back from its own JSON, and its candidates must apply to a config
/// (or be refused) as `weft tune` applies them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSearch(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let json = try? JSONParser.parse(bytes: bytes), let baseConfig else { return 0 }
    do {
        let space = try SearchSpace(json: json, source: "search.json")
        guard try SearchSpace(json: space.json, source: "again") == space else {
            fatalError("the search space changed on a round trip")
        }
        var candidates = try space.candidates(trials: 3, seed: 1)
        if space.gridSize <= 64, let grid = try? space.candidates(trials: nil, seed: 1) {
            guard grid.count == space.gridSize else {
                fatalError("the grid has \(grid.count) of \(space.gridSize) candidates")
            }
            candidates += grid
        }
        for candidate in candidates {
            var config = baseConfig
            for assignment in candidate {
                config = try assignment.override().apply(to: config)
            }
            _ = try? TrainingConfig(json: config, source: "candidate")
        }
    } catch is WeftError {
    } catch {
        fatalError("the search reader threw something other than a WeftError: \(error)")
    }
    do {
        _ = try TuneSpec(json: json, source: "search.json")
    } catch is WeftError {
    } catch {
        fatalError("the stored-search reader threw something other than a WeftError: \(error)")
    }
    return 0
}
