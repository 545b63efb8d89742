import Foundation

/// Image files and their classes, before decoding: what an image folder or a CSV list names.
///
/// Each entry carries the file's size and modification time, read once when the list is made,
/// so the decoded-image cache can tell whether any file changed.
public struct ImageList: Sendable {
    /// One image file.
    public struct Entry: Sendable, Equatable {
        /// The file's path (as found, or as the CSV names it resolved against the CSV's folder).
        public let path: String
        /// Its class, an index into `classNames`.
        public let label: Int
        /// Where it was listed, for messages: the CSV file and line ("train.csv line 7"), or nil
        /// for a file found in a folder.
        public let listedAt: String?
        /// The file's size in bytes.
        public let size: Int
        /// The file's modification time, nanoseconds since 1970.
        public let modified: Int
    }

    /// The folder or CSV file the list came from.
    public let source: String
    /// The files in order (classes in sorted order, files sorted within each class).
    public var entries: [Entry]
    /// A name per class, indexed by label.
    public var classNames: [String]

    /// The file extensions (lower case) read as images.
    public static let imageExtensions = Set(ImageFile.fileExtensions)

    /// Whether `name` ends in an image extension (in any case) and is not hidden.
    static func isImageFile(_ name: String) -> Bool {
        !name.hasPrefix(".") && imageExtensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// What `stat` (following links) says of a path.
    struct FileStatus {
        var size: Int
        /// Nanoseconds since 1970.
        var modified: Int
        var isDirectory: Bool
        /// A regular file (not a device, a pipe or a socket, which could be read forever).
        var isRegular: Bool
        /// The device and inode, which tell a folder reached twice through links.
        var identity: [UInt64]
    }

    /// The status of `path` (links followed), or nil when nothing is there.
    static func fileStatus(_ path: String) -> FileStatus? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let modified = Int(status.st_mtim.tv_sec) * 1_000_000_000 + Int(status.st_mtim.tv_nsec)
        let kind = status.st_mode & S_IFMT
        return FileStatus(
            size: Int(status.st_size), modified: modified, isDirectory: kind == S_IFDIR, isRegular: kind == S_IFREG,
            identity: [UInt64(status.st_dev), UInt64(status.st_ino)])
    }

    /// Whether `left` sorts before `right` by Unicode code points, as Python's `sorted` orders
    /// the names torchvision's `ImageFolder` lists.
    static func codePointOrder(_ left: String, _ right: String) -> Bool {
        left.unicodeScalars.lexicographicallyPrecedes(right.unicodeScalars)
    }

    /// `path` with "." components and "name/.." pairs removed, without looking at the file
    /// system (symbolic links stay as they are): "csv/../images/a.png" is "images/a.png".
    static func lexicallyNormalized(_ path: String) -> String {
        let isAbsolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part != ".." || !isAbsolute {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return isAbsolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// The list with `names` in place of the discovered class names (the config's `classNames`).
    ///
    /// - Throws: `WeftError` when the counts differ.
    func renamingClasses(_ names: [String]?, configSource: String) throws -> ImageList {
        guard let names else { return self }
        guard names.count == classNames.count else {
            throw WeftError(
                "\(configSource): data.classNames: \(names.count) names for the \(classNames.count) classes \(source) holds (\(ImageList.sample(classNames))); give one name per class or remove classNames"
            )
        }
        var renamed = self
        renamed.classNames = names
        return renamed
    }

    /// Up to the first 8 of `names`, for messages.
    static func sample(_ names: [String]) -> String {
        names.count <= 8 ? names.joined(separator: ", ") : names.prefix(8).joined(separator: ", ") + ", …"
    }
}
