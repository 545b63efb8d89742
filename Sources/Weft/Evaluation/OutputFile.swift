import Foundation

/// Checks and writes the files that `weft evaluate` and `weft report` produce.
public enum OutputFile {
    /// Throws unless `path` can be created: its folder must exist and `path` must not be a folder.
    /// Called before any long work, so a typo fails at once.
    public static func checkWritable(_ path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !folder.isEmpty {
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
                throw WeftError(
                    "\(path): the folder \(folder) does not exist; create it first or choose another output path")
            }
            guard isDirectory.boolValue else {
                throw WeftError("\(path): \(folder) is a file, not a folder; choose another output path")
            }
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw WeftError(
                "\(path): is a folder; name a file to write, such as \((path as NSString).appendingPathComponent("report.html"))"
            )
        }
    }

    /// Writes `bytes` to `path` atomically (a temporary file renamed over it).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try checkWritable(path)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw WeftError(
                "\(path): cannot write the file (\(error.localizedDescription)); check free disk space and permissions")
        }
    }

    /// Writes `text` as UTF-8 to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}
