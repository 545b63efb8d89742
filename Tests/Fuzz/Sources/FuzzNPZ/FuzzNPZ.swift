import Weft

/// libFuzzer entry point: a NumPy `.npy` array (an input starting `\x93NUMPY`) or an `.npz`
/// archive, as the npz dataset reads them. Any input must be refused with a `WeftError` or read;
/// a read array must hold exactly its shape's elements. Members may decompress to 16 MiB in all.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPZ(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    func check(_ array: NumpyArray) throws {
        guard array.shape.reduce(1, *) * array.elementType.size == array.bytes.count else {
            fatalError("the array \(array.shape) of \(array.elementType) holds \(array.bytes.count) bytes")
        }
        _ = try array.integers()
    }
    do {
        if bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
            try check(try NumpyArray(contents: bytes, name: "fuzz.npy"))
        } else {
            let archive = try NPZFile(contents: bytes, name: "fuzz.npz", maximumTotalBytes: 1 << 24)
            for name in archive.arrayNames {
                do {
                    try check(try archive.array(name, expecting: name.hasPrefix("x") ? .uint8 : .integers))
                } catch is WeftError {
                }
            }
        }
    } catch is WeftError {
    } catch {
        fatalError("the npz reader threw something other than a WeftError: \(error)")
    }
    return 0
}
