import Weft

/// libFuzzer entry point: a JPEG image as `weft predict` and the image-folder datasets read it
/// (libjpeg-turbo behind Weft's checks). Any input must be refused with a `WeftError` or decoded;
/// a decoded image must have the bytes its size says, and encode and decode again to the same
/// size and channels.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let image = try JPEGFile.decode(bytes, name: "fuzz.jpg")
        guard image.pixels.count == image.width * image.height * image.channels else {
            fatalError(
                "the decoded image has \(image.pixels.count) bytes for \(image.width)×\(image.height)×\(image.channels)"
            )
        }
        let again = try JPEGFile.decode(try JPEGFile.encode(image, quality: 90), name: "again.jpg")
        guard again.width == image.width, again.height == image.height, again.channels == image.channels else {
            fatalError("the image changed size on a round trip")
        }
    } catch is WeftError {
    } catch {
        fatalError("the JPEG reader threw something other than a WeftError: \(error)")
    }
    return 0
}
