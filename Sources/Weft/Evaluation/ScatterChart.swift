/// A scatter plot of labelled 2-D points coloured by class, with axes, ticks, axis labels, a
/// title and a legend of class names on the right. Draws on any `Canvas`.
public struct ScatterChart: Sendable {
    /// `[count]` x and y coordinates and the class of each point.
    public var x: [Double]
    public var y: [Double]
    public var labels: [Int]
    public var classNames: [String]
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var width = 1000.0
    public var height = 600.0
    /// The dots' radius and opacity: small and translucent for thousands of points (PCA).
    public var pointRadius = 2.6
    public var pointOpacity = 0.65
    /// Whether the x axis counts whole units (trial numbers).
    public var integerX = false

    public init(
        x: [Double], y: [Double], labels: [Int], classNames: [String], title: String, xLabel: String, yLabel: String
    ) {
        precondition(x.count == y.count && y.count == labels.count, "ScatterChart: x, y and labels differ in count")
        self.x = x
        self.y = y
        self.labels = labels
        self.classNames = classNames
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// Draws the chart with its top-left corner at (`left`, `top`).
    public func draw<C: Canvas>(on canvas: inout C, left: Double = 0, top: Double = 0) {
        let xAxis = ChartAxis(low: x.min() ?? 0, high: x.max() ?? 1, tickCount: 7, integers: integerX)
        let yAxis = ChartAxis(low: y.min() ?? 0, high: y.max() ?? 1, tickCount: 6)
        let tickSize = LineChart.tickSize, labelSize = LineChart.labelSize
        let legendWidth = (classNames.map { canvas.textWidth($0, size: labelSize) }.max() ?? 0) + 34
        let tickLabelWidth = yAxis.ticks.map { canvas.textWidth(yAxis.label($0), size: tickSize) }.max() ?? 0
        let plotLeft = left + 26 + tickLabelWidth + 8, plotRight = left + width - legendWidth - 20
        let plotTop = top + 38, plotBottom = top + height - 46

        canvas.rectangle(x: left, y: top, width: width, height: height, fill: .white, stroke: nil)
        canvas.text(
            title, x: left + 12, y: top + 16, size: LineChart.titleSize, color: .text, anchor: .start, bold: true)
        for tick in yAxis.ticks {
            let position = yAxis.position(tick, from: plotBottom, to: plotTop)
            canvas.line(x1: plotLeft, y1: position, x2: plotRight, y2: position, color: .grid)
            canvas.line(x1: plotLeft - 5, y1: position, x2: plotLeft, y2: position, color: .axis)
            canvas.text(
                yAxis.label(tick), x: plotLeft - 8, y: position, size: tickSize, color: .mutedText, anchor: .end)
        }
        for tick in xAxis.ticks {
            let position = xAxis.position(tick, from: plotLeft, to: plotRight)
            canvas.line(x1: position, y1: plotTop, x2: position, y2: plotBottom, color: .grid)
            canvas.line(x1: position, y1: plotBottom, x2: position, y2: plotBottom + 5, color: .axis)
            canvas.text(
                xAxis.label(tick), x: position, y: plotBottom + 14, size: tickSize, color: .mutedText, anchor: .middle)
        }
        canvas.line(x1: plotLeft, y1: plotBottom, x2: plotRight, y2: plotBottom, color: .axis)
        canvas.line(x1: plotLeft, y1: plotTop, x2: plotLeft, y2: plotBottom, color: .axis)
        canvas.text(
            xLabel, x: (plotLeft + plotRight) / 2, y: top + height - 12, size: labelSize, color: .text, anchor: .middle)
        canvas.text(
            yLabel, x: left + 12, y: (plotTop + plotBottom) / 2, size: labelSize, color: .text,
            anchor: .middle, bold: false, rotated: true)
        for index in x.indices {
            canvas.circle(
                x: xAxis.position(x[index], from: plotLeft, to: plotRight),
                y: yAxis.position(y[index], from: plotBottom, to: plotTop),
                radius: pointRadius, fill: Color.category(labels[index]), opacity: pointOpacity)
        }
        let legendLeft = plotRight + 20
        for (index, name) in classNames.enumerated() {
            let rowY = plotTop + 8 + Double(index) * 20
            canvas.circle(x: legendLeft + 6, y: rowY, radius: 5, fill: Color.category(index), opacity: 1)
            canvas.text(name, x: legendLeft + 18, y: rowY, size: labelSize, color: .text, anchor: .start)
        }
    }
}
