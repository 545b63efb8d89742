import Foundation

/// A run's folder (`checkpoint.directory`): the resolved config, `metrics.jsonl` and the
/// checkpoints. Starting a new run where one already lies moves the old one aside
/// (`Models/cnn-bn.1`, `.2`, ...), so no earlier result is ever overwritten. One process at a
/// time owns a run folder (see `RunFolderLock`).
public struct RunFolder {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Claims the folder for a fresh run: creates it, takes its lock (`RunFolderLock`) and moves
    /// any previous run there aside to `<path>.1`, `.2`, ... (the first name that is free).
    ///
    /// The move happens under the lock, so that no second process can write into the folder or
    /// into the moved run at any moment:
    /// 1. Lock `<path>/weft.lock`; another owner means a refusal, and nothing was touched.
    /// 2. If the folder holds more than its lock file, rename the whole folder to `<path>.N` in one
    ///    `rename(2)`. The lock file moves with it and stays locked, so a `weft resume` of
    ///    `<path>.N` started meanwhile is refused too.
    /// 3. Create `<path>` again and lock its new lock file, and only then release the old lock (it
    ///    now lies in `<path>.N` and is removed with its release: the moved run is left as it was).
    ///
    /// Between 2 and 3 `<path>` does not exist. A process that creates and locks it in that instant
    /// owns it, and this one is refused naming that owner: the two never write at once. Should the
    /// new `<path>` already hold files when it is locked (its creator stopped before releasing), it
    /// is moved aside in turn. A kill at any moment leaves the previous run whole, at `<path>` or at
    /// `<path>.N`, and no lock behind (the kernel drops it).
    /// - Parameter alternative: the refusal's last suggestion (see `RunFolderLock.init`).
    /// - Returns: the lock, to hold for the whole run (dropping it releases the folder), and where
    ///   the previous run went, if there was one.
    @discardableResult
    public func prepareFresh(alternative: String? = "choose another checkpoint.directory") throws -> (
        lock: RunFolderLock, previous: String?
    ) {
        var movedTo: String?
        // The lock of the folder just moved aside, held until the new folder is locked.
        var movedLock: RunFolderLock?
        while true {
            try create()
            let lock = try RunFolderLock(folder: path, alternative: alternative)
            movedLock?.release()
            movedLock = nil
            guard try holdsPreviousRun() else { return (lock, movedTo) }
            let target = try moveAside()
            lock.folderMoved(to: target)
            movedTo = movedTo ?? target
            movedLock = lock
        }
    }

    /// Creates the folder (and its parents) unless it exists.
    private func create() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw WeftError("\(path): exists and is not a folder; set checkpoint.directory to a folder path")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw WeftError(
                "\(path): cannot create the run folder (\(error.localizedDescription)); check checkpoint.directory and "
                    + "permissions")
        }
    }

    /// Whether the folder holds anything besides its lock file.
    private func holdsPreviousRun() throws -> Bool {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).contains { $0 != RunFolderLock.fileName }
        } catch {
            throw WeftError(
                "\(path): cannot list the run folder (\(error.localizedDescription)); check its permissions or choose "
                    + "another checkpoint.directory")
        }
    }

    /// Renames the folder to `<path>.N`, the first N whose name is free; returns that path.
    private func moveAside() throws -> String {
        var base = path
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var number = 1
        while true {
            let target = "\(base).\(number)"
            if !FileManager.default.fileExists(atPath: target) {
                if rename(base, target) == 0 { return target }
                let code = errno
                // Another process took the name in the meantime: try the next one.
                guard code == EEXIST || code == ENOTEMPTY || code == ENOTDIR else {
                    throw WeftError(
                        "\(path): holds a previous run that could not be moved to \(target) "
                            + "(\(String(cString: strerror(code)))); move it yourself or choose another "
                            + "checkpoint.directory")
                }
            }
            number += 1
        }
    }

    /// The run folder and checkpoint `target` names: a run folder (its `last.safetensors`, else
    /// `best.safetensors`) or a checkpoint file (its folder is the run folder). `weft report`
    /// (`RunReport.locate`) and `weft train --init-from` resolve their argument so.
    /// - Parameter purpose: what the checkpoint is for, ending the refusal of a folder with
    ///   metrics but no checkpoint (`to evaluate`).
    /// - Throws: `WeftError` when `target` is missing or a folder without a checkpoint.
    public static func locateCheckpoint(_ target: String, purpose: String) throws -> (
        folder: String, checkpoint: String
    ) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) else {
            throw WeftError(
                "\(target): no such run folder or checkpoint; pass a run folder such as Models/quick or a checkpoint such as Models/quick/last.safetensors"
            )
        }
        guard isDirectory.boolValue else {
            let folder = (target as NSString).deletingLastPathComponent
            return (folder.isEmpty ? "." : folder, target)
        }
        for name in ["last.safetensors", "best.safetensors"] {
            let path = (target as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path) { return (target, path) }
        }
        let hasMetrics = FileManager.default.fileExists(atPath: RunLog(directory: target).path)
        throw WeftError(
            hasMetrics
                ? "\(target): has a metrics.jsonl but no checkpoint (last.safetensors or best.safetensors) \(purpose); pass one of the run's checkpoints"
                : "\(target): holds no metrics.jsonl and no checkpoint, so it is not a run folder of weft train; pass a run folder such as Models/quick or a checkpoint file"
        )
    }

    /// Writes where a fine-tuned run's initial weights came from as `initial-weights.json`
    /// (`InitialWeights.json`).
    public func writeInitialWeights(_ weights: InitialWeights) throws {
        let file = (path as NSString).appendingPathComponent(InitialWeights.fileName)
        do {
            try Data((weights.json.serialized() + "\n").utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw WeftError(
                "\(file): cannot write the record of the initial weights (\(error.localizedDescription)); check free "
                    + "disk space and permissions")
        }
    }

    /// Writes the resolved config as `config.json`.
    public func writeConfig(_ config: TrainingConfig) throws {
        let file = (path as NSString).appendingPathComponent("config.json")
        do {
            try Data((config.json.serialized() + "\n").utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw WeftError(
                "\(file): cannot write the resolved config (\(error.localizedDescription)); check free disk space "
                    + "and permissions")
        }
    }
}
