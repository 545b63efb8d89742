extension PixelImage {
    /// The image with `channels` channels: gray repeated in R, G and B (Pillow's `convert("RGB")`
    /// of an `L` image), or RGB reduced to luma with Pillow's exact `convert("L")` formula
    /// (`grayscale`).
    public func converted(toChannels target: Int) -> PixelImage {
        precondition(target == 1 || target == 3, "PixelImage.converted: channels must be 1 or 3, got \(target)")
        if target == channels { return self }
        if target == 1 { return grayscale }
        return PixelImage(width: width, height: height, channels: 3, pixels: pixels.flatMap { [$0, $0, $0] })
    }
}
