import CZlib
import Foundation
import Weft
import XCTest

/// A fresh directory under the system's temporary directory, removed when released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array(
            (NSTemporaryDirectory() as NSString).appendingPathComponent("weft-test-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!) }
        guard created != nil else { throw WeftError("cannot create a temporary directory") }
        path = String(cString: template)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Writes `bytes` to `name` as they are; returns the path.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// Writes `bytes` gzip-compressed to `name` with zlib's own `gzopen`/`gzwrite`; returns the path.
    @discardableResult
    func writeGzip(_ bytes: [UInt8], to name: String) throws -> String {
        let target = file(name)
        guard let handle = gzopen(target, "wb") else { throw WeftError("\(target): gzopen failed") }
        let written = bytes.withUnsafeBytes { buffer in gzwrite(handle, buffer.baseAddress, UInt32(buffer.count)) }
        guard gzclose(handle) == Z_OK, Int(written) == bytes.count else { throw WeftError("\(target): gzwrite failed") }
        return target
    }
}

/// Asserts that `expression` throws a `WeftError` whose message contains every fragment.
func assertThrowsWeftError<T>(
    _ expression: @autoclosure () throws -> T, containing fragments: [String],
    _ context: String = "", file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try expression()
        XCTFail("\(context): expected a WeftError mentioning \(fragments), got a result", file: file, line: line)
    } catch let error as WeftError {
        for fragment in fragments where !error.message.contains(fragment) {
            XCTFail(
                "\(context): the message \"\(error.message)\" does not mention \"\(fragment)\"", file: file, line: line)
        }
    } catch {
        XCTFail("\(context): expected a WeftError, got \(error)", file: file, line: line)
    }
}

/// Small synthetic datasets for the data tests.
enum DataFixtures {
    /// `count` images `[C, H, W]` whose pixel `p` of image `n` is `(n * 31 + p * 7) % 256`, and
    /// labels `n % classCount`.
    static func dataset(count: Int, channels: Int = 1, height: Int = 4, width: Int = 5, classCount: Int = 3) throws
        -> ImageDataset
    {
        let size = channels * height * width
        let images = (0..<(count * size)).map { UInt8((($0 / size) * 31 + ($0 % size) * 7) % 256) }
        return try ImageDataset(
            images: images, labels: (0..<count).map { $0 % classCount },
            channels: channels, height: height, width: width,
            classNames: (0..<classCount).map { "class \($0)" })
    }

    /// IDX bytes of `count` images of `height × width` (rank 3) with a recognisable pattern.
    static func imageFile(count: Int, height: Int = 4, width: Int = 5) -> IDXFile {
        IDXFile(
            dimensions: [count, height, width],
            bytes: (0..<(count * height * width)).map { UInt8($0 % 251) })
    }

    /// IDX bytes of labels.
    static func labelFile(_ labels: [UInt8]) -> IDXFile {
        IDXFile(dimensions: [labels.count], bytes: labels)
    }
}
