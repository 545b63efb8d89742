import Weft

/// libFuzzer entry point: a safetensors file or Weft checkpoint as `weft inspect`, `weft resume`
/// and `weft import` read it (length, JSON header, tensor table, data; then the checkpoint's
/// metadata: config, state, normalisation, class names). Checksums are not required, so the
/// fuzzer can change the header freely. Any input must be refused with a `WeftError` or decoded;
/// a decoded file must encode and decode again (checksums then required) to the same tensors.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let file: SafetensorsFile
    do {
        file = try SafetensorsFile.decode(bytes, name: "fuzz.safetensors", allowedTypes: [.float32, .int64])
    } catch is WeftError {
        return 0
    } catch {
        fatalError("the safetensors reader threw something other than a WeftError: \(error)")
    }
    do {
        let again = try SafetensorsFile.decode(
            file.encoded(), name: "again", requireChecksums: true,
            allowedTypes: [.float32, .int64])
        guard again.entries.count == file.entries.count else { fatalError("the round trip changed the tensor count") }
        for (a, b) in zip(again.entries, file.entries) {
            guard a.name == b.name, a.shape == b.shape, a.dataType == b.dataType, a.integers == b.integers,
                a.values.map(\.bitPattern) == b.values.map(\.bitPattern)
            else {
                fatalError("the round trip changed tensor \(b.name)")
            }
        }
        let kept = file.metadata.filter { $0.key != "dataCrc32" && $0.key != "headerCrc32" }
        let back = again.metadata.filter { $0.key != "dataCrc32" && $0.key != "headerCrc32" }
        guard kept.map(\.key) == back.map(\.key), kept.map(\.value) == back.map(\.value) else {
            fatalError("the round trip changed the metadata")
        }
    } catch {
        fatalError("a decoded file does not read back after encoding: \(error)")
    }
    do {
        _ = try Checkpoint(file: file, path: "fuzz.safetensors")
    } catch is WeftError {
    } catch {
        fatalError("the checkpoint reader threw something other than a WeftError: \(error)")
    }
    return 0
}
