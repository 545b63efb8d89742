import Dispatch

extension ImageDataset {
    /// The dataset at `shape` (`[C, H, W]`, the model's input), each image fitted the way image
    /// files are (`ImageListDecoder.fit`): converted to `C` channels (gray repeated, or RGB to
    /// luma), centre-cropped to the target's aspect ratio for `.centerCrop`, then resampled
    /// (`PixelImage.scaled`: area averaging when shrinking, bilinear when enlarging).
    ///
    /// - Returns: the fitted dataset (this one when it already has `shape`) and how many images
    ///   were resized (all of them or none: every image of a dataset has one size).
    /// - Throws: `WeftError` naming `name` when either channel count is not 1 or 3.
    public func fitted(
        to shape: [Int], resize: DataConfig.ResizeMode, name: String
    ) throws -> (dataset: ImageDataset, resizedCount: Int) {
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }) else {
            throw WeftError(
                "\(name): the model input \(shape) is not [C, H, W]; set model.input to three positive numbers")
        }
        let (targetChannels, targetHeight, targetWidth) = (shape[0], shape[1], shape[2])
        if channels == targetChannels, height == targetHeight, width == targetWidth { return (self, 0) }
        guard [1, 3].contains(targetChannels), [1, 3].contains(channels) else {
            throw WeftError(
                "\(name): images of \(channels)×\(height)×\(width) cannot be fitted to the model's input \(targetChannels)×\(targetHeight)×\(targetWidth) (only 1 or 3 channels convert); set model.input to [\(channels), \(height), \(width)]"
            )
        }
        let decoder = ImageListDecoder(shape: shape, resize: resize)
        let sourceBytes = imageByteCount, targetBytes = targetChannels * targetHeight * targetWidth
        var output = [UInt8](repeating: 0, count: count * targetBytes)
        let chunk = 256, chunks = (count + chunk - 1) / chunk
        images.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                // Each image lands in its own slot, so the result does not depend on the schedule.
                DispatchQueue.concurrentPerform(iterations: chunks) { part in
                    for index in (part * chunk)..<min(count, (part + 1) * chunk) {
                        let planes = Array(source[(index * sourceBytes)..<((index + 1) * sourceBytes)])
                        let image = PixelImage(
                            width: width, height: height, channels: channels,
                            pixels: Self.interleaved(planes, channels: channels))
                        let fitted = decoder.fit(image).planes
                        for offset in 0..<targetBytes { target[index * targetBytes + offset] = fitted[offset] }
                    }
                }
            }
        }
        let dataset = try ImageDataset(
            images: output, labels: labels, channels: targetChannels, height: targetHeight, width: targetWidth,
            classNames: classNames, name: name)
        return (dataset, height == targetHeight && width == targetWidth ? 0 : count)
    }

    /// `[C, H, W]` planes as `[H, W, C]` pixels.
    private static func interleaved(_ planes: [UInt8], channels: Int) -> [UInt8] {
        guard channels > 1 else { return planes }
        let plane = planes.count / channels
        var pixels = [UInt8](repeating: 0, count: planes.count)
        for pixel in 0..<plane {
            for channel in 0..<channels { pixels[pixel * channels + channel] = planes[channel * plane + pixel] }
        }
        return pixels
    }
}
