import Foundation

extension ImageList {
    /// The images of a folder with one subfolder per class, as torchvision's `ImageFolder`
    /// reads it: classes are the subfolder names in code-point order; each class holds the
    /// `.png`, `.jpg`/`.jpeg` and `.pgm` files anywhere below its subfolder, in the order of
    /// Python's `sorted(os.walk(...))` (folders by path, files by name). Hidden files and
    /// folders (starting with ".") and files of other kinds are ignored.
    ///
    /// - Parameters:
    ///   - folder: the split's folder.
    ///   - classes: the training split's class names, when this is the test split: every class
    ///     folder here must be one of them (a class may be absent), and labels follow their order.
    /// - Throws: `WeftError` naming the folder when it is missing, holds no class folder, a class
    ///   folder holds no image, or (for the test split) a class is not among the training classes.
    public static func folder(_ folder: String, classes: [String]? = nil) throws -> ImageList {
        guard let status = fileStatus(folder), status.isDirectory else {
            throw WeftError(
                "\(folder): the image folder does not exist; give a folder with one subfolder of images per class")
        }
        let classFolders = try subfolders(of: folder)
        guard !classFolders.isEmpty else {
            throw WeftError(
                "\(folder): the image folder holds no class folder; put each class's images in a subfolder named after the class"
            )
        }
        let names = classes ?? classFolders
        var index: [String: Int] = [:]
        for (label, name) in names.enumerated() { index[name] = label }
        var entries: [Entry] = []
        for name in classFolders {
            let classFolder = (folder as NSString).appendingPathComponent(name)
            guard let label = index[name] else {
                throw WeftError(
                    "\(classFolder): class \"\(name)\" is not among the \(names.count) training classes (\(sample(names))); add it to the training folder or remove it from the test folder"
                )
            }
            let before = entries.count
            for file in try imageFiles(below: classFolder) {
                entries.append(
                    Entry(path: file.path, label: label, listedAt: nil, size: file.size, modified: file.modified))
            }
            guard entries.count > before else {
                throw WeftError(
                    "\(classFolder): the class folder holds no .png, .jpg, .jpeg or .pgm image; add images or remove the folder"
                )
            }
        }
        return ImageList(source: folder, entries: entries, classNames: names)
    }

    /// The names of the visible subfolders of `folder`, in code-point order.
    private static func subfolders(of folder: String) throws -> [String] {
        try contents(of: folder).filter { name in
            !name.hasPrefix(".") && fileStatus((folder as NSString).appendingPathComponent(name))?.isDirectory == true
        }.sorted(by: codePointOrder)
    }

    /// The image files below `folder` with their sizes and modification times, folders by path
    /// and files by name (`sorted(os.walk(followlinks=True))`, as torchvision walks). A folder
    /// reached again through a link is walked once; devices, pipes and sockets are skipped.
    private static func imageFiles(below folder: String) throws -> [(path: String, size: Int, modified: Int)] {
        typealias File = (name: String, size: Int, modified: Int)
        var walk: [(folder: String, files: [File])] = []
        var pending = [folder]
        var visited: Set<[UInt64]> = []
        if let identity = fileStatus(folder)?.identity { visited.insert(identity) }
        while let current = pending.popLast() {
            var files: [File] = []
            for name in try contents(of: current) where !name.hasPrefix(".") {
                let path = (current as NSString).appendingPathComponent(name)
                guard let status = fileStatus(path) else { continue }
                if status.isDirectory {
                    if visited.insert(status.identity).inserted { pending.append(path) }
                } else if status.isRegular && isImageFile(name) {
                    files.append((name, status.size, status.modified))
                }
            }
            walk.append((current, files.sorted { codePointOrder($0.name, $1.name) }))
        }
        walk.sort { codePointOrder($0.folder, $1.folder) }
        return walk.flatMap { step in
            step.files.map { ((step.folder as NSString).appendingPathComponent($0.name), $0.size, $0.modified) }
        }
    }

    private static func contents(of folder: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw WeftError("\(folder): cannot list the folder (\(error.localizedDescription)); check its permissions")
        }
    }
}
