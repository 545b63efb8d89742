import Foundation

/// Decoded images kept on disk, so a dataset of image files is decoded once: a file named
/// `.weft-cache-<16 hex digits>` in the split's folder (an image folder, or the folder of a CSV
/// list), or in `~/.cache/weft/` when that folder is not writable.
///
/// The name comes from the list's source and the target shape, so each split and model input has
/// one cache file that a later decoding replaces. Inside, a key over every file's path, size,
/// modification time and label, the target shape, the resize mode and the versions of the
/// decoder and the fitting (`ImageFile.decoderVersion`, `ImageListDecoder.fittingVersion`) must match the list of the run that reads it, and a CRC-32 must
/// match the bytes: a changed, added or removed file, a new decoder, or a damaged cache means
/// decoding again. Written atomically (`AtomicFile`).
///
/// Layout (integers little-endian): `WEFTDECODED1\n`, then `UInt64`s key, image count, kept count,
/// channels, height, width, resized count, skipped-text length, CRC-32 of the rest; then per
/// image a kept flag byte and its original width and height (`UInt32` each); the skipped files'
/// sentences (UTF-8, one per line); the kept images' `[N, C, H, W]` bytes.
public struct DecodedImageCache: Sendable {
    /// The cache file's path.
    public let path: String
    /// The key its contents must carry.
    let key: UInt64

    static let magic = Array("WEFTDECODED1\n".utf8)
    static let headerFields = 9

    /// The cache of `list` decoded by `decoder`: in `folder`, else in `~/.cache/weft/`.
    public init(list: ImageList, decoder: ImageListDecoder, folder: String) {
        let shape = "\(decoder.channels)x\(decoder.height)x\(decoder.width) \(decoder.resize.rawValue)"
        var description =
            "\(shape) skip=\(decoder.skipUnreadable) decoder=\(ImageFile.decoderVersion) fitting=\(ImageListDecoder.fittingVersion)\n\(list.classNames.joined(separator: "\u{1F}"))\n"
        for entry in list.entries {
            description += "\(entry.path)\t\(entry.size)\t\(entry.modified)\t\(entry.label)\n"
        }
        key = DecodedImageCache.fnv1a(Array(description.utf8))
        let absoluteSource =
            list.source.hasPrefix("/")
            ? list.source : FileManager.default.currentDirectoryPath + "/" + list.source
        let name = String(
            format: "/.weft-cache-%016llx", DecodedImageCache.fnv1a(Array("\(absoluteSource)\n\(shape)".utf8)))
        if access(folder.isEmpty ? "." : folder, W_OK) == 0 {
            path = (folder.isEmpty ? "." : folder) + name
        } else {
            path = DecodedImageCache.userCacheFolder + name
        }
    }

    /// The per-user folder for caches of read-only data (`$XDG_CACHE_HOME/weft` or
    /// `~/.cache/weft`).
    static var userCacheFolder: String {
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/weft" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/weft"
    }

    /// The decoded images, when the cache file exists, belongs to `list` and is whole; nil
    /// otherwise (a missing, stale or damaged cache is not an error: the caller decodes again).
    public func load(_ list: ImageList, decoder: ImageListDecoder) -> DecodedImages? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        let fieldsEnd = DecodedImageCache.magic.count + 8 * DecodedImageCache.headerFields
        guard bytes.count >= fieldsEnd, bytes.starts(with: DecodedImageCache.magic) else { return nil }
        let fields = (0..<DecodedImageCache.headerFields).map { field in
            bytes[(DecodedImageCache.magic.count + 8 * field)...].prefix(8).reversed().reduce(UInt64(0)) {
                $0 << 8 | UInt64($1)
            }
        }
        let count = list.entries.count
        guard fields[0] == key, fields[1] == count, fields[2] <= count, fields[3] == decoder.channels,
            fields[4] == decoder.height, fields[5] == decoder.width, fields[6] <= fields[2],
            fields[7] <= UInt64(bytes.count)
        else { return nil }
        let kept = Int(fields[2]), textLength = Int(fields[7])
        let imageBytes = decoder.channels * decoder.height * decoder.width
        let pixelsStart = fieldsEnd + 9 * count + textLength
        guard bytes.count == pixelsStart + kept * imageBytes,
            CRC32.checksum(bytes[fieldsEnd...]) == UInt32(truncatingIfNeeded: fields[8])
        else { return nil }
        var labels: [Int] = [], sizes: [DecodedImages.ImageSize] = [], keptEntries: [Int] = []
        labels.reserveCapacity(kept)
        sizes.reserveCapacity(kept)
        keptEntries.reserveCapacity(kept)
        for (index, entry) in list.entries.enumerated() where bytes[fieldsEnd + 9 * index] == 1 {
            keptEntries.append(index)
            let base = fieldsEnd + 9 * index + 1
            func uint32(_ at: Int) -> Int {
                Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
            }
            labels.append(entry.label)
            sizes.append(.init(width: uint32(base), height: uint32(base + 4)))
        }
        guard labels.count == kept,
            let text = String(validating: bytes[(fieldsEnd + 9 * count)..<pixelsStart], as: UTF8.self),
            let dataset = try? ImageDataset(
                images: Array(bytes[pixelsStart...]), labels: labels, channels: decoder.channels,
                height: decoder.height, width: decoder.width, classNames: list.classNames, name: list.source)
        else { return nil }
        var decoded = DecodedImages(
            dataset: dataset, keptEntries: keptEntries, originalSizes: sizes, resizedCount: Int(fields[6]),
            skipped: text.isEmpty ? [] : text.split(separator: "\n").map(String.init))
        decoded.fromCache = true
        return decoded
    }

    /// Writes `decoded` (the images of `list`) to the cache file.
    ///
    /// - Throws: `WeftError` when the file cannot be written (a full disk, say); the images are
    ///   still good, so callers warn and go on.
    public func store(_ decoded: DecodedImages, of list: ImageList) throws {
        let dataset = decoded.dataset
        var body = [UInt8]()
        body.reserveCapacity(9 * list.entries.count + dataset.images.count + 4096)
        var sizes = [DecodedImages.ImageSize?](repeating: nil, count: list.entries.count)
        for (kept, entry) in decoded.keptEntries.enumerated() { sizes[entry] = decoded.originalSizes[kept] }
        for size in sizes {
            body.append(size == nil ? 0 : 1)
            for value in [size?.width ?? 0, size?.height ?? 0] {
                for shift in stride(from: 0, to: 32, by: 8) { body.append(UInt8(truncatingIfNeeded: value >> shift)) }
            }
        }
        let text = Array(decoded.skipped.joined(separator: "\n").utf8)
        body.append(contentsOf: text)
        body.append(contentsOf: dataset.images)
        let fields: [UInt64] = [
            key, UInt64(list.entries.count), UInt64(dataset.count), UInt64(dataset.channels),
            UInt64(dataset.height), UInt64(dataset.width), UInt64(decoded.resizedCount), UInt64(text.count),
            UInt64(CRC32.checksum(body))
        ]
        var file = DecodedImageCache.magic
        for field in fields {
            for shift in stride(from: 0, to: 64, by: 8) { file.append(UInt8(truncatingIfNeeded: field >> shift)) }
        }
        file.append(contentsOf: body)
        let folder = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try AtomicFile.write(file, to: path)
    }

    /// The 64-bit FNV-1a hash of `bytes`.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
