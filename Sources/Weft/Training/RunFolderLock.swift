import Foundation

/// The lock that makes one process at a time the owner of a run folder: `weft train`, `weft resume`
/// and `weft tune` take it before they move or write anything there and hold it for their whole
/// run; a second process is refused with one sentence naming the owner. Readers (`inspect`,
/// `evaluate`, `predict`, `report`, `export`) take no lock: checkpoints are written atomically.
///
/// It is an advisory `flock(2)` on `weft.lock` inside the folder. The kernel releases it when the
/// process ends, however it ends, so `kill -9` never leaves a stale lock: a lock file without a
/// live owner is taken over at once. The descriptor is opened `O_CLOEXEC`, so a program the owner
/// starts does not inherit it and cannot keep the lock alive after the owner has gone.
///
/// The file records the owner (pid, host, when it took the folder, its command line) for the
/// refusal, written after the lock is taken; a refused process that finds it empty or half
/// written still says that the folder is in use. Releasing removes the file, so a finished run's
/// folder holds only its results.
///
/// Because the file can be moved with its folder (a fresh run moves a previous one aside, see
/// `RunFolder.prepareFresh`) or removed by its owner between another process's `open` and
/// `flock`, a lock counts only when the path still names the file that was locked; otherwise
/// the attempt starts again.
public final class RunFolderLock {
    /// The lock file's name inside a run folder.
    public static let fileName = "weft.lock"

    /// The folder this lock holds (it follows the folder when the folder is moved aside).
    public private(set) var folder: String
    /// The open lock file, or -1 once released.
    private var descriptor: Int32

    /// The path of the lock file in `folder`.
    public static func path(in folder: String) -> String {
        (folder as NSString).appendingPathComponent(fileName)
    }

    /// Takes the lock of `folder`, which must exist, and records this process as its owner.
    /// - Parameters:
    ///   - folder: the run folder.
    ///   - alternative: the last fix the refusal suggests after "wait for it, stop it", e.g.
    ///     `"choose another checkpoint.directory"`; nil for none.
    /// - Throws: `WeftError` naming the owner when another process holds the lock.
    public init(folder: String, alternative: String?) throws {
        self.folder = folder
        descriptor = try RunFolderLock.lock(folder: folder, alternative: alternative)
        recordOwner()
    }

    deinit {
        release()
    }

    /// Releases the lock and removes the lock file (when it is still this lock's). Idempotent.
    public func release() {
        guard descriptor >= 0 else { return }
        if RunFolderLock.namesLockedFile(descriptor, path: RunFolderLock.path(in: folder)) {
            unlink(RunFolderLock.path(in: folder))
        }
        close(descriptor)
        descriptor = -1
    }

    /// Tells the lock that its folder now lies at `newPath` (a fresh run moved it aside).
    func folderMoved(to newPath: String) {
        folder = newPath
    }

    /// Who holds `folder`'s lock as its lock file records it; nil when there is no readable
    /// record (no lock file, or one still empty or half written). The record says nothing about
    /// whether the lock is still held.
    public static func recordedOwner(of folder: String) -> Owner? {
        guard let data = FileManager.default.contents(atPath: path(in: folder)) else { return nil }
        return Owner(recorded: Array(data))
    }

    /// The process a lock file names.
    public struct Owner: Equatable {
        public var processIdentifier: Int32
        public var host: String
        /// When the process took the folder.
        public var started: Date
        /// The process's command line.
        public var command: String

        /// This process, now.
        static func current() -> Owner {
            let arguments = CommandLine.arguments
            let program = arguments.first.map { ($0 as NSString).lastPathComponent } ?? "weft"
            return Owner(
                processIdentifier: getpid(), host: hostName, started: Date(),
                command: ([program] + arguments.dropFirst()).joined(separator: " "))
        }

        /// This machine's name, as `hostname` prints it (no name lookup, which can hang offline).
        static var hostName: String {
            var name = [CChar](repeating: 0, count: 256)
            guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
            return String(cString: name)
        }

        init(processIdentifier: Int32, host: String, started: Date, command: String) {
            self.processIdentifier = processIdentifier
            self.host = host
            self.started = started
            self.command = command
        }

        /// Parses a lock file's bytes; nil unless they are a whole record.
        init?(recorded bytes: [UInt8]) {
            guard
                let json = try? JSONParser.parse(
                    String(decoding: bytes, as: UTF8.self), source: RunFolderLock.fileName),
                case .number(let pid)? = json["pid"], let processIdentifier = Int32(exactly: pid),
                case .string(let host)? = json["host"],
                case .string(let stamp)? = json["started"], let started = ISO8601DateFormatter().date(from: stamp)
            else { return nil }
            var command = ""
            if case .string(let recorded)? = json["command"] { command = recorded }
            self.init(processIdentifier: processIdentifier, host: host, started: started, command: command)
        }

        /// The lock file's text: one JSON object and a newline.
        var recorded: String {
            let members: [(key: String, value: JSONValue)] = [
                ("pid", .number(Double(processIdentifier))), ("host", .string(host)),
                ("started", .string(ISO8601DateFormatter().string(from: started))), ("command", .string(command))
            ]
            return JSONValue.object(members).serialized(pretty: false) + "\n"
        }

        /// `pid 1234, started 12:03:10`, with the host when it is not this one and the date when
        /// it is not today (local time).
        var summary: String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = Calendar.current.isDateInToday(started) ? "HH:mm:ss" : "yyyy-MM-dd HH:mm:ss"
            let place = host == Owner.hostName ? "" : " on \(host)"
            return "pid \(processIdentifier)\(place), started \(formatter.string(from: started))"
        }
    }

    /// The refusal: `Models/quick is in use by weft (pid 1234, started 12:03:10); wait for it,
    /// stop it, or choose another checkpoint.directory`.
    static func inUseMessage(folder: String, recorded: [UInt8], alternative: String?) -> String {
        let fix = alternative.map { "wait for it, stop it, or \($0)" } ?? "wait for it or stop it"
        guard let owner = Owner(recorded: recorded) else {
            return "\(folder) is in use by another weft process (it has not yet recorded its pid in "
                + "\(path(in: folder))); \(fix)"
        }
        return "\(folder) is in use by weft (\(owner.summary)); \(fix)"
    }

    /// Opens and locks `folder`'s lock file; returns the descriptor.
    private static func lock(folder: String, alternative: String?) throws -> Int32 {
        let path = path(in: folder)
        // Each further attempt means the file was moved or removed between open and flock.
        for _ in 0..<100 {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                let reason = String(cString: strerror(errno))
                throw WeftError(
                    "\(path): cannot open the run folder's lock file (\(reason)); check that \(folder) is a "
                        + "writable folder")
            }
            if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                if code == EWOULDBLOCK {
                    let recorded = readAll(descriptor)
                    close(descriptor)
                    throw WeftError(inUseMessage(folder: folder, recorded: recorded, alternative: alternative))
                }
                close(descriptor)
                if code == EINTR { continue }
                throw WeftError(
                    "\(path): cannot lock the run folder (\(String(cString: strerror(code)))); put the run folder on a "
                        + "file system that supports flock, such as a local disk")
            }
            if namesLockedFile(descriptor, path: path) { return descriptor }
            close(descriptor)
        }
        throw WeftError(
            "\(path): the lock file kept being moved or removed while this process tried to lock it; check what else "
                + "is changing \(folder) and try again")
    }

    /// Writes this process into the lock file. A failure only costs the refusal its pid.
    private func recordOwner() {
        let bytes = Array(Owner.current().recorded.utf8)
        guard ftruncate(descriptor, 0) == 0 else { return }
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// The file's bytes (at most 64 KiB: a record is one short line).
    private static func readAll(_ descriptor: Int32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 65_536)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        return Array(bytes.prefix(max(count, 0)))
    }

    /// Whether `path` names the file open as `descriptor` (the same device and inode).
    private static func namesLockedFile(_ descriptor: Int32, path: String) -> Bool {
        var opened = stat()
        var named = stat()
        guard fstat(descriptor, &opened) == 0, stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }
}
