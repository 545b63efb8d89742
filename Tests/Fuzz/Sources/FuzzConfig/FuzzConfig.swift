import Weft

/// libFuzzer entry point: a config file as `weft train` and `weft inspect` read it (JSON, then
/// `TrainingConfig` validation, then the model's shapes). Any input must be refused with a
/// `WeftError` or accepted; an accepted config's resolved form (what checkpoints store) must read
/// back as the same config.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let json = try? JSONParser.parse(bytes: bytes) else { return 0 }
    let config: TrainingConfig
    do {
        config = try TrainingConfig(json: json, source: "fuzz.json")
        // What weft inspect prints: the layer table with its totals, and the fusion plan.
        let builder = try ModelBuilder(config: config.model, source: "fuzz.json")
        _ = builder.layerTable
        _ = ModelBuilder.planDescription(config.model.layers, input: config.model.input)
    } catch is WeftError {
        return 0
    } catch {
        fatalError("the config reader threw something other than a WeftError: \(error)")
    }
    let resolved = config.json.serialized()
    do {
        let again = try TrainingConfig(json: try JSONParser.parse(resolved, source: "resolved"), source: "resolved")
        guard again == config else { fatalError("the resolved config reads back as another config:\n\(resolved)") }
    } catch {
        fatalError("the resolved config does not read back (\(error)):\n\(resolved)")
    }
    return 0
}
