import Foundation
import Weft
import XCTest

/// The live `report.html` of a running job: rewritten after every epoch with the curves and the
/// table so far, atomically, and nothing evaluated for it.
final class LiveReportTests: XCTestCase {
    override func setUp() { Parallel.setThreadCount(2) }

    func testThePageIsRewrittenAfterEveryEpochWithTheEpochsSoFar() throws {
        let folder = NSTemporaryDirectory() + "weft-live-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        let config = try TrainingConfig(
            json: try JSONParser.parse(ResumeTests.configText(folder: folder, epochs: 3), source: "test.json"),
            source: "test.json")
        let run = try ResumeTests.freshRun(config)
        var pages: [String] = []
        run.afterEpoch = { state in
            try? LiveReport(config: config, folder: folder, epochs: state.history).write()
            pages.append((try? String(contentsOfFile: LiveReport.path(folder: folder), encoding: .utf8)) ?? "")
        }
        let stepsPerEpoch = run.trainer.trainLoader.batchesPerEpoch
        _ = try ResumeTests.interrupt(run) { $0.step == 2 * stepsPerEpoch + 1 }
        XCTAssertEqual(pages.count, 2, "one page per finished epoch")
        guard pages.count == 2 else { return }
        let history = run.trainer.state.history
        for (index, page) in pages.enumerated() {
            XCTAssertTrue(page.contains("epoch \(index + 1) of 3 finished"), page)
            XCTAssertTrue(page.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
            XCTAssertEqual(page.components(separatedBy: "<svg").count - 1, 3, "loss, accuracy and rate charts")
            XCTAssertEqual(page.components(separatedBy: "<tr><td>").count - 1, index + 1, "one table row per epoch")
            let loss = String(format: "%.4f", history[index].trainLoss)
            XCTAssertTrue(page.contains("<tr><td>\(index + 1)</td><td>\(loss)</td>"), "epoch \(index + 1)'s loss")
            XCTAssertFalse(page.contains(">test<"), "no test point: nothing is evaluated for the page")
        }
        let best = try XCTUnwrap(history.compactMap(\.validationAccuracy).max())
        XCTAssertTrue(pages[1].contains(String(format: "best validation accuracy %.2f%%", 100 * best)))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains("report") }
        XCTAssertEqual(leftovers, ["report.html"], "written atomically: no temporary file stays")
    }

    func testAnUnwritableFolderIsOneSentenceNamingThePage() throws {
        let config = try TrainingConfig(
            json: try JSONParser.parse(ResumeTests.configText(folder: "/nonexistent/run"), source: "test.json"),
            source: "test.json")
        XCTAssertThrowsError(try LiveReport(config: config, folder: "/nonexistent/run", epochs: []).write()) {
            XCTAssertTrue(
                ($0 as? WeftError)?.message.hasPrefix(
                    "/nonexistent/run/report.html: the folder /nonexistent/run does not exist")
                    == true, "\($0)")
        }
    }
}
