/// A canvas that paints an RGB `PixelImage`, `scale` device pixels per logical pixel: lines as
/// stamped squares, discs with alpha blending, and text in `BitmapFont` at the integer scale
/// closest to the font size (a font size of 10 logical pixels draws the 7-pixel glyphs at
/// `scale`). No anti-aliasing: the output is crisp and small as PNG.
public struct RasterCanvas: Canvas {
    public let width: Double
    public let height: Double
    /// Device pixels per logical pixel.
    public let scale: Int
    /// The painted image, `width·scale × height·scale`, RGB.
    public private(set) var image: PixelImage

    /// A canvas filled with `background`.
    public init(width: Double, height: Double, scale: Int = 2, background: Color = .white) {
        precondition(width > 0 && height > 0 && scale > 0, "RasterCanvas: size and scale must be positive")
        self.width = width
        self.height = height
        self.scale = scale
        let columns = Int((width * Double(scale)).rounded()), rows = Int((height * Double(scale)).rounded())
        var pixels = [UInt8](repeating: 0, count: columns * rows * 3)
        for pixel in 0..<(columns * rows) {
            pixels[3 * pixel] = background.red
            pixels[3 * pixel + 1] = background.green
            pixels[3 * pixel + 2] = background.blue
        }
        image = PixelImage(width: columns, height: rows, channels: 3, pixels: pixels)
    }

    private func device(_ value: Double) -> Int { Int((value * Double(scale)).rounded()) }

    /// Blends `color` into device pixel (`column`, `row`) with `alpha`; outside pixels are skipped.
    private mutating func paint(column: Int, row: Int, color: Color, alpha: Double = 1) {
        guard column >= 0, row >= 0, column < image.width, row < image.height else { return }
        let index = (row * image.width + column) * 3
        if alpha >= 1 {
            image.pixels[index] = color.red
            image.pixels[index + 1] = color.green
            image.pixels[index + 2] = color.blue
        } else {
            func blend(_ old: UInt8, _ new: UInt8) -> UInt8 {
                UInt8((Double(old) * (1 - alpha) + Double(new) * alpha).rounded())
            }
            image.pixels[index] = blend(image.pixels[index], color.red)
            image.pixels[index + 1] = blend(image.pixels[index + 1], color.green)
            image.pixels[index + 2] = blend(image.pixels[index + 2], color.blue)
        }
    }

    private mutating func fill(left: Int, top: Int, right: Int, bottom: Int, color: Color) {
        for row in max(top, 0)..<max(min(bottom, image.height), max(top, 0)) {
            for column in max(left, 0)..<max(min(right, image.width), max(left, 0)) {
                paint(column: column, row: row, color: color)
            }
        }
    }

    public mutating func rectangle(
        x: Double, y: Double, width: Double, height: Double, fill color: Color?, stroke: Color?
    ) {
        let left = device(x), top = device(y), right = device(x + width), bottom = device(y + height)
        if let color { fill(left: left, top: top, right: right, bottom: bottom, color: color) }
        if let stroke {
            fill(left: left, top: top, right: right, bottom: top + scale, color: stroke)
            fill(left: left, top: bottom - scale, right: right, bottom: bottom, color: stroke)
            fill(left: left, top: top, right: left + scale, bottom: bottom, color: stroke)
            fill(left: right - scale, top: top, right: right, bottom: bottom, color: stroke)
        }
    }

    public mutating func polyline(_ points: [(x: Double, y: Double)], color: Color, lineWidth: Double) {
        let thickness = max(1, Int((lineWidth * Double(scale)).rounded()))
        let half = Double(thickness) / 2
        for (start, end) in zip(points, points.dropFirst()) + (points.count == 1 ? [(points[0], points[0])] : []) {
            let x0 = start.x * Double(scale), y0 = start.y * Double(scale)
            let x1 = end.x * Double(scale), y1 = end.y * Double(scale)
            let steps = max(1, Int((max(abs(x1 - x0), abs(y1 - y0)) * 2).rounded(.up)))
            for step in 0...steps {
                let t = Double(step) / Double(steps)
                let left = Int((x0 + (x1 - x0) * t - half).rounded()), top = Int((y0 + (y1 - y0) * t - half).rounded())
                fill(left: left, top: top, right: left + thickness, bottom: top + thickness, color: color)
            }
        }
    }

    public mutating func circle(x: Double, y: Double, radius: Double, fill color: Color, opacity: Double) {
        let centreX = x * Double(scale), centreY = y * Double(scale), r = radius * Double(scale)
        for row in Int((centreY - r).rounded(.down))...Int((centreY + r).rounded(.up)) {
            for column in Int((centreX - r).rounded(.down))...Int((centreX + r).rounded(.up)) {
                let dx = Double(column) + 0.5 - centreX, dy = Double(row) + 0.5 - centreY
                if dx * dx + dy * dy <= r * r { paint(column: column, row: row, color: color, alpha: opacity) }
            }
        }
    }

    /// The bitmap font's scale for font size `size`.
    public func fontScale(_ size: Double) -> Int {
        max(1, Int((size * Double(scale) / 10).rounded()))
    }

    public func textWidth(_ text: String, size: Double) -> Double {
        Double(BitmapFont.width(of: text, scale: fontScale(size))) / Double(scale)
    }

    public mutating func text(
        _ text: String, x: Double, y: Double, size: Double, color: Color, anchor: TextAnchor,
        bold: Bool, rotated: Bool
    ) {
        let fontScale = fontScale(size)
        let length = BitmapFont.width(of: text, scale: fontScale)
        let offset: Int
        switch anchor {
        case .start: offset = 0
        case .middle: offset = -length / 2
        case .end: offset = -length
        }
        let originX = device(x), originY = device(y)
        let halfHeight = BitmapFont.glyphHeight * fontScale / 2
        for pass in 0..<(bold ? 2 : 1) {
            for (index, character) in text.enumerated() {
                for row in 0..<BitmapFont.glyphHeight {
                    for column in 0..<BitmapFont.glyphWidth where BitmapFont.isSet(character, row: row, column: column)
                    {
                        for dy in 0..<fontScale {
                            for dx in 0..<fontScale {
                                // Position along the text and down the glyph, relative to the anchor.
                                let along = offset + (index * BitmapFont.advance + column) * fontScale + dx + pass
                                let down = row * fontScale + dy - halfHeight
                                if rotated {
                                    paint(column: originX + down, row: originY - along, color: color)
                                } else {
                                    paint(column: originX + along, row: originY + down, color: color)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Draws `picture` enlarged (nearest neighbour) into the square at (`x`, `y`) of side `size`.
    public mutating func paste(_ picture: PixelImage, x: Double, y: Double, size: Double) {
        let side = device(size), left = device(x), top = device(y)
        for row in 0..<side {
            for column in 0..<side {
                let source =
                    ((row * picture.height / side) * picture.width + column * picture.width / side) * picture.channels
                let color =
                    picture.channels == 3
                    ? Color(
                        red: picture.pixels[source], green: picture.pixels[source + 1], blue: picture.pixels[source + 2]
                    )
                    : Color(red: picture.pixels[source], green: picture.pixels[source], blue: picture.pixels[source])
                paint(column: left + column, row: top + row, color: color)
            }
        }
    }
}
