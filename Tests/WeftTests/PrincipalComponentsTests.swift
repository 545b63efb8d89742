import Foundation
import Weft
import XCTest

/// PCA against scikit-learn's `PCA(n_components=2)` (components up to sign).
final class PrincipalComponentsTests: XCTestCase {
    func testComponentsVariancesAndProjectionEqualScikitLearnUpToSign() throws {
        for golden in try EvaluationGolden.cases("pca") {
            guard case .string(let name)? = golden["name"] else { return XCTFail("a case has no name") }
            let rows = Int(try EvaluationGolden.number(golden["rows"])),
                columns = Int(try EvaluationGolden.number(golden["columns"]))
            let values = try EvaluationGolden.numbers(golden["x"])
            let pca = PrincipalComponents(values: values, rows: rows, columns: columns, count: 2)
            let components = try EvaluationGolden.numbers(golden["components"])
            let variances = try EvaluationGolden.numbers(golden["explainedVariance"])
            let ratios = try EvaluationGolden.numbers(golden["explainedVarianceRatio"])
            let projection = try EvaluationGolden.numbers(golden["projection"])
            let projected = pca.project(values, rows: rows)
            for component in 0..<2 {
                let expected = Array(components[(component * columns)..<((component + 1) * columns)])
                let sign: Double = zip(expected, pca.components[component]).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1 : 1
                for column in 0..<columns {
                    XCTAssertEqual(
                        sign * pca.components[component][column], expected[column], accuracy: 1e-6,
                        "\(name) component \(component)")
                }
                XCTAssertEqual(
                    pca.explainedVariance[component], variances[component], accuracy: 1e-6 * max(1, variances[0]),
                    "\(name) variance \(component)")
                XCTAssertEqual(
                    pca.explainedVarianceRatio[component], ratios[component], accuracy: 1e-6,
                    "\(name) ratio \(component)")
                for row in 0..<rows {
                    XCTAssertEqual(
                        sign * projected[row * 2 + component], projection[row * 2 + component],
                        accuracy: 1e-6 * max(1, variances[0].squareRoot()), "\(name) row \(row)")
                }
            }
        }
    }

    func testPointsOnALineGiveThatDirection() {
        // y = 2x exactly: one component along (1, 2)/√5 with all the variance.
        let values: [Double] = [-2, -4, -1, -2, 0, 0, 1, 2, 2, 4, 3, 6]
        let pca = PrincipalComponents(values: values, rows: 6, columns: 2, count: 2)
        XCTAssertEqual(pca.components[0][0], 1 / 5.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(pca.components[0][1], 2 / 5.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(pca.explainedVarianceRatio[0], 1, accuracy: 1e-9)
        XCTAssertEqual(pca.explainedVariance[1], 0, accuracy: 1e-9)
        XCTAssertEqual(pca.mean, [0.5, 1])
    }
}
