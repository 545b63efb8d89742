import Foundation

/// The run folder's `metrics.jsonl`: one JSON object per line, appended as the run goes (one per
/// epoch, and a last one with the test accuracy), so a crash loses no finished epoch.
public struct RunLog {
    public let path: String

    public init(directory: String) {
        path = (directory as NSString).appendingPathComponent("metrics.jsonl")
    }

    /// Appends one record and flushes it to disk.
    public func append(_ record: JSONValue) throws {
        let line = record.serialized(pretty: false) + "\n"
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw WeftError("\(path): cannot create the metrics log; check that the folder is writable")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw WeftError("\(path): cannot open the metrics log for writing; check its permissions")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(line.utf8))
            try handle.synchronize()
        } catch {
            throw WeftError(
                "\(path): cannot append to the metrics log (\(error.localizedDescription)); free disk space or check permissions"
            )
        }
    }

    /// Every record in the log, in order.
    public func records() throws -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let text = String(decoding: data, as: UTF8.self)
        return try text.split(separator: "\n").enumerated().map { index, line in
            try JSONParser.parse(String(line), source: "\(path) line \(index + 1)")
        }
    }
}
