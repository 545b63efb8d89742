import Weft

/// libFuzzer entry point: the JSON reader behind configs, search files and checkpoint headers.
/// Any input must be refused with a `JSONParser.Failure` or parsed; a parsed value must read back
/// unchanged from the text Weft writes for it (compact and indented).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let value: JSONValue
    do {
        value = try JSONParser.parse(bytes: bytes)
    } catch is JSONParser.Failure {
        return 0
    } catch {
        fatalError("JSONParser threw something other than a Failure: \(error)")
    }
    for pretty in [false, true] {
        let text = value.serialized(pretty: pretty)
        guard let again = try? JSONParser.parse(text, source: "fuzz") else {
            fatalError("Weft cannot read back what it wrote: \(text.prefix(300))")
        }
        guard again == value, again.serialized(pretty: pretty) == text else {
            fatalError("the value changed on a round trip: \(text.prefix(300))")
        }
    }
    return 0
}
