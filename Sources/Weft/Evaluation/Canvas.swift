import Foundation

/// An sRGB colour.
public struct Color: Equatable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(red: UInt8(hex >> 16 & 0xFF), green: UInt8(hex >> 8 & 0xFF), blue: UInt8(hex & 0xFF))
    }

    /// `#rrggbb`.
    public var css: String { String(format: "#%02x%02x%02x", red, green, blue) }

    /// The colour `fraction` of the way from `self` to `other` (0 gives `self`).
    public func mixed(with other: Color, _ fraction: Double) -> Color {
        let t = min(max(fraction, 0), 1)
        func channel(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded()) }
        return Color(red: channel(red, other.red), green: channel(green, other.green), blue: channel(blue, other.blue))
    }

    /// Relative brightness from 0 (black) to 1 (white), ITU-R BT.601 weights.
    public var brightness: Double { (0.299 * Double(red) + 0.587 * Double(green) + 0.114 * Double(blue)) / 255 }

    public static let white = Color(hex: 0xFFFFFF)
    public static let text = Color(hex: 0x1D232B)
    public static let mutedText = Color(hex: 0x5B6570)
    public static let axis = Color(hex: 0x3A424B)
    public static let grid = Color(hex: 0xE4E7EB)
    public static let heatLow = Color(hex: 0xF7FBFF)
    public static let heatHigh = Color(hex: 0x08306B)

    /// Matplotlib's ten-colour "tab10" palette, for classes and series.
    public static let palette: [Color] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
        0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF
    ].map(Color.init(hex:))

    /// The palette colour of class or series `index` (repeating after ten).
    public static func category(_ index: Int) -> Color { palette[index % palette.count] }

    /// The heat-map colour of `fraction` (0 to 1): pale to dark blue.
    public static func heat(_ fraction: Double) -> Color { heatLow.mixed(with: heatHigh, fraction) }
}

/// Where a text's `x` is: its left end, middle or right end.
public enum TextAnchor: String, Sendable {
    case start, middle, end
}

/// A surface charts draw on, in logical pixels with the origin at the top left and `y`
/// downwards. `SVGCanvas` writes SVG elements; `RasterCanvas` paints a `PixelImage` with the
/// bitmap font. Text is placed by its vertical centre.
public protocol Canvas {
    /// The canvas size in logical pixels.
    var width: Double { get }
    var height: Double { get }

    /// A rectangle, filled and/or outlined (1 logical pixel).
    mutating func rectangle(x: Double, y: Double, width: Double, height: Double, fill: Color?, stroke: Color?)
    /// Connected line segments through `points`.
    mutating func polyline(_ points: [(x: Double, y: Double)], color: Color, lineWidth: Double)
    /// A filled disc, `opacity` from 0 to 1.
    mutating func circle(x: Double, y: Double, radius: Double, fill: Color, opacity: Double)
    /// Text of font size `size`, centred vertically on `y`; when `rotated`, turned a quarter
    /// counter-clockwise around (`x`, `y`) so that it reads upwards.
    mutating func text(
        _ text: String, x: Double, y: Double, size: Double, color: Color, anchor: TextAnchor,
        bold: Bool, rotated: Bool)
    /// The width `text` takes at font size `size`.
    func textWidth(_ text: String, size: Double) -> Double
}

extension Canvas {
    /// A straight line.
    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, color: Color, lineWidth: Double = 1) {
        polyline([(x1, y1), (x2, y2)], color: color, lineWidth: lineWidth)
    }

    /// Text with the usual defaults: left-anchored, regular, horizontal.
    public mutating func text(
        _ text: String, x: Double, y: Double, size: Double, color: Color = .text,
        anchor: TextAnchor = .start, bold: Bool = false
    ) {
        self.text(text, x: x, y: y, size: size, color: color, anchor: anchor, bold: bold, rotated: false)
    }
}
