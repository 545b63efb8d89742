import Weft
import WeftTestSupport
import XCTest

/// The real `weft` process: Ctrl-C saves and resumes to the same weights; `kill -9` at random
/// moments, checkpoint writes included, never leaves the latest checkpoint unreadable.
final class InterruptionTests: XCTestCase {
    private var weft: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("weft")
    }

    private func workspace() throws -> String {
        let path = NSTemporaryDirectory() + "weft-signals-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Starts `weft` with `arguments`, stderr to `log`.
    private func start(_ arguments: [String], log: String) throws -> Process {
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = weft
        process.arguments = arguments + ["--threads", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        return process
    }

    /// Waits until `log` shows training under way (a progress line), up to 120 s.
    private func waitForTraining(_ log: String, process: Process) {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning {
            if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains(" batch ") { return }
            usleep(20_000)
        }
    }

    private func tensors(_ path: String) throws -> [String: [UInt32]] {
        Dictionary(
            uniqueKeysWithValues: try SafetensorsFile.read(path: path).entries.map {
                ($0.name, $0.values.map(\.bitPattern))
            })
    }

    func testCtrlCSavesPrintsHowToResumeAndResumingEqualsAnUninterruptedRun() throws {
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            throw missing("the weft executable is not built: run swift build --build-tests")
        }
        let root = try workspace()
        for name in ["straight", "interrupted"] {
            try ResumeTests.configText(folder: "\(root)/\(name)", epochs: 2)
                .write(toFile: "\(root)/\(name).json", atomically: true, encoding: .utf8)
        }
        let straight = try start(["train", "\(root)/straight.json"], log: "\(root)/straight.log")
        straight.waitUntilExit()
        XCTAssertEqual(
            straight.terminationStatus, 0, (try? String(contentsOfFile: "\(root)/straight.log", encoding: .utf8)) ?? "")

        let interrupted = try start(["train", "\(root)/interrupted.json"], log: "\(root)/interrupted.log")
        waitForTraining("\(root)/interrupted.log", process: interrupted)
        kill(interrupted.processIdentifier, SIGINT)
        interrupted.waitUntilExit()
        let message = try String(contentsOfFile: "\(root)/interrupted.log", encoding: .utf8)
        XCTAssertEqual(interrupted.terminationStatus, 130, message)
        XCTAssertTrue(message.contains("resume with: weft resume \(root)/interrupted/last.safetensors"), message)

        let resumed = try start(["resume", "\(root)/interrupted/last.safetensors"], log: "\(root)/resumed.log")
        resumed.waitUntilExit()
        XCTAssertEqual(
            resumed.terminationStatus, 0, (try? String(contentsOfFile: "\(root)/resumed.log", encoding: .utf8)) ?? "")
        XCTAssertEqual(
            try tensors("\(root)/interrupted/last.safetensors"), try tensors("\(root)/straight/last.safetensors"),
            "interrupted and resumed, the final weights must equal the uninterrupted run's bit for bit")
    }

    func testKillNineNeverLeavesTheLatestCheckpointUnreadable() throws {
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            throw missing("the weft executable is not built: run swift build --build-tests")
        }
        let root = try workspace()
        try ResumeTests.configText(folder: "\(root)/run", epochs: 3, everySteps: 1)
            .write(toFile: "\(root)/run.json", atomically: true, encoding: .utf8)
        let last = "\(root)/run/last.safetensors"
        var generator = RandomGenerator(seed: UInt64(Date().timeIntervalSince1970))
        var kills = 0
        for attempt in 0..<8 {
            let arguments =
                FileManager.default.fileExists(atPath: last) ? ["resume", last] : ["train", "\(root)/run.json"]
            let process = try start(arguments, log: "\(root)/attempt\(attempt).log")
            waitForTraining("\(root)/attempt\(attempt).log", process: process)
            usleep(UInt32(generator.nextInt(below: 600_000)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            if FileManager.default.fileExists(atPath: last) {
                XCTAssertNoThrow(
                    try Checkpoint(path: last), "after kill -9 number \(attempt + 1), last.safetensors must load")
            }
            let leftovers =
                (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/run"))?.filter { $0.hasPrefix(".") }
                ?? []
            XCTAssertLessThanOrEqual(
                leftovers.count, 1, "at most the one interrupted temporary file remains: \(leftovers)")
        }
        XCTAssertGreaterThan(kills, 0, "the test must actually kill runs")
        let finish = try start(["resume", last], log: "\(root)/finish.log")
        finish.waitUntilExit()
        XCTAssertEqual(
            finish.terminationStatus, 0, (try? String(contentsOfFile: "\(root)/finish.log", encoding: .utf8)) ?? "")
    }
}
