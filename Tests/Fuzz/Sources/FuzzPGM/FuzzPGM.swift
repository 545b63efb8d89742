import Weft

/// libFuzzer entry point: a PGM image (P2 or P5) as `weft predict` reads it. Any input must be
/// refused with a `WeftError` or decoded to exactly width × height pixels.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPGM(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let image = try PGMFile.decode(bytes, name: "fuzz.pgm")
        guard image.channels == 1, image.pixels.count == image.width * image.height else {
            fatalError("the decoded image has \(image.pixels.count) bytes for \(image.width)×\(image.height)")
        }
    } catch is WeftError {
    } catch {
        fatalError("the PGM reader threw something other than a WeftError: \(error)")
    }
    return 0
}
