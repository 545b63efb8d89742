import Foundation

/// The report's charts, each drawn both as inline SVG (for the HTML) and as PNG (the files
/// beside it) from the same chart value.
extension RunReport {
    static let trainColor = Color.category(0), validationColor = Color.category(1), testColor = Color.category(2)

    /// The epoch the evaluated checkpoint was saved after (where the test point goes).
    private var checkpointEpoch: Double { Double(max(checkpoint.state.epoch, 1)) }

    /// Training and validation loss per epoch, and the checkpoint's test loss.
    public var lossChart: LineChart {
        RunReport.lossChart(history.epochs, test: (checkpointEpoch, evaluation.loss))
    }

    /// Training and validation accuracy per epoch (percent), and the checkpoint's test accuracy.
    public var accuracyChart: LineChart {
        RunReport.accuracyChart(history.epochs, test: (checkpointEpoch, evaluation.accuracy))
    }

    /// The learning rate of each epoch's last step.
    public var learningRateChart: LineChart {
        RunReport.learningRateChart(history.epochs)
    }

    /// Training and validation loss of `epochs`, and a test point (epoch, loss) when given.
    static func lossChart(_ epochs: [EpochRecord], test: (epoch: Double, loss: Double)?) -> LineChart {
        LineChart(
            title: "Loss", xLabel: "epoch", yLabel: "cross-entropy",
            series: curves(epochs, test: test.map { ($0.epoch, $0.loss) }, scale: 1) {
                ($0.trainLoss, $0.validationLoss)
            })
    }

    /// Training and validation accuracy of `epochs` (percent), and a test point (epoch,
    /// accuracy as a fraction) when given.
    static func accuracyChart(_ epochs: [EpochRecord], test: (epoch: Double, accuracy: Double)?) -> LineChart {
        LineChart(
            title: "Accuracy", xLabel: "epoch", yLabel: "accuracy (%)",
            series: curves(epochs, test: test.map { ($0.epoch, $0.accuracy) }, scale: 100) {
                ($0.trainAccuracy, $0.validationAccuracy)
            })
    }

    /// The train and validation series of `metric` (times `scale`), and the test point.
    private static func curves(
        _ epochs: [EpochRecord], test: (Double, Double)?, scale: Double,
        _ metric: (EpochRecord) -> (train: Double, validation: Double?)
    ) -> [LineChart.Series] {
        var series = [
            LineChart.Series(
                name: "train", color: RunReport.trainColor,
                points: epochs.map { .init(x: Double($0.epoch), y: scale * metric($0).train) })
        ]
        let validation = epochs.compactMap { record in
            metric(record).validation.map { LineChart.Point(x: Double(record.epoch), y: scale * $0) }
        }
        if !validation.isEmpty {
            series.append(.init(name: "validation", color: RunReport.validationColor, points: validation))
        }
        if let (epoch, value) = test {
            series.append(
                .init(
                    name: "test", color: RunReport.testColor, points: [.init(x: epoch, y: scale * value)], markers: true
                ))
        }
        return series
    }

    /// The learning rate of each epoch's last step.
    static func learningRateChart(_ epochs: [EpochRecord]) -> LineChart {
        let points = epochs.filter { $0.learningRate.isFinite }.map {
            LineChart.Point(x: Double($0.epoch), y: $0.learningRate)
        }
        return LineChart(
            title: "Learning rate", xLabel: "epoch", yLabel: "learning rate",
            series: [.init(name: "end of epoch", color: Color.category(4), points: points)])
    }

    /// The test confusion matrix as a heat map.
    public var confusionChart: ConfusionMatrixChart {
        ConfusionMatrixChart(
            matrix: evaluation.confusionMatrix, classNames: model.classNames,
            title: "Confusion matrix: \(RunReport.grouped(evaluation.count)) test images")
    }

    /// The PCA projection of the penultimate-layer features, coloured by class.
    public var projectionChart: ScatterChart {
        let ratios = projection.explainedVarianceRatio
        return ScatterChart(
            x: projection.first, y: projection.second, labels: projection.labels, classNames: model.classNames,
            title: "Penultimate-layer features of \(RunReport.grouped(projection.indices.count)) test images (PCA)",
            xLabel: String(format: "first principal component (%.1f%% of variance)", 100 * (ratios.first ?? 0)),
            yLabel: String(
                format: "second principal component (%.1f%% of variance)", 100 * (ratios.dropFirst().first ?? 0)))
    }

    /// `chart` as an inline SVG element.
    static func svg(_ chart: LineChart) -> String {
        var canvas = SVGCanvas(width: chart.width, height: chart.height)
        chart.draw(on: &canvas)
        return canvas.svg(title: chart.title)
    }

    /// The confusion heat map as an inline SVG element.
    var confusionSVG: String {
        let chart = confusionChart
        let size = chart.size(on: SVGCanvas(width: 1, height: 1))
        var canvas = SVGCanvas(width: size.width, height: size.height)
        chart.draw(on: &canvas)
        return canvas.svg(title: chart.title)
    }

    /// The PCA scatter plot as an inline SVG element.
    var projectionSVG: String {
        let chart = projectionChart
        var canvas = SVGCanvas(width: chart.width, height: chart.height)
        chart.draw(on: &canvas)
        return canvas.svg(title: chart.title)
    }

    /// `confusion.png`: the heat map at twice its logical size.
    public func confusionPNG() -> PixelImage {
        let chart = confusionChart
        let size = chart.size(on: RasterCanvas(width: 1, height: 1))
        var canvas = RasterCanvas(width: size.width, height: size.height)
        chart.draw(on: &canvas)
        return canvas.image
    }

    /// `curves.png`: loss, accuracy and learning rate, one above the other.
    public func curvesPNG() -> PixelImage {
        let charts = [lossChart, accuracyChart, learningRateChart]
        let width = charts.map(\.width).max() ?? 560
        var canvas = RasterCanvas(width: width, height: charts.reduce(0) { $0 + $1.height })
        var top = 0.0
        for chart in charts {
            chart.draw(on: &canvas, left: 0, top: top)
            top += chart.height
        }
        return canvas.image
    }

    /// `misclassified.png`: the most confident mistakes, captioned `predicted (true) probability`.
    public func misclassifiedPNG() -> PixelImage {
        ReportGallery.render(
            misclassified, dataset: evaluation.split.dataset(in: data), classNames: model.classNames,
            title: "Most confident mistakes on the test set: predicted (true) probability")
    }
}
