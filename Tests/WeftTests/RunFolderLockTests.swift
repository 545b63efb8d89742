import Foundation
import Weft
import WeftTestSupport
import XCTest

/// One process at a time owns a run folder: the lock itself (refusals name the owner, an empty or
/// half-written lock file still gives a sentence, a fresh run moves the previous one aside under
/// the lock, children do not inherit it), and real `weft` processes: a second train, resume and
/// tune into a folder in use are refused and leave the first run exactly as a run alone; after
/// `kill -9` of the owner a new run takes the folder at once; readers work while a run trains;
/// under MPI rank 0 alone takes the lock.
final class RunFolderLockTests: XCTestCase {
    private var weft: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("weft")
    }

    private static let quick = ExportFixtures.path("Configs/quick.json")

    private func workspace() throws -> String {
        let path = NSTemporaryDirectory() + "weft-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// The real processes need the built `weft`: its absence fails, never skips.
    private func requireWeft() throws {
        guard FileManager.default.isExecutableFile(atPath: weft.path) else {
            XCTFail("\(weft.path) is not built: run swift build (swift test builds it)")
            throw WeftError("the weft executable is not built")
        }
    }

    /// Training needs Fashion-MNIST as well: its absence fails, never skips.
    private func requireWeftAndData() throws {
        try requireWeft()
        guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory) else {
            XCTFail("Fashion-MNIST is not installed in \(FashionMNIST.defaultDirectory): run Tests/setup.sh")
            throw WeftError("Fashion-MNIST is not installed")
        }
    }

    /// `weft train Configs/quick.json` shrunk to seconds, writing into `folder` with a checkpoint
    /// every 2 steps (so one exists early).
    private func quickTrain(_ folder: String, epochs: Int = 2) -> [String] {
        [
            "train", RunFolderLockTests.quick, "--set", "data.trainLimit=300", "--set", "data.validationFraction=0.02",
            "--set", "data.testLimit=200", "--set", "training.epochs=\(epochs)", "--set", "checkpoint.everySteps=2",
            "--set", "checkpoint.directory=\(folder)", "--threads", "1", "--no-report"
        ]
    }

    /// Starts `weft arguments` in the background, stderr to `log`; killed at teardown if still running.
    private func start(_ arguments: [String], log: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = weft
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        addTeardownBlock {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process
    }

    /// Polls until `condition` holds or `process` ends, up to 2 minutes; returns whether it held.
    @discardableResult
    private func wait(for process: Process, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    private func text(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// `metrics.jsonl` without its wall times, which differ from run to run.
    private func timeless(_ folder: String) throws -> [NSDictionary] {
        try text("\(folder)/metrics.jsonl").split(separator: "\n").map { line in
            let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return record.filter { !["seconds", "imagesPerSecond", "trainingSeconds"].contains($0.key) } as NSDictionary
        }
    }

    /// Every checkpoint of a folder: its tensors' bits by name, by file name.
    private func checkpoints(_ folder: String) throws -> [String: [String: [UInt32]]] {
        var result: [String: [String: [UInt32]]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".safetensors") {
            result[name] = Dictionary(
                uniqueKeysWithValues: try SafetensorsFile.read(path: "\(folder)/\(name)").entries.map {
                    ($0.name, $0.values.map(\.bitPattern))
                })
        }
        return result
    }

    /// The refusal's shape: `<folder> is in use by weft (pid N, started HH:MM:SS); wait for it, ...`.
    private func assertRefusal(
        _ message: String, folder: String, pid: Int32, fix: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let pattern =
            "\(NSRegularExpression.escapedPattern(for: folder)) is in use by weft \\(pid \(pid), started "
            + "[0-9]{2}:[0-9]{2}:[0-9]{2}\\); \(NSRegularExpression.escapedPattern(for: fix))"
        XCTAssertNotNil(message.range(of: pattern, options: .regularExpression), message, file: file, line: line)
    }

    // MARK: - The lock

    func testASecondLockIsRefusedNamingTheOwnerAndReleasingFreesTheFolder() throws {
        let folder = try workspace()
        let lock = try RunFolderLock(folder: folder, alternative: "choose another checkpoint.directory")
        let owner = try XCTUnwrap(RunFolderLock.recordedOwner(of: folder))
        XCTAssertEqual(owner.processIdentifier, getpid())
        let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
        XCTAssertEqual(owner.host, hostname.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertLessThan(abs(owner.started.timeIntervalSinceNow), 3600)
        do {
            _ = try RunFolderLock(folder: folder, alternative: "choose another checkpoint.directory")
            XCTFail("a second lock of a held folder must be refused")
        } catch let error as WeftError {
            assertRefusal(
                error.message, folder: folder, pid: getpid(),
                fix: "wait for it, stop it, or choose another checkpoint.directory")
        }
        assertThrowsWeftError(
            try RunFolderLock(folder: folder, alternative: nil), containing: ["; wait for it or stop it"])
        lock.release()
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: RunFolderLock.path(in: folder)),
            "releasing removes the lock file: the folder is left as it was")
        let again = try RunFolderLock(folder: folder, alternative: nil)
        again.release()
    }

    func testAnEmptyOrHalfWrittenLockFileStillGivesASentence() throws {
        let folder = try workspace()
        let lock = try RunFolderLock(folder: folder, alternative: nil)
        let path = RunFolderLock.path(in: folder)
        for recorded in ["", #"{"pid": 12"#, "\u{0}\u{0}\u{0}", #"{"pid": "x", "host": 1}"#] {
            // Rewriting the file's bytes through another descriptor leaves the lock held.
            try Data(recorded.utf8).write(to: URL(fileURLWithPath: path))
            XCTAssertNil(RunFolderLock.recordedOwner(of: folder))
            assertThrowsWeftError(
                try RunFolderLock(folder: folder, alternative: "choose another checkpoint.directory"),
                containing: [
                    "\(folder) is in use by another weft process", "has not yet recorded its pid",
                    "; wait for it, stop it, or choose another checkpoint.directory"
                ],
                "lock file \(recorded.debugDescription)")
        }
        lock.release()
    }

    func testAStaleLockFileIsTakenOverAtOnce() throws {
        let folder = try workspace()
        let stale = #"{"pid": 999999, "host": "elsewhere", "started": "2020-01-01T00:00:00Z", "command": "weft train"}"#
        try Data(stale.utf8).write(to: URL(fileURLWithPath: RunFolderLock.path(in: folder)))
        XCTAssertEqual(RunFolderLock.recordedOwner(of: folder)?.processIdentifier, 999_999)
        let lock = try RunFolderLock(folder: folder, alternative: nil)
        XCTAssertEqual(
            RunFolderLock.recordedOwner(of: folder)?.processIdentifier, getpid(), "the record names the new owner")
        lock.release()
    }

    func testTheLockFollowsItsFileWhenTheFolderIsMoved() throws {
        let root = try workspace()
        try FileManager.default.createDirectory(atPath: "\(root)/run", withIntermediateDirectories: false)
        let lock = try RunFolderLock(folder: "\(root)/run", alternative: nil)
        try FileManager.default.moveItem(atPath: "\(root)/run", toPath: "\(root)/moved")
        assertThrowsWeftError(
            try RunFolderLock(folder: "\(root)/moved", alternative: nil), containing: ["is in use by weft"])
        try FileManager.default.createDirectory(atPath: "\(root)/run", withIntermediateDirectories: false)
        let fresh = try RunFolderLock(folder: "\(root)/run", alternative: nil)
        fresh.release()
        lock.release()
    }

    func testAProgramStartedByTheOwnerDoesNotInheritTheLock() throws {
        let folder = try workspace()
        let lock = try RunFolderLock(folder: folder, alternative: nil)
        // posix_spawn without file actions: every descriptor without FD_CLOEXEC reaches the child.
        var child: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = (["/bin/sleep", "30"] as [String]).map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        XCTAssertEqual(posix_spawn(&child, "/bin/sleep", nil, nil, arguments, environ), 0)
        defer {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
        }
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child)/fd")
        XCTAssertFalse(descriptors.isEmpty, "the child's descriptors are listed")
        let targets = descriptors.compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child)/fd/\($0)")
        }
        XCTAssertFalse(
            targets.contains { $0.hasSuffix(RunFolderLock.fileName) }, "the child holds the lock file open: \(targets)")
        lock.release()
        let next = try RunFolderLock(folder: folder, alternative: nil)
        next.release()
    }

    // MARK: - Fresh runs and the move aside

    func testAFreshRunMovesThePreviousRunAsideUnderTheLock() throws {
        let root = try workspace()
        let path = "\(root)/run"
        try FileManager.default.createDirectory(atPath: "\(path)/trials", withIntermediateDirectories: true)
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: "\(path)/metrics.jsonl"))
        try Data("trial\n".utf8).write(to: URL(fileURLWithPath: "\(path)/trials/a"))
        try FileManager.default.createDirectory(atPath: "\(path).1", withIntermediateDirectories: false)
        try Data("older\n".utf8).write(to: URL(fileURLWithPath: "\(path).1/metrics.jsonl"))

        let (lock, previous) = try RunFolder(path: path).prepareFresh()
        XCTAssertEqual(previous, "\(path).2", "the first free number")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path), [RunFolderLock.fileName])
        XCTAssertEqual(RunFolderLock.recordedOwner(of: path)?.processIdentifier, getpid())
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: "\(path).2").sorted(), ["metrics.jsonl", "trials"],
            "the moved run is left as it was, without a lock file")
        XCTAssertEqual(text("\(path).2/trials/a"), "trial\n")
        XCTAssertEqual(text("\(path).1/metrics.jsonl"), "older\n")
        // The moved run's lock was released; the new folder's is held.
        try RunFolderLock(folder: "\(path).2", alternative: nil).release()
        assertThrowsWeftError(
            try RunFolder(path: path).prepareFresh(), containing: ["\(path) is in use by weft (pid \(getpid())"])
        lock.release()

        // A folder holding only a stale lock file is empty: nothing is moved.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: RunFolderLock.path(in: path)))
        let (again, none) = try RunFolder(path: path).prepareFresh()
        XCTAssertNil(none)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(path).3"))
        again.release()
    }

    func testAFreshRunIntoAFolderInUseTouchesNothing() throws {
        let root = try workspace()
        let path = "\(root)/run"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try Data("first\n".utf8).write(to: URL(fileURLWithPath: "\(path)/metrics.jsonl"))
        let owner = try RunFolderLock(folder: path, alternative: nil)
        assertThrowsWeftError(
            try RunFolder(path: path).prepareFresh(),
            containing: ["\(path) is in use by weft", "; wait for it, stop it, or choose another checkpoint.directory"])
        assertThrowsWeftError(try RunFolder(path: path + "/").prepareFresh(), containing: ["is in use by weft"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["run"], "no run.1 appeared")
        XCTAssertEqual(text("\(path)/metrics.jsonl"), "first\n")
        owner.release()
    }

    // MARK: - Real processes

    func testASecondTrainResumeAndTuneIntoAFolderInUseAreRefusedAndLeaveTheFirstRunAsARunAlone() throws {
        try requireWeftAndData()
        let root = try workspace()
        let alone = try start(quickTrain("\(root)/alone"), log: "\(root)/alone.log")
        let first = try start(quickTrain("\(root)/shared"), log: "\(root)/first.log")
        let shared = "\(root)/shared"
        // Wait until the first run holds the folder and has written a checkpoint, then pause it
        // there: it stays the owner, mid-run, for as long as the checks below take.
        let started = wait(for: first) {
            RunFolderLock.recordedOwner(of: shared)?.processIdentifier == first.processIdentifier
                && FileManager.default.fileExists(atPath: "\(shared)/last.safetensors")
        }
        kill(first.processIdentifier, SIGSTOP)
        XCTAssertTrue(
            started, "the first run must lock the folder and write a checkpoint: \(text("\(root)/first.log"))")
        XCTAssertTrue(
            first.isRunning, "the first run must still be training when it is paused: \(text("\(root)/first.log"))")

        let train = try runProcess(weft, quickTrain(shared))
        XCTAssertEqual(train.status, 1, train.errors)
        assertRefusal(
            train.errors, folder: shared, pid: first.processIdentifier,
            fix: "wait for it, stop it, or choose another checkpoint.directory")
        let resume = try runProcess(weft, ["resume", "\(shared)/last.safetensors", "--threads", "1"])
        XCTAssertEqual(resume.status, 1, resume.errors)
        assertRefusal(
            resume.errors, folder: shared, pid: first.processIdentifier,
            fix: "wait for it, stop it, or resume a copy of the checkpoint in another folder")
        let tune = try runProcess(
            weft,
            [
                "tune", RunFolderLockTests.quick, "--grid", "training.batchSize=[32]", "--output", shared,
                "--threads", "1"
            ])
        XCTAssertEqual(tune.status, 1, tune.errors)
        assertRefusal(
            tune.errors, folder: shared, pid: first.processIdentifier,
            fix: "wait for it, stop it, or choose another --output")
        for outcome in [train, resume, tune] {
            XCTAssertEqual(outcome.errors.split(separator: "\n").count, 1, "one sentence: \(outcome.errors)")
        }

        // Readers take no lock: they work on the folder in use.
        let inspect = try runProcess(weft, ["inspect", "\(shared)/last.safetensors"])
        XCTAssertEqual(inspect.status, 0, inspect.errors)
        XCTAssertTrue(inspect.output.contains("Weft checkpoint"), inspect.output)
        let evaluate = try runProcess(weft, ["evaluate", "\(shared)/last.safetensors", "--threads", "1"])
        XCTAssertEqual(evaluate.status, 0, evaluate.errors)
        XCTAssertTrue(evaluate.output.contains("accuracy"), evaluate.output)

        kill(first.processIdentifier, SIGCONT)
        first.waitUntilExit()
        alone.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0, text("\(root)/first.log"))
        XCTAssertEqual(alone.terminationStatus, 0, text("\(root)/alone.log"))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasSuffix(".log") }.sorted(),
            ["alone", "shared"], "the refused runs moved nothing aside")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: shared).sorted(),
            try FileManager.default.contentsOfDirectory(atPath: "\(root)/alone").sorted(),
            "the same files as a run alone, and no lock file once the run has ended")
        XCTAssertEqual(
            text("\(shared)/config.json").replacingOccurrences(of: shared, with: "\(root)/alone"),
            text("\(root)/alone/config.json"), "config.json is the first run's")
        let metrics = try timeless(shared)
        XCTAssertEqual(metrics.count, 3, "two epochs and the test record, each once")
        XCTAssertEqual(metrics, try timeless("\(root)/alone"), "metrics.jsonl equals a run alone's")
        let tensors = try checkpoints(shared)
        XCTAssertTrue(
            tensors.keys.contains("last.safetensors") && tensors.keys.contains("best.safetensors"), "\(tensors.keys)")
        XCTAssertEqual(tensors, try checkpoints("\(root)/alone"), "every checkpoint equals a run alone's bit for bit")
    }

    func testAfterKillNineOfTheOwnerANewRunTakesTheFolderAtOnce() throws {
        try requireWeftAndData()
        let root = try workspace()
        let folder = "\(root)/run"
        let owner = try start(quickTrain(folder, epochs: 20), log: "\(root)/owner.log")
        // Kill it once it holds the folder and has written its config there.
        let owning = wait(for: owner) {
            RunFolderLock.recordedOwner(of: folder)?.processIdentifier == owner.processIdentifier
                && FileManager.default.fileExists(atPath: "\(folder)/config.json")
        }
        XCTAssertTrue(owning, text("\(root)/owner.log"))
        kill(owner.processIdentifier, SIGKILL)
        owner.waitUntilExit()
        XCTAssertEqual(owner.terminationReason, .uncaughtSignal)
        XCTAssertEqual(
            RunFolderLock.recordedOwner(of: folder)?.processIdentifier, owner.processIdentifier,
            "kill -9 leaves the lock file behind, naming the dead owner")

        let next = try runProcess(weft, quickTrain(folder, epochs: 1))
        XCTAssertEqual(next.status, 0, next.errors)
        XCTAssertTrue(next.errors.contains("moved the previous run in \(folder) to \(folder).1"), next.errors)
        XCTAssertEqual(try timeless(folder).count, 2, "one epoch and the test record")
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: RunFolderLock.path(in: folder)),
            "the finished run released the folder")
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: RunFolderLock.path(in: "\(folder).1")),
            "the killed run's stale lock file went with the move and was removed")
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: "\(folder).1/config.json"), "the killed run is kept in run.1")
    }

    func testASecondSearchAndATuneResumeIntoASearchInUseAreRefused() throws {
        try requireWeft()
        let root = try workspace()
        let folder = "\(root)/search"
        let config = try TrainingConfig.load(path: RunFolderLockTests.quick, overrides: ["data.trainLimit=300"])
        let spec = try TuneSpec(
            source: RunFolderLockTests.quick, config: config,
            space: try SearchSpace(gridOptions: ["training.batchSize=[32]"]), folds: 2, trials: nil, seed: 1,
            halving: false, eta: 3, dataDirectory: nil, threads: 1)
        // This process holds the search's folder, as a running `weft tune` would.
        let (lock, _) = try TuneSearch.prepare(spec: spec, folder: folder)
        let searchFile = text("\(folder)/search.json")
        let resumed = try runProcess(weft, ["tune", "--resume", folder, "--threads", "1"])
        XCTAssertEqual(resumed.status, 1, resumed.errors)
        assertRefusal(resumed.errors, folder: folder, pid: getpid(), fix: "wait for it or stop it")
        let second = try runProcess(
            weft,
            [
                "tune", RunFolderLockTests.quick, "--grid", "training.batchSize=[64]", "--output", folder,
                "--threads", "1"
            ])
        XCTAssertEqual(second.status, 1, second.errors)
        assertRefusal(
            second.errors, folder: folder, pid: getpid(), fix: "wait for it, stop it, or choose another --output")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder).sorted(),
            ["search.json", RunFolderLock.fileName])
        XCTAssertEqual(text("\(folder)/search.json"), searchFile)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["search"])
        lock.release()
    }

    func testUnderMPIRankZeroAloneTakesTheLock() throws {
        try requireWeftAndData()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun") else {
            return XCTFail("mpirun is missing: run Tests/setup.sh (it installs openmpi-bin)")
        }
        let root = try workspace()
        let folder = "\(root)/run"
        let mpirun = URL(fileURLWithPath: "/usr/bin/mpirun")
        let job =
            ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "2", weft.path]
            + quickTrain(folder, epochs: 1)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let holder = try RunFolderLock(folder: folder, alternative: nil)
        let refused = try runProcess(mpirun, job)
        XCTAssertNotEqual(refused.status, 0, refused.errors)
        XCTAssertTrue(
            refused.errors.contains("error: rank 0 of 2: \(folder) is in use by weft (pid \(getpid()), started "),
            refused.errors)
        XCTAssertFalse(
            refused.errors.contains("rank 1 of 2: \(folder) is in use"), "rank 1 takes no lock: \(refused.errors)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [RunFolderLock.fileName])
        holder.release()

        // Free, the folder is taken by rank 0 only: were rank 1 to try as well, it would be refused.
        let trained = try runProcess(mpirun, job)
        XCTAssertEqual(trained.status, 0, trained.errors)
        XCTAssertEqual(try timeless(folder).count, 2, "one epoch and the test record")
        XCTAssertFalse(FileManager.default.fileExists(atPath: RunFolderLock.path(in: folder)))
    }
}
