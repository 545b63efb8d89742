import Dispatch
import Foundation

/// The images of an `ImageList` decoded to one shape: what a decoded split holds besides the
/// pixels.
public struct DecodedImages: Sendable {
    /// The images at the target shape, `[N, C, H, W]`, without the skipped files.
    public let dataset: ImageDataset
    /// The index in the list of each kept image, `[N]`.
    public let keptEntries: [Int]
    /// Each kept image's size as stored in its file, `[N]` (width, height).
    public let originalSizes: [ImageSize]
    /// How many kept images were resized (or cropped) to the target size.
    public let resizedCount: Int
    /// A sentence per file that could not be decoded and was skipped (`data.skipUnreadable`).
    public let skipped: [String]
    /// Whether the pixels came from the decoded-image cache.
    public var fromCache = false

    /// A width and height in pixels.
    public struct ImageSize: Sendable, Equatable, Hashable {
        public let width: Int, height: Int
    }
}

/// Decodes the files of an `ImageList` on every core into one `ImageDataset` of the model's
/// `[C, H, W]`: gray and colour converted to `C` channels (`PixelImage.converted(toChannels:)`), images of another
/// size cropped (for `.centerCrop`) and resampled (`PixelImage.scaled`: area averaging when
/// shrinking, bilinear when enlarging). Every image lands in its own slot, so the result does not
/// depend on which core decoded what.
public struct ImageListDecoder: Sendable {
    /// The version of the fitting (channel conversion, crop, resampling): raised whenever the
    /// pixels it gives change, so that caches of decoded images made before are not used.
    public static let fittingVersion = 1

    /// The target `[C, H, W]`.
    public let channels: Int, height: Int, width: Int
    public let resize: DataConfig.ResizeMode
    /// Skip and count files that cannot be decoded, instead of stopping at the first.
    public let skipUnreadable: Bool
    /// Reads one file (PNG, JPEG or PGM by its first bytes).
    public var read: @Sendable (String) throws -> PixelImage = { try PixelImage.read(path: $0) }

    public init(shape: [Int], resize: DataConfig.ResizeMode = .stretch, skipUnreadable: Bool = false) {
        precondition(shape.count == 3, "ImageListDecoder: shape \(shape) must be [C, H, W]")
        channels = shape[0]
        height = shape[1]
        width = shape[2]
        self.resize = resize
        self.skipUnreadable = skipUnreadable
    }

    /// Decodes every file of `list`; `progress(done, total)` is called now and then (from any
    /// thread, one call at a time) and once at the end.
    ///
    /// - Throws: `WeftError` naming the first file (in list order) that cannot be decoded, and its
    ///   CSV line, unless `skipUnreadable`; also when every file was skipped.
    public func decode(_ list: ImageList, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> DecodedImages {
        let count = list.entries.count
        let imageBytes = channels * height * width
        var pixels = [UInt8](repeating: 0, count: count * imageBytes)
        var sizes = [DecodedImages.ImageSize](repeating: .init(width: 0, height: 0), count: count)
        var failures = [String?](repeating: nil, count: count)
        let chunk = 64
        let chunkCount = (count + chunk - 1) / chunk
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, chunkCount))
        let state = DecodingProgress(total: count, report: progress)
        pixels.withUnsafeMutableBufferPointer { output in
            sizes.withUnsafeMutableBufferPointer { sizes in
                failures.withUnsafeMutableBufferPointer { failures in
                    DispatchQueue.concurrentPerform(iterations: workers) { _ in
                        while let next = state.takeChunk(chunkCount) {
                            let range = (next * chunk)..<min(count, (next + 1) * chunk)
                            for index in range {
                                let entry = list.entries[index]
                                do {
                                    let image = try read(entry.path)
                                    sizes[index] = .init(width: image.width, height: image.height)
                                    let fitted = fit(image).planes
                                    fitted.withUnsafeBufferPointer { planes in
                                        for offset in 0..<imageBytes {
                                            output[index * imageBytes + offset] = planes[offset]
                                        }
                                    }
                                } catch let error as WeftError {
                                    failures[index] = entry.listedAt.map { "\($0): \(error.message)" } ?? error.message
                                } catch {
                                    failures[index] =
                                        "\(entry.listedAt.map { "\($0): " } ?? "")\(entry.path): \(error)"
                                }
                            }
                            state.finished(range.count)
                        }
                    }
                }
            }
        }
        state.finish()
        let failed = failures.indices.filter { failures[$0] != nil }
        if let first = failed.first, !skipUnreadable {
            let others = failed.count > 1 ? " (and \(failed.count - 1) more)" : ""
            throw WeftError(
                "\(failures[first]!)\(others); fix or remove the file, or set data.skipUnreadable to true to skip unreadable images"
            )
        }
        guard failed.count < count else {
            throw WeftError(
                "\(list.source): none of the \(count) images could be decoded (the first: \(failures[0]!)); check the files"
            )
        }
        var labels = list.entries.map(\.label)
        var kept = Array(0..<count)
        if !failed.isEmpty {
            let skippedSet = Set(failed)
            kept = kept.filter { !skippedSet.contains($0) }
            var keptPixels = [UInt8]()
            keptPixels.reserveCapacity(kept.count * imageBytes)
            for index in kept {
                keptPixels.append(contentsOf: pixels[(index * imageBytes)..<((index + 1) * imageBytes)])
            }
            pixels = keptPixels
            labels = kept.map { labels[$0] }
            sizes = kept.map { sizes[$0] }
        }
        let dataset = try ImageDataset(
            images: pixels, labels: labels, channels: channels, height: height, width: width,
            classNames: list.classNames, name: list.source)
        return DecodedImages(
            dataset: dataset, keptEntries: kept, originalSizes: sizes,
            resizedCount: sizes.filter { $0.width != width || $0.height != height }.count,
            skipped: failed.map { failures[$0]! })
    }

    /// `image` at the target channels and size.
    func fit(_ image: PixelImage) -> PixelImage {
        var fitted = image.converted(toChannels: channels)
        guard fitted.width != width || fitted.height != height else { return fitted }
        if resize == .centerCrop { fitted = fitted.centerCropped(toAspect: width, height) }
        return fitted.scaled(width: width, height: height)
    }
}

/// The shared counters of one decoding: which chunk is next, how many images are done, and when
/// progress was last reported.
private final class DecodingProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var nextChunk = 0
    private var done = 0
    private var lastReport = Date.distantPast
    private let total: Int
    private let report: (@Sendable (Int, Int) -> Void)?

    init(total: Int, report: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.report = report
    }

    func takeChunk(_ count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextChunk < count else { return nil }
        nextChunk += 1
        return nextChunk - 1
    }

    func finished(_ images: Int) {
        lock.lock()
        defer { lock.unlock() }
        done += images
        if let report, Date().timeIntervalSince(lastReport) >= 0.2 {
            lastReport = Date()
            report(done, total)
        }
    }

    func finish() {
        report?(total, total)
    }
}
