import Foundation
import Weft
import WeftTestSupport
import XCTest

/// Data-parallel training on MPI with the real `mpirun` and `weft` processes on this machine
/// (loopback): one rank equals no MPI bit for bit; two ranks keep identical replicas after every
/// step, learn as well as one, and with synchronised batch-norm train like one process on the
/// whole batch; killing a rank ends the job naming it, and its checkpoint resumes exactly on
/// two ranks and correctly on one.
final class MPITrainingTests: XCTestCase {
    private var weft: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("weft")
    }

    /// `mpirun` of Open MPI (Tests/setup.sh installs it with `openmpi-bin`).
    private var mpirun: URL {
        get throws {
            for path in ["/usr/bin/mpirun", "/usr/local/bin/mpirun"]
            where FileManager.default.isExecutableFile(atPath: path) {
                return URL(fileURLWithPath: path)
            }
            throw missing("mpirun is missing: run Tests/setup.sh (it installs openmpi-bin)")
        }
    }

    /// Options that let `mpirun` run as root (CI does) and start more ranks than cores.
    private let mpirunOptions = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]

    private func workspace() throws -> String {
        let path = NSTemporaryDirectory() + "weft-mpi-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func requireWeft() throws {
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            throw missing("the weft executable is not built: run swift build --build-tests")
        }
    }

    /// `weft arguments` without MPI, one thread.
    private func plain(_ arguments: [String]) throws -> ProcessOutcome {
        try runProcess(
            weft,
            arguments + ["--threads", "1"] + (["train", "resume"].contains(arguments.first) ? ["--no-report"] : []))
    }

    /// `mpirun -np ranks weft arguments`, one thread per rank.
    private func parallel(_ ranks: Int, _ arguments: [String]) throws -> ProcessOutcome {
        let extra = ["--threads", "1"] + (["train", "resume"].contains(arguments.first) ? ["--no-report"] : [])
        return try runProcess(try mpirun, mpirunOptions + ["-np", String(ranks), weft.path] + arguments + extra)
    }

    private func tensors(_ path: String) throws -> [String: [UInt32]] {
        Dictionary(
            uniqueKeysWithValues: try SafetensorsFile.read(path: path).entries.map {
                ($0.name, $0.values.map(\.bitPattern))
            })
    }

    /// The small config of the resume tests (augmentation, dropout, batch-norm, AdamW), as a file.
    private func augmentedConfig(_ root: String, name: String, epochs: Int = 2, everySteps: Int? = nil) throws -> String
    {
        let path = "\(root)/\(name).json"
        try ResumeTests.configText(folder: "\(root)/\(name)", epochs: epochs, everySteps: everySteps)
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `Configs/quick.json` shrunk, writing into `root/name`.
    private func quick(_ root: String, name: String, trainLimit: Int, epochs: Int, testLimit: Int = 1000) -> [String] {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return [
            "train", repository.appendingPathComponent("Configs/quick.json").path,
            "--set", "data.trainLimit=\(trainLimit)", "--set", "data.validationFraction=0.02", "--set",
            "data.testLimit=\(testLimit)", "--set", "training.epochs=\(epochs)",
            "--set", "checkpoint.directory=\(root)/\(name)"
        ]
    }

    /// The last record of a run folder's `metrics.jsonl` (the test result) and its epochs.
    private func metrics(_ folder: String) throws -> (test: [String: Double], epochs: [[String: Double]]) {
        let lines = try String(contentsOfFile: "\(folder)/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
            .map { $0.compactMapValues { ($0 as? NSNumber)?.doubleValue } }
        return (records.last ?? [:], Array(records.dropLast()))
    }

    func testOneRankIsBitIdenticalToTheRunWithoutMPI() throws {
        try requireWeft()
        let root = try workspace()
        let alone = try plain(["train", try augmentedConfig(root, name: "alone", epochs: 1)])
        XCTAssertEqual(alone.status, 0, alone.errors)
        let one = try parallel(1, ["train", try augmentedConfig(root, name: "one", epochs: 1)])
        XCTAssertEqual(one.status, 0, one.errors)
        XCTAssertTrue(one.errors.contains("1 rank (MPI)"), "the run must know it runs under MPI: \(one.errors)")
        XCTAssertEqual(
            try tensors("\(root)/one/last.safetensors"), try tensors("\(root)/alone/last.safetensors"),
            "weights, buffers and optimiser state of a 1-rank MPI run must equal the run without MPI bit for bit")
        XCTAssertEqual(
            try metrics("\(root)/one").test["testAccuracy"], try metrics("\(root)/alone").test["testAccuracy"])
    }

    func testTwoRanksKeepBitIdenticalReplicasAfterEveryStepAndOnlyRankZeroSpeaks() throws {
        try requireWeft()
        let root = try workspace()
        let run = try parallel(2, ["train", try augmentedConfig(root, name: "two", epochs: 2), "--check-replicas"])
        XCTAssertEqual(run.status, 0, run.errors)
        let steps = try Checkpoint(path: "\(root)/two/last.safetensors").state.step
        XCTAssertGreaterThan(steps, 30)
        XCTAssertTrue(run.errors.contains("of all 2 ranks were bit-identical after each of \(steps) steps"), run.errors)
        for epoch in 1...2 {
            XCTAssertEqual(
                run.errors.components(separatedBy: "epoch \(epoch)/2: train loss").count - 1, 1,
                "one summary of epoch \(epoch): rank 1 prints nothing\n\(run.errors)")
        }
        let state = try Checkpoint(path: "\(root)/two/last.safetensors").state
        XCTAssertEqual(state.replicaGenerators.count, 2, "the checkpoint holds both ranks' generators")
        XCTAssertNotEqual(
            state.replicaGenerators[0], state.replicaGenerators[1], "each rank draws its own augmentation and dropout")
        XCTAssertEqual(state.replicaGenerators[0].dropout, state.dropoutGenerator)
    }

    func testTwoRanksLearnAsWellAsOneAndWithSynchronizedBatchNormTrainLikeOneProcessOnTheWholeBatch() throws {
        try requireWeft()
        let root = try workspace()
        let alone = try plain(quick(root, name: "alone", trainLimit: 2000, epochs: 2))
        XCTAssertEqual(alone.status, 0, alone.errors)
        let perRank = try parallel(2, quick(root, name: "per-rank", trainLimit: 2000, epochs: 2))
        XCTAssertEqual(perRank.status, 0, perRank.errors)
        let synced = try parallel(
            2,
            quick(root, name: "synced", trainLimit: 2000, epochs: 2)
                + ["--set", "training.syncBatchNorm=true", "--check-replicas"])
        XCTAssertEqual(synced.status, 0, synced.errors)
        XCTAssertTrue(synced.errors.contains("of all 2 ranks were bit-identical"), synced.errors)

        // Per-rank batch-norm statistics: a slightly different model, as good within noise.
        let expected = try XCTUnwrap(try metrics("\(root)/alone").test["testAccuracy"])
        let reached = try XCTUnwrap(try metrics("\(root)/per-rank").test["testAccuracy"])
        XCTAssertGreaterThan(expected, 0.7, "the 1-process run must learn")
        // 1,000 test images: the standard error of an accuracy near 80% is 1.3 points.
        XCTAssertEqual(reached, expected, accuracy: 0.04, "2 ranks reach \(reached), 1 process \(expected)")

        // quick.json has no augmentation or dropout: with the batch statistics of both shards
        // and averaged gradients, two ranks compute the one-process step up to rounding.
        let expectedLoss = try XCTUnwrap(try metrics("\(root)/alone").epochs.first?["trainLoss"])
        let syncedLoss = try XCTUnwrap(try metrics("\(root)/synced").epochs.first?["trainLoss"])
        let perRankLoss = try XCTUnwrap(try metrics("\(root)/per-rank").epochs.first?["trainLoss"])
        XCTAssertEqual(
            syncedLoss, expectedLoss, accuracy: 1e-4 * expectedLoss,
            "synchronised batch-norm: the whole batch's statistics")
        XCTAssertGreaterThan(
            abs(perRankLoss - expectedLoss), 1e-4 * expectedLoss,
            "per-rank statistics differ from the whole batch's (else the comparison proves nothing)")
        // Two epochs of Adam amplify rounding: the synchronised run's weights end within a few 1e-3
        // of the 1-process run's (measured over seeds: 5e-4 to 1.9e-3 of the largest weight), the
        // per-rank run's about ten times farther (1.8e-2).
        let reference = try tensors("\(root)/alone/last.safetensors")
        func worstDifference(_ folder: String) throws -> Double {
            let weights = try tensors("\(root)/\(folder)/last.safetensors")
            return reference.filter { $0.key.hasSuffix("weight") }.map { name, values in
                let largest = values.map { abs(Float(bitPattern: $0)) }.max() ?? 0
                let difference =
                    zip(values, weights[name] ?? []).map { abs(Float(bitPattern: $0) - Float(bitPattern: $1)) }.max()
                    ?? .infinity
                return Double(difference / max(largest, 1))
            }.max() ?? .infinity
        }
        let syncedDifference = try worstDifference("synced"), perRankDifference = try worstDifference("per-rank")
        XCTAssertLessThan(syncedDifference, 4e-3, "the synchronised run's weights follow the 1-process run's")
        XCTAssertLessThan(
            syncedDifference, perRankDifference / 3,
            "synchronised statistics keep the weights closer to the 1-process run's than per-rank ones (\(syncedDifference) vs \(perRankDifference))"
        )
    }

    func testAFineTunedRunWithFrozenLayersKeepsIdenticalReplicasOnTwoRanksAndResumesBitIdentically() throws {
        try requireWeft()
        let root = try workspace()
        let source = try plain(["train", try augmentedConfig(root, name: "source", epochs: 1)])
        XCTAssertEqual(source.status, 0, source.errors)
        let freeze = ["--set", "training.freeze=[\"layers.0\", \"layers.1\"]", "--init-from", "\(root)/source"]
        let tuned = try parallel(
            2,
            ["train", try augmentedConfig(root, name: "tuned", epochs: 1, everySteps: 3), "--check-replicas"] + freeze)
        XCTAssertEqual(tuned.status, 0, tuned.errors)
        XCTAssertTrue(tuned.errors.contains("initial weights from \(root)/source/last.safetensors"), tuned.errors)
        let steps = try Checkpoint(path: "\(root)/tuned/last.safetensors").state.step
        XCTAssertTrue(
            tuned.errors.contains("of all 2 ranks were bit-identical after each of \(steps) steps"), tuned.errors)
        let sourceTensors = try tensors("\(root)/source/last.safetensors")
        let tunedTensors = try tensors("\(root)/tuned/last.safetensors")
        for name in [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.1.runningMean",
            "layers.1.runningVariance", "layers.1.batchesTracked"
        ] {
            XCTAssertEqual(tunedTensors[name], sourceTensors[name], "\(name) is frozen on both ranks")
        }
        XCTAssertNotEqual(tunedTensors["layers.6.weight"], sourceTensors["layers.6.weight"], "the last layer trains")
        XCTAssertFalse(tunedTensors.keys.contains { $0.hasPrefix("optimizer.layers.0.") }, "no state for frozen ones")

        // Resuming an earlier checkpoint of the run (a copy) on two ranks ends at the same weights.
        try FileManager.default.copyItem(atPath: "\(root)/tuned", toPath: "\(root)/again")
        let earliest = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: "\(root)/again").filter { $0.hasPrefix("step-") }.min())
        let resumed = try parallel(2, ["resume", "\(root)/again/\(earliest)"])
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertFalse(
            resumed.errors.contains("initial weights"), "resume does not apply them again: \(resumed.errors)")
        XCTAssertEqual(try tensors("\(root)/again/last.safetensors"), tunedTensors, "resumed: bit-identical")
    }

    /// The moving average and Lookahead's slow weights are the same on every rank after every
    /// step (`--check-replicas` compares them too), and a resumed job ends bit-identically.
    func testAveragedWeightsAndLookaheadKeepIdenticalReplicasOnTwoRanksAndResumeBitIdentically() throws {
        try requireWeft()
        let root = try workspace()
        let options = [
            "--set", "training.ema={\"decay\": 0.9, \"everySteps\": 2}", "--set",
            "training.optimizer.lookahead={\"steps\": 3}", "--set",
            "training.parameterGroups=[{\"parameterNames\": \"bias\", \"weightDecay\": 0}]"
        ]
        let run = try parallel(
            2, ["train", try augmentedConfig(root, name: "run", epochs: 1, everySteps: 4), "--check-replicas"] + options
        )
        XCTAssertEqual(run.status, 0, run.errors)
        let steps = try Checkpoint(path: "\(root)/run/last.safetensors").state.step
        XCTAssertTrue(run.errors.contains("of all 2 ranks were bit-identical after each of \(steps) steps"), run.errors)
        let finished = try tensors("\(root)/run/last.safetensors")
        XCTAssertTrue(finished.keys.contains("average.layers.0.weight"))
        XCTAssertTrue(finished.keys.contains("optimizer.layers.0.weight.lookaheadSlow"))

        try FileManager.default.copyItem(atPath: "\(root)/run", toPath: "\(root)/again")
        let earliest = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: "\(root)/again").filter { $0.hasPrefix("step-") }.min())
        let resumed = try parallel(2, ["resume", "\(root)/again/\(earliest)"])
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertEqual(try tensors("\(root)/again/last.safetensors"), finished, "resumed: bit-identical")
    }

    func testKillingOneRankEndsTheJobNamingItAndItsCheckpointResumes() throws {
        try requireWeft()
        let root = try workspace()
        let reference = try parallel(2, ["train", try augmentedConfig(root, name: "reference", everySteps: 3)])
        XCTAssertEqual(reference.status, 0, reference.errors)

        // Start the same run, wait for a checkpoint, then kill -9 rank 1.
        let (job, log) = try startJob(try augmentedConfig(root, name: "killed", everySteps: 3), root: root)
        let last = "\(root)/killed/last.safetensors"
        kill(try rankOne(of: job, onceExists: last), SIGKILL)
        job.waitUntilExit()
        let message = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertNotEqual(job.terminationStatus, 0, message)
        XCTAssertTrue(
            message.contains("process rank 1") && message.contains("signal 9"), "the message names the rank: \(message)"
        )

        let checkpoint = try Checkpoint(path: last)
        XCTAssertLessThan(
            checkpoint.state.step, try Checkpoint(path: "\(root)/reference/last.safetensors").state.step,
            "the job was killed before it finished")
        XCTAssertEqual(checkpoint.state.replicaGenerators.count, 2)
        try FileManager.default.copyItem(atPath: "\(root)/killed", toPath: "\(root)/one-rank")

        let resumed = try parallel(2, ["resume", last])
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertFalse(resumed.errors.contains("warning"), resumed.errors)
        XCTAssertEqual(
            try tensors(last), try tensors("\(root)/reference/last.safetensors"),
            "killed, then resumed on 2 ranks: the final weights equal the uninterrupted 2-rank run's bit for bit")

        let elsewhere = try plain(["resume", "\(root)/one-rank/last.safetensors"])
        XCTAssertEqual(elsewhere.status, 0, elsewhere.errors)
        XCTAssertTrue(elsewhere.errors.contains("trained on 2 ranks and resumes on 1"), elsewhere.errors)
        XCTAssertGreaterThan(
            try metrics("\(root)/one-rank").test["testAccuracy"] ?? 0, 0.3, "the 1-process continuation learns")
    }

    func testARankThatStopsAnsweringEndsTheJobWithinTheTimeoutNamingItAndTheCheckpointResumes() throws {
        try requireWeft()
        let root = try workspace()
        let config = try augmentedConfig(root, name: "stalled", epochs: 4, everySteps: 3)
        let (job, log) = try startJob(config, root: root, extra: ["--rank-timeout", "3"])
        let last = "\(root)/stalled/last.safetensors"
        let pid = try rankOne(of: job, onceExists: last)
        addTeardownBlock { kill(pid, SIGKILL) }
        // Rank 1 stops without dying, as a hung process or a cut network looks to rank 0.
        kill(pid, SIGSTOP)
        let stopped = Date()
        while job.isRunning, Date().timeIntervalSince(stopped) < 120 { usleep(50_000) }
        let seconds = Date().timeIntervalSince(stopped)
        if job.isRunning { job.terminate() }
        job.waitUntilExit()
        let message = try String(contentsOfFile: log, encoding: .utf8)
        print("a stopped rank ended the job after \(String(format: "%.1f", seconds)) s (timeout 3 s)")
        XCTAssertLessThan(seconds, 3 + 3 + 20, "the job ends within the timeout, the probes and a margin: \(message)")
        XCTAssertNotEqual(job.terminationStatus, 0, message)
        XCTAssertTrue(
            message.contains("error: rank 1 of 2 (host ") && message.contains(") did not answer within 3 s during the ")
                && message.contains("resume with: mpirun -np 2 weft resume \(last)"),
            "one line names the rank, the wait, the checkpoint and the resume command: \(message)")

        let checkpoint = try Checkpoint(path: last)
        XCTAssertEqual(checkpoint.state.replicaGenerators.count, 2, "the checkpoint is whole")
        let resumed = try parallel(2, ["resume", last])
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        XCTAssertEqual(try Checkpoint(path: last).state.epoch, 4, "the resumed job trains to the end")
    }

    /// `mpirun -np 2 weft train CONFIG --threads 1 --no-report EXTRA` started in the background,
    /// its stdout and stderr in `root/<config name>.log`.
    private func startJob(_ config: String, root: String, extra: [String] = []) throws -> (Process, log: String) {
        let log = "\(root)/\(((config as NSString).lastPathComponent as NSString).deletingPathExtension).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let job = Process()
        job.executableURL = try mpirun
        job.arguments =
            mpirunOptions + ["-np", "2", weft.path, "train", config, "--threads", "1", "--no-report"] + extra
        job.standardOutput = FileHandle(forWritingAtPath: log)
        job.standardError = FileHandle(forWritingAtPath: log)
        try job.run()
        return (job, log)
    }

    /// Rank 1 of a running 2-rank `job`, once `checkpoint` exists (within 180 s).
    private func rankOne(of job: Process, onceExists checkpoint: String) throws -> pid_t {
        let deadline = Date().addingTimeInterval(180)
        var victim: pid_t?
        while Date() < deadline, job.isRunning, victim == nil {
            if FileManager.default.fileExists(atPath: checkpoint) { victim = Self.rank(1, of: job.processIdentifier) }
            usleep(20_000)
        }
        return try XCTUnwrap(victim, "rank 1 must be found while the job runs")
    }

    /// The child of `mpirun` (process `parent`) that is MPI rank `rank`, found through /proc.
    static func rank(_ rank: Int, of parent: pid_t) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                status.split(separator: "\n").contains(where: {
                    $0.hasPrefix("PPid:") && $0.split(separator: "\t").last.map(String.init) == String(parent)
                }),
                let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
