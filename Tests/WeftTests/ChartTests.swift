import Foundation
import Weft
import XCTest

/// The report's chart parts: round ticks, SVG text escaping, and the rasteriser's geometry.
final class ChartTests: XCTestCase {
    func testAxesGetRoundTicksAndLabels() {
        let fractions = ChartAxis(low: 0.13, high: 0.87)
        XCTAssertEqual(fractions.ticks.map(fractions.label), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let epochs = ChartAxis(low: 1, high: 2, tickCount: 8, integers: true)
        XCTAssertEqual(epochs.ticks, [1, 2])
        let fifteen = ChartAxis(low: 1, high: 15, tickCount: 8, integers: true)
        XCTAssertEqual(fifteen.step, 2)
        XCTAssertEqual(fifteen.minimum, 0)
        XCTAssertEqual(fifteen.maximum, 16)
        let rates = ChartAxis(low: 8e-6, high: 0.0024, tickCount: 6)
        XCTAssertEqual(rates.ticks.map(rates.label), ["0", "0.0005", "0.0010", "0.0015", "0.0020", "0.0025"])
        let quarter = ChartAxis(low: 0, high: 1.1, tickCount: 6)
        XCTAssertEqual(quarter.step, 0.25)
        XCTAssertEqual(quarter.label(0.75), "0.75")
        let flat = ChartAxis(low: 3, high: 3)
        XCTAssertLessThan(flat.minimum, 3)
        XCTAssertGreaterThan(flat.maximum, 3)
        XCTAssertEqual(flat.position(flat.minimum, from: 100, to: 0), 100)
    }

    func testSVGEscapesTextAndHasNoNetworkReference() {
        var canvas = SVGCanvas(width: 100, height: 50)
        canvas.text("a<b & \"c\"", x: 10, y: 10, size: 12)
        canvas.line(x1: 0, y1: 0, x2: 10, y2: 10, color: .axis)
        let svg = canvas.svg(title: "T & <t>")
        XCTAssertTrue(svg.contains(">a&lt;b &amp; &quot;c&quot;</text>"), svg)
        XCTAssertTrue(svg.contains("<title>T &amp; &lt;t&gt;</title>"), svg)
        XCTAssertFalse(svg.contains("http"))
    }

    func testRasterCanvasDrawsWhereItIsTold() {
        var canvas = RasterCanvas(width: 40, height: 30, scale: 2)
        XCTAssertEqual(canvas.image.width, 80)
        XCTAssertEqual(canvas.image.height, 60)
        let red = Color(hex: 0xFF0000)
        canvas.line(x1: 2, y1: 5, x2: 30, y2: 5, color: red, lineWidth: 1)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] {
            let index = (y * canvas.image.width + x) * 3
            return Array(canvas.image.pixels[index..<(index + 3)])
        }
        XCTAssertEqual(pixel(30, 10), [255, 0, 0])
        XCTAssertEqual(pixel(30, 20), [255, 255, 255])
        canvas.rectangle(x: 0, y: 20, width: 5, height: 5, fill: .heatHigh, stroke: nil)
        XCTAssertEqual(pixel(5, 45), [0x08, 0x30, 0x6B])
        // Upright text reading upwards: taller than wide, and above its anchor when anchored at the start.
        var upright = RasterCanvas(width: 60, height: 60, scale: 1)
        upright.text("WEFT", x: 30, y: 50, size: 10, color: .text, anchor: .start, bold: false, rotated: true)
        let inked = (0..<3600).filter { upright.image.pixels[$0 * 3] != 255 }.map { (x: $0 % 60, y: $0 / 60) }
        XCTAssertFalse(inked.isEmpty)
        let columns = Set(inked.map(\.x)), rows = Set(inked.map(\.y))
        XCTAssertLessThanOrEqual(columns.count, BitmapFont.glyphHeight)
        XCTAssertEqual(rows.max(), 50)
        XCTAssertEqual(rows.min(), 50 - BitmapFont.width(of: "WEFT") + 1)
        XCTAssertEqual(upright.textWidth("WEFT", size: 10), Double(BitmapFont.width(of: "WEFT")))
    }
}
