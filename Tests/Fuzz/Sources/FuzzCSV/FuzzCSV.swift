import Weft

/// libFuzzer entry point: a CSV list of images as the `csv` layout reads it (paths resolved
/// against a folder that does not exist, so every row's file is missing unless the list is
/// refused first). Any input must be refused with a `WeftError` or give a list whose entries
/// all have a class; the parse is one pass, so a slow input is a finding (libFuzzer's timeout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let contents = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let list = try ImageList.csv(bytes: contents, path: "/nonexistent-weft-fuzz/list.csv")
        guard list.entries.allSatisfy({ $0.label >= 0 && $0.label < list.classNames.count }) else {
            fatalError("a listed image has a label outside its classes")
        }
    } catch is WeftError {
    } catch {
        fatalError("the CSV reader threw something other than a WeftError: \(error)")
    }
    return 0
}
