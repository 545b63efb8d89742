import Foundation

/// A run's folder (`checkpoint.directory`): the resolved config, `metrics.jsonl` and the
/// checkpoints. Starting a new run where one already lies moves the old one aside
/// (`Models/cnn-bn.1`, `.2`, ...), so no earlier result is ever overwritten.
public struct RunFolder {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Creates the folder for a fresh run, first moving any previous run aside.
    /// - Returns: where the previous run went, if there was one.
    @discardableResult
    public func prepareFresh() throws -> String? {
        let manager = FileManager.default
        var movedTo: String?
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw WeftError("\(path): exists and is not a folder; set checkpoint.directory to a folder path")
            }
            if try !manager.contentsOfDirectory(atPath: path).isEmpty {
                var number = 1
                while manager.fileExists(atPath: "\(path).\(number)") { number += 1 }
                do {
                    try manager.moveItem(atPath: path, toPath: "\(path).\(number)")
                } catch {
                    throw WeftError("\(path): holds a previous run that could not be moved to \(path).\(number) (\(error.localizedDescription)); move it yourself or choose another checkpoint.directory")
                }
                movedTo = "\(path).\(number)"
            }
        }
        do {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw WeftError("\(path): cannot create the run folder (\(error.localizedDescription)); check checkpoint.directory and permissions")
        }
        return movedTo
    }

    /// Writes the resolved config as `config.json`.
    public func writeConfig(_ config: TrainingConfig) throws {
        let file = (path as NSString).appendingPathComponent("config.json")
        do {
            try Data((config.json.serialized() + "\n").utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw WeftError("\(file): cannot write the resolved config (\(error.localizedDescription)); check free disk space and permissions")
        }
    }
}
