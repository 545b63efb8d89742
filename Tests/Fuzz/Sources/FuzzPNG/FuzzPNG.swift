import Weft

/// libFuzzer entry point: a PNG image as `weft predict` reads it (libpng's simplified API behind
/// Weft's checks). Any input must be refused with a `WeftError` or decoded; a decoded image must
/// encode and decode again to the same pixels.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let image = try PNGFile.decode(bytes, name: "fuzz.png")
        guard image.pixels.count == image.width * image.height * image.channels else {
            fatalError(
                "the decoded image has \(image.pixels.count) bytes for \(image.width)×\(image.height)×\(image.channels)"
            )
        }
        guard try PNGFile.decode(try PNGFile.encode(image), name: "again.png") == image else {
            fatalError("the image changed on a round trip")
        }
    } catch is WeftError {
    } catch {
        fatalError("the PNG reader threw something other than a WeftError: \(error)")
    }
    return 0
}
