import Foundation

/// Whole-file reads that check the file's size before reading a byte, so a huge or wrong file is
/// refused before any memory is spent on it.
enum BoundedFile {
    /// Whether `path` names an existing regular file (or a link to one).
    static func exists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// The bytes of `path`, after checking that it holds at most `maximumBytes`.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - maximumBytes: the most bytes the file may hold.
    ///   - kind: what the file should be, for the message ("a CIFAR batch", "an .npz file").
    /// - Throws: `WeftError` naming the file when it is missing, unreadable or larger than the limit.
    static func read(path: String, maximumBytes: Int, kind: String) throws -> [UInt8] {
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw WeftError("\(path): no such file; check the path")
        }
        guard size <= maximumBytes else {
            throw WeftError(
                "\(path): \(size) bytes is more than the \(describe(bytes: maximumBytes)) limit for \(kind); check that this is the intended file"
            )
        }
        let bytes = try GzipFile.readRaw(path: path)
        guard bytes.count <= maximumBytes else {
            throw WeftError(
                "\(path): the file grew past the \(describe(bytes: maximumBytes)) limit for \(kind) while it was read; read it when it is complete"
            )
        }
        return bytes
    }

    /// "1 GiB", "4 GiB", or a byte count for limits that are not whole gibibytes.
    static func describe(bytes: Int) -> String {
        bytes % (1 << 30) == 0 ? "\(bytes >> 30) GiB" : "\(bytes)-byte"
    }
}
