import Foundation

/// Crash-safe file replacement: the bytes go to a temporary file in the same folder, which is
/// flushed and fsynced, renamed over the destination, and the folder fsynced. A crash at any
/// instant leaves either the old file or the new one, never a mix.
public enum AtomicFile {
    /// Writes `bytes` to `path`, replacing any file there only once the new one is on disk.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary =
            (folder.isEmpty ? "." : folder) + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw WeftError(
                "\(path): cannot create a temporary file beside it (\(String(cString: strerror(errno)))); check that the folder exists and is writable"
            )
        }
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let result = Foundation.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                written += result
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        if close(descriptor) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw WeftError(
                "\(path): writing failed (\(failure)); free disk space or check permissions — any previous file there is unchanged"
            )
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WeftError(
                "\(path): cannot move the new file into place (\(reason)); any previous file there is unchanged")
        }
        let folderDescriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}
