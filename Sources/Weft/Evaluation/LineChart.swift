import Foundation

/// A line chart of one or more series over a shared x axis, with a title, a legend on the
/// title's line, gridlines, ticks, tick labels and axis labels. Draws on any `Canvas`.
public struct LineChart: Sendable {
    /// One named line.
    public struct Series: Sendable {
        public var name: String
        public var color: Color
        public var points: [Point]
        /// Whether each point gets a dot (small series) .
        public var markers: Bool

        public init(name: String, color: Color, points: [Point], markers: Bool? = nil) {
            self.name = name
            self.color = color
            self.points = points
            self.markers = markers ?? (points.count <= 40)
        }
    }

    /// A data point.
    public struct Point: Sendable {
        public var x: Double
        public var y: Double

        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Whether the x axis counts whole units (epochs).
    public var integerX = true
    /// Whether the x axis is logarithmic: ticks at powers of ten (`1e-7`, `0.01`, `1`, `10`);
    /// points whose x is not positive are left out.
    public var logarithmicX = false
    /// Thin vertical lines across the plot at these x values (a marked point of interest).
    public var verticalLines: [VerticalLine] = []

    /// A vertical line at `x`, in `color`.
    public struct VerticalLine: Sendable {
        public var x: Double
        public var color: Color

        public init(x: Double, color: Color) {
            self.x = x
            self.color = color
        }
    }
    /// Logical size.
    public var width = 520.0
    public var height = 300.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let titleSize = 15.0, labelSize = 12.0, tickSize = 11.0

    /// Draws the chart with its top-left corner at (`left`, `top`).
    public func draw<C: Canvas>(on canvas: inout C, left: Double = 0, top: Double = 0) {
        let points = series.flatMap(\.points).compactMap(plotted)
        let xAxis = ChartAxis(
            low: points.map(\.x).min() ?? 0, high: points.map(\.x).max() ?? 1, tickCount: logarithmicX ? 10 : 8,
            integers: integerX || logarithmicX)
        let xTickLabel = { (tick: Double) in logarithmicX ? LineChart.powerOfTenLabel(tick) : xAxis.label(tick) }
        let yAxis = ChartAxis(low: points.map(\.y).min() ?? 0, high: points.map(\.y).max() ?? 1, tickCount: 6)
        let tickLabelWidth = yAxis.ticks.map { canvas.textWidth(yAxis.label($0), size: LineChart.tickSize) }.max() ?? 0
        let plotLeft = left + 26 + tickLabelWidth + 8, plotRight = left + width - 16
        let plotTop = top + 38, plotBottom = top + height - 46

        // Data sits 10 pixels inside the plot's sides, so end points clear the axis.
        let dataLeft = plotLeft + 10, dataRight = plotRight - 10
        canvas.rectangle(x: left, y: top, width: width, height: height, fill: .white, stroke: nil)
        canvas.text(
            title, x: left + 12, y: top + 16, size: LineChart.titleSize, color: .text, anchor: .start, bold: true)
        // Legend: right-aligned on the title's line.
        var legendRight = left + width - 16
        for item in series.reversed() {
            let nameWidth = canvas.textWidth(item.name, size: LineChart.labelSize)
            canvas.text(item.name, x: legendRight, y: top + 16, size: LineChart.labelSize, color: .text, anchor: .end)
            let swatchRight = legendRight - nameWidth - 6
            canvas.line(
                x1: swatchRight - 18, y1: top + 16, x2: swatchRight, y2: top + 16, color: item.color, lineWidth: 2.5)
            if item.markers { canvas.circle(x: swatchRight - 9, y: top + 16, radius: 3, fill: item.color, opacity: 1) }
            legendRight = swatchRight - 18 - 16
        }
        // Gridlines, ticks and tick labels.
        for tick in yAxis.ticks {
            let y = yAxis.position(tick, from: plotBottom, to: plotTop)
            canvas.line(x1: plotLeft, y1: y, x2: plotRight, y2: y, color: .grid)
            canvas.line(x1: plotLeft - 5, y1: y, x2: plotLeft, y2: y, color: .axis)
            canvas.text(
                yAxis.label(tick), x: plotLeft - 8, y: y, size: LineChart.tickSize, color: .mutedText, anchor: .end)
        }
        for tick in xAxis.ticks {
            let x = xAxis.position(tick, from: dataLeft, to: dataRight)
            canvas.line(x1: x, y1: plotTop, x2: x, y2: plotBottom, color: .grid)
            canvas.line(x1: x, y1: plotBottom, x2: x, y2: plotBottom + 5, color: .axis)
            canvas.text(
                xTickLabel(tick), x: x, y: plotBottom + 14, size: LineChart.tickSize, color: .mutedText,
                anchor: .middle)
        }
        canvas.line(x1: plotLeft, y1: plotBottom, x2: plotRight, y2: plotBottom, color: .axis)
        canvas.line(x1: plotLeft, y1: plotTop, x2: plotLeft, y2: plotBottom, color: .axis)
        canvas.text(
            xLabel, x: (plotLeft + plotRight) / 2, y: top + height - 12, size: LineChart.labelSize,
            color: .text, anchor: .middle)
        canvas.text(
            yLabel, x: left + 12, y: (plotTop + plotBottom) / 2, size: LineChart.labelSize, color: .text,
            anchor: .middle, bold: false, rotated: true)
        for mark in verticalLines {
            guard let x = plotted(Point(x: mark.x, y: 0))?.x else { continue }
            let position = xAxis.position(x, from: dataLeft, to: dataRight)
            canvas.line(x1: position, y1: plotTop, x2: position, y2: plotBottom, color: mark.color, lineWidth: 1.5)
        }
        // The series.
        for item in series {
            let mapped = item.points.compactMap(plotted).map {
                (
                    x: xAxis.position($0.x, from: dataLeft, to: dataRight),
                    y: yAxis.position($0.y, from: plotBottom, to: plotTop)
                )
            }
            if mapped.count > 1 { canvas.polyline(mapped, color: item.color, lineWidth: 2.5) }
            if item.markers || mapped.count == 1 {
                for point in mapped { canvas.circle(x: point.x, y: point.y, radius: 3.5, fill: item.color, opacity: 1) }
            }
        }
    }

    /// `point` in the axes' units (x as log₁₀ on a logarithmic axis); nil when it cannot be drawn.
    private func plotted(_ point: Point) -> Point? {
        let x = logarithmicX ? (point.x > 0 ? log10(point.x) : .nan) : point.x
        return x.isFinite && point.y.isFinite ? Point(x: x, y: point.y) : nil
    }

    /// The label of the tick at 10^`exponent`: `0.01` to `1000` written out, `1e-7` or `1e6`
    /// beyond.
    static func powerOfTenLabel(_ exponent: Double) -> String {
        let power = Int(exponent.rounded())
        switch power {
        case -2..<0: return "0." + String(repeating: "0", count: -power - 1) + "1"
        case 0...3: return "1" + String(repeating: "0", count: power)
        default: return "1e\(power)"
        }
    }
}
