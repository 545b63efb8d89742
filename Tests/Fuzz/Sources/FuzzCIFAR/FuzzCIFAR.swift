import Weft

/// libFuzzer entry point: a CIFAR-10 or CIFAR-100 binary batch, and a class-name file, as
/// `CIFARBinary.load` reads them. Any input must be refused with a `WeftError` or read to a
/// whole number of `[3, 32, 32]` images with labels inside the classes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for variant in [CIFARBinary.Variant.cifar10, .cifar100(coarse: false), .cifar100(coarse: true)] {
        do {
            let records = try CIFARBinary.records(contents: bytes, name: "fuzz.bin", variant: variant)
            let classCount = variant == .cifar10 ? 10 : variant == .cifar100(coarse: true) ? 20 : 100
            guard records.images.count == records.labels.count * CIFARBinary.imageBytes,
                records.labels.count * variant.recordBytes == bytes.count,
                records.labels.allSatisfy({ (0..<classCount).contains($0) })
            else {
                fatalError("\(records.labels.count) records from \(bytes.count) bytes, labels \(records.labels)")
            }
        } catch is WeftError {
        } catch {
            fatalError("the CIFAR reader threw something other than a WeftError: \(error)")
        }
        do {
            _ = try CIFARBinary.classNames(contents: bytes, name: "fuzz.txt", variant: variant)
        } catch is WeftError {
        } catch {
            fatalError("the class-name reader threw something other than a WeftError: \(error)")
        }
    }
    return 0
}
