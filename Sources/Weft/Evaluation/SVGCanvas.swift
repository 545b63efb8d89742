import Foundation

/// A canvas that collects SVG elements; `svg(title:)` gives the `<svg>` element to inline in
/// HTML. Text uses the page's sans-serif font; its width is estimated at 0.6 em a character.
public struct SVGCanvas: Canvas {
    public let width: Double
    public let height: Double
    private var elements: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    public mutating func rectangle(x: Double, y: Double, width: Double, height: Double, fill: Color?, stroke: Color?) {
        elements.append(
            "<rect x=\"\(SVGCanvas.number(x))\" y=\"\(SVGCanvas.number(y))\" width=\"\(SVGCanvas.number(width))\" height=\"\(SVGCanvas.number(height))\" fill=\"\(fill?.css ?? "none")\"\(stroke.map { " stroke=\"\($0.css)\"" } ?? "")/>"
        )
    }

    public mutating func polyline(_ points: [(x: Double, y: Double)], color: Color, lineWidth: Double) {
        guard !points.isEmpty else { return }
        let list = points.map { "\(SVGCanvas.number($0.x)),\(SVGCanvas.number($0.y))" }.joined(separator: " ")
        elements.append(
            "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(color.css)\" stroke-width=\"\(SVGCanvas.number(lineWidth))\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>"
        )
    }

    public mutating func circle(x: Double, y: Double, radius: Double, fill: Color, opacity: Double) {
        let alpha = opacity < 1 ? " fill-opacity=\"\(SVGCanvas.number(opacity))\"" : ""
        elements.append(
            "<circle cx=\"\(SVGCanvas.number(x))\" cy=\"\(SVGCanvas.number(y))\" r=\"\(SVGCanvas.number(radius))\" fill=\"\(fill.css)\"\(alpha)/>"
        )
    }

    public mutating func text(
        _ text: String, x: Double, y: Double, size: Double, color: Color, anchor: TextAnchor,
        bold: Bool, rotated: Bool
    ) {
        let position = "x=\"\(SVGCanvas.number(x))\" y=\"\(SVGCanvas.number(y))\""
        let rotation = rotated ? " transform=\"rotate(-90 \(SVGCanvas.number(x)) \(SVGCanvas.number(y)))\"" : ""
        let weight = bold ? " font-weight=\"600\"" : ""
        elements.append(
            "<text \(position) font-size=\"\(SVGCanvas.number(size))\" fill=\"\(color.css)\" text-anchor=\"\(anchor.rawValue)\" dominant-baseline=\"central\"\(weight)\(rotation)>\(HTML.escape(text))</text>"
        )
    }

    public func textWidth(_ text: String, size: Double) -> Double {
        Double(text.count) * size * 0.6
    }

    /// The `<svg>` element, sized `width × height` and scaling down with the page; `title`
    /// is its accessible name.
    public func svg(title: String) -> String {
        let size = "\(SVGCanvas.number(width)) \(SVGCanvas.number(height))"
        return
            "<svg viewBox=\"0 0 \(size)\" width=\"\(SVGCanvas.number(width))\" height=\"\(SVGCanvas.number(height))\" role=\"img\" font-family=\"sans-serif\"><title>\(HTML.escape(title))</title>\n"
            + elements.joined(separator: "\n") + "\n</svg>"
    }

    /// A coordinate with at most two decimals.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded()
            ? String(Int(rounded))
            : String(format: "%.2f", rounded).replacingOccurrences(of: #"0$"#, with: "", options: .regularExpression)
    }
}
