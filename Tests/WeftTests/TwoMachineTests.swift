import Foundation
import Weft
import WeftTestSupport
import XCTest

/// Data-parallel training across a real network: two network namespaces joined by a veth pair
/// play two machines (`Tests/Distributed/two_machines.sh`), and a 2-rank job runs between them
/// over TCP only. Its replicas stay bit-identical every step; cutting the link mid-epoch ends the
/// job with the rank watchdog's line within its timeout, the checkpoint intact; after the link
/// is back, `mpirun … weft resume` finishes the run.
final class TwoMachineTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    private static let script = repository.appendingPathComponent("Tests/Distributed/two_machines.sh")
    /// This test process's own names and /24 (from its process id), so that two test runs on one
    /// machine (a CI beside a sanitizer run) never share a pair: `wefttest1234-a`, 10.231.N.
    private static let prefix = "wefttest\(getpid() % 10_000)"
    /// Names and addresses of this test's own pair, apart from any other pair on the machine.
    private static let environment = [
        "WEFT_NETNS_PREFIX": prefix, "WEFT_NETNS_NET": "10.231.\(20 + getpid() % 200)",
        // TCP gives up on the cut link after ~40 s instead of ~15 min (inside the namespaces only).
        "WEFT_NETNS_TCP_RETRIES2": "6"
    ]

    private var weft: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("weft")
    }

    /// `two_machines.sh ARGUMENTS` with this test's pair.
    private func machines(_ arguments: [String], log: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.script.path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(Self.environment) { $1 }
        process.currentDirectoryURL = Self.repository
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: log)
            process.standardError = FileHandle(forWritingAtPath: log)
        }
        try process.run()
        return process
    }

    /// Runs `two_machines.sh ARGUMENTS` to its end; its output and status.
    private func machinesToEnd(_ arguments: [String], log: String) throws -> (status: Int32, output: String) {
        let process = try machines(arguments, log: log)
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    private func requireMachines() throws {
        guard getuid() == 0 else { throw missing("network namespaces need root") }
        for tool in ["/usr/sbin/ip", "/usr/bin/unshare", "/usr/bin/mpirun"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw missing("\(tool) is missing: run Tests/setup.sh (iproute2, util-linux, openmpi-bin)")
        }
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            throw missing("the weft executable is not built: run swift build --build-tests")
        }
    }

    func testTrainingAcrossTwoMachinesKeepsReplicasIdenticalAndAPartitionEndsTheJobResumably() throws {
        try requireMachines()
        let root = NSTemporaryDirectory() + "weft-machines-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        addTeardownBlock {
            _ = try? self.machinesToEnd(["down"], log: root + "-down.log")
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: root + "-down.log")
        }
        let up = try machinesToEnd(["up"], log: "\(root)/up.log")
        XCTAssertEqual(up.status, 0, "the two machines must come up: \(up.output)")
        guard up.status == 0 else { return }

        // 1. A short run over the veth, every step's replicas compared by hash.
        let config = "\(root)/run.json"
        try ResumeTests.configText(folder: "\(root)/run", epochs: 3, everySteps: 3)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let before = try machinesToEnd(["stats"], log: "\(root)/stats-before.log").output
        let checked = try machinesToEnd(
            [
                "run", "--", weft.path, "train", config, "--set", "training.epochs=1",
                "--set", "checkpoint.directory=\(root)/checked", "--threads", "1", "--no-report", "--check-replicas"
            ], log: "\(root)/checked.log")
        XCTAssertEqual(checked.status, 0, checked.output)
        XCTAssertTrue(checked.output.contains("2 ranks"), "two ranks on two machines: \(checked.output)")
        let after = try machinesToEnd(["stats"], log: "\(root)/stats-after.log").output
        /// Machine A's received bytes in `stats`' first line (`rx_bytes=N`).
        func received(_ stats: String) -> Int {
            stats.split(separator: " ").first { $0.hasPrefix("rx_bytes=") }.flatMap { Int($0.dropFirst(9)) } ?? 0
        }
        print("veth: machine A received \(received(after) - received(before)) bytes during the checked run")
        XCTAssertGreaterThan(
            received(after) - received(before), 200_000, "the gradients of every step cross the veth: \(after)")

        // 2. The same run, cut off mid-epoch after its first checkpoint.
        let last = "\(root)/run/last.safetensors"
        let job = try machines(
            ["run", "--", weft.path, "train", config, "--threads", "1", "--no-report", "--rank-timeout", "5"],
            log: "\(root)/cut.log")
        addTeardownBlock { if job.isRunning { job.terminate() } }
        let deadline = Date().addingTimeInterval(180)
        while job.isRunning, Date() < deadline, !FileManager.default.fileExists(atPath: last) { usleep(20_000) }
        XCTAssertTrue(job.isRunning, "the job must still run at its first checkpoint")
        XCTAssertEqual(try machinesToEnd(["partition"], log: "\(root)/partition.log").status, 0)
        let cut = Date()
        var lineSeconds: Double?
        while job.isRunning, Date().timeIntervalSince(cut) < 240 {
            if lineSeconds == nil,
                let text = try? String(contentsOfFile: "\(root)/cut.log", encoding: .utf8),
                text.contains("did not answer within 5 s")
            {
                lineSeconds = Date().timeIntervalSince(cut)
            }
            usleep(100_000)
        }
        let exitSeconds = Date().timeIntervalSince(cut)
        let message = try String(contentsOfFile: "\(root)/cut.log", encoding: .utf8)
        XCTAssertFalse(job.isRunning, "mpirun must end once TCP gives up on the cut link: \(message)")
        if job.isRunning { job.terminate() }
        job.waitUntilExit()
        print(
            "partition: the watchdog's line after \(lineSeconds.map { String(format: "%.1f", $0) } ?? "-") s, mpirun's exit after \(String(format: "%.1f", exitSeconds)) s (timeout 5 s)"
        )
        XCTAssertNotEqual(job.terminationStatus, 0, message)
        XCTAssertLessThan(
            lineSeconds ?? .infinity, 5 + 2 + 15, "the line comes within the timeout, the probes and a margin")
        XCTAssertTrue(
            message.contains("did not answer within 5 s during the ")
                && message.contains("resume with: mpirun -np 2 weft resume \(last)"),
            "the line names the silent rank, the checkpoint and the resume command: \(message)")
        XCTAssertTrue(
            message.contains("(host \(Self.prefix)-"), "the silent rank's host is the other machine: \(message)")
        let checkpoint = try Checkpoint(path: last)
        XCTAssertEqual(checkpoint.state.replicaGenerators.count, 2, "the checkpoint is whole")

        // 3. The link back: the job resumes across the machines and finishes.
        XCTAssertEqual(try machinesToEnd(["heal"], log: "\(root)/heal.log").status, 0)
        let resumed = try machinesToEnd(
            ["run", "--", weft.path, "resume", last, "--threads", "1"], log: "\(root)/resumed.log")
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertEqual(try Checkpoint(path: last).state.epoch, 3, "the resumed job trains to the end")
    }
}
