import Weft

/// libFuzzer entry point: an IDX file (plain or gzipped) as the dataset loaders read it. Any input
/// must be refused with a `WeftError` or read; a read file must encode to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var contents = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        if GzipFile.isGzip(contents) {
            contents = try GzipFile.inflate(contents, name: "fuzz.gz", maximumBytes: 1 << 24)
        }
        let file = try IDXFile(contents: contents, name: "fuzz")
        guard file.encoded() == contents else { fatalError("the IDX file does not encode to its own bytes") }
    } catch is WeftError {
    } catch {
        fatalError("the IDX reader threw something other than a WeftError: \(error)")
    }
    return 0
}
