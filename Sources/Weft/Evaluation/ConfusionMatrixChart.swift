import Foundation

/// The confusion matrix as a heat map: one cell per (true, predicted) pair holding its count,
/// shaded by the share of the true class's images it holds (so each row reads as a recall
/// profile), class names on both axes, and a colour bar. Draws on any `Canvas`.
public struct ConfusionMatrixChart: Sendable {
    public var matrix: ConfusionMatrix
    public var classNames: [String]
    public var title: String
    /// The side of one cell, in logical pixels.
    public var cellSize = 46.0

    public init(matrix: ConfusionMatrix, classNames: [String], title: String) {
        self.matrix = matrix
        self.classNames = classNames
        self.title = title
    }

    static let titleSize = 15.0, labelSize = 12.0, nameSize = 12.0

    /// The logical size the chart needs on `canvas` (text widths differ between canvases).
    public func size<C: Canvas>(on canvas: C) -> (width: Double, height: Double) {
        let names = nameWidth(on: canvas)
        let grid = cellSize * Double(matrix.classCount)
        return (28 + names + 10 + grid + 24 + 16 + 44, 40 + grid + 10 + names + 36)
    }

    private func nameWidth<C: Canvas>(on canvas: C) -> Double {
        classNames.map { canvas.textWidth($0, size: ConfusionMatrixChart.nameSize) }.max() ?? 0
    }

    /// Draws the chart with its top-left corner at (`left`, `top`).
    public func draw<C: Canvas>(on canvas: inout C, left: Double = 0, top: Double = 0) {
        let (width, height) = size(on: canvas)
        let names = nameWidth(on: canvas)
        let classes = matrix.classCount
        let grid = cellSize * Double(classes)
        let gridLeft = left + 28 + names + 10, gridTop = top + 40
        canvas.rectangle(x: left, y: top, width: width, height: height, fill: .white, stroke: nil)
        canvas.text(
            title, x: left + 12, y: top + 16, size: ConfusionMatrixChart.titleSize, color: .text, anchor: .start,
            bold: true)
        let countSize = min(13, cellSize * 0.3)
        for label in 0..<classes {
            let y = gridTop + Double(label) * cellSize
            canvas.text(
                classNames[label], x: gridLeft - 8, y: y + cellSize / 2, size: ConfusionMatrixChart.nameSize,
                color: .text, anchor: .end)
            for predicted in 0..<classes {
                let x = gridLeft + Double(predicted) * cellSize
                let fraction = matrix.rowFraction(label: label, predicted: predicted)
                let fill = Color.heat(fraction)
                canvas.rectangle(x: x, y: y, width: cellSize, height: cellSize, fill: fill, stroke: nil)
                let count = matrix.counts[label][predicted]
                canvas.text(
                    String(count), x: x + cellSize / 2, y: y + cellSize / 2, size: countSize,
                    color: fill.brightness < 0.55 ? .white : (count == 0 ? .mutedText : .text),
                    anchor: .middle, bold: label == predicted)
            }
        }
        for predicted in 0..<classes {
            let x = gridLeft + (Double(predicted) + 0.5) * cellSize
            canvas.text(
                classNames[predicted], x: x, y: gridTop + grid + 8, size: ConfusionMatrixChart.nameSize,
                color: .text, anchor: .end, bold: false, rotated: true)
        }
        canvas.rectangle(x: gridLeft, y: gridTop, width: grid, height: grid, fill: nil, stroke: .axis)
        canvas.text(
            "true class", x: left + 12, y: gridTop + grid / 2, size: ConfusionMatrixChart.labelSize,
            color: .text, anchor: .middle, bold: false, rotated: true)
        canvas.text(
            "predicted class", x: gridLeft + grid / 2, y: gridTop + grid + 10 + names + 18,
            size: ConfusionMatrixChart.labelSize, color: .text, anchor: .middle)
        // Colour bar: share of the true class.
        let barLeft = gridLeft + grid + 24, steps = 50
        for step in 0..<steps {
            let fraction = 1 - (Double(step) + 0.5) / Double(steps)
            canvas.rectangle(
                x: barLeft, y: gridTop + grid * Double(step) / Double(steps), width: 14,
                height: grid / Double(steps) + 0.5, fill: Color.heat(fraction), stroke: nil)
        }
        canvas.rectangle(x: barLeft, y: gridTop, width: 14, height: grid, fill: nil, stroke: .axis)
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let y = gridTop + grid * (1 - tick)
            canvas.line(x1: barLeft + 14, y1: y, x2: barLeft + 18, y2: y, color: .axis)
            canvas.text("\(Int(tick * 100))%", x: barLeft + 21, y: y, size: 10, color: .mutedText, anchor: .start)
        }
        canvas.text(
            "share of the true class", x: barLeft - 7, y: gridTop + grid / 2, size: 10, color: .mutedText,
            anchor: .middle, bold: false, rotated: true)
    }
}
