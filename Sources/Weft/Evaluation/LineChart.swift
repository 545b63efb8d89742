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
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xAxis = ChartAxis(
            low: points.map(\.x).min() ?? 0, high: points.map(\.x).max() ?? 1, tickCount: 8, integers: integerX)
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
                xAxis.label(tick), x: x, y: plotBottom + 14, size: LineChart.tickSize, color: .mutedText,
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
        // The series.
        for item in series {
            let mapped = item.points.filter { $0.x.isFinite && $0.y.isFinite }.map {
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
}
