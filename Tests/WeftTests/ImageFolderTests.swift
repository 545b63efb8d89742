import Foundation
import Weft
import XCTest

/// The `imageFolder` and `csv` layouts against what Python reads from the same files
/// (`Tests/Fixtures/make_dataset_fixtures.py`: torchvision's `ImageFolder` order, PIL's pixels
/// and resampling), their bad-input messages, and the decoded-image cache.
final class ImageFolderTests: XCTestCase {
    /// A copy of `Tests/Fixtures/Datasets` in a temporary folder (decoding writes its cache
    /// beside the data, which must not land in the source tree).
    private func fixtureCopy() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/Datasets")
        for name in ["folder", "csv"] {
            try FileManager.default.copyItem(
                atPath: source.appendingPathComponent(name).path, toPath: directory.file(name))
        }
        return directory
    }

    private func fixtureJSON(_ name: String) throws -> JSONValue {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/Datasets/\(name)")
        return try JSONParser.parse(try String(contentsOf: url, encoding: .utf8), source: url.path)
    }

    private func integers(_ value: JSONValue?) -> [Int] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap { item in
            guard case .number(let number) = item else { return nil }
            return Int(number)
        }
    }

    private func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap { item in
            guard case .string(let text) = item else { return nil }
            return text
        }
    }

    private func cases() throws -> [JSONValue] {
        guard case .array(let cases)? = try fixtureJSON("expected.json")["cases"] else {
            throw WeftError("expected.json: no cases")
        }
        return cases
    }

    /// `path` relative to `root` (both standardised).
    private func relative(_ path: String, to root: String) -> String {
        let standard = (path as NSString).standardizingPath, base = (root as NSString).standardizingPath + "/"
        return standard.hasPrefix(base) ? String(standard.dropFirst(base.count)) : standard
    }

    // MARK: - What Python reads

    func testFolderListsClassesFilesAndPixelsAsTorchvisionAndPIL() throws {
        let data = try fixtureCopy()
        let expectedNames = strings(try fixtureJSON("expected.json")["classNames"])
        XCTAssertEqual(expectedNames, ["Zebra", "apple", "Äpfel"], "code-point order, as Python's sorted")
        for testCase in try cases() {
            let shape = integers(testCase["shape"])
            guard case .string(let mode)? = testCase["resize"], let resize = DataConfig.ResizeMode(rawValue: mode)
            else {
                return XCTFail("expected.json: a case without resize")
            }
            let decoder = ImageListDecoder(shape: shape, resize: resize)
            let train = try ImageList.folder(data.file("folder/train"))
            let test = try ImageList.folder(data.file("folder/test"), classes: train.classNames)
            for (split, list) in [("train", train), ("test", test)] {
                let expected = testCase[split]
                XCTAssertEqual(list.classNames, expectedNames)
                XCTAssertEqual(
                    list.entries.map { relative($0.path, to: data.path) }, strings(expected?["files"]), split)
                XCTAssertEqual(list.entries.map(\.label), integers(expected?["labels"]), split)
                let decoded = try decoder.decode(list)
                guard case .array(let pixels)? = expected?["pixels"] else { return XCTFail("no pixels") }
                let size = decoded.dataset.imageByteCount
                XCTAssertEqual(decoded.dataset.count, pixels.count)
                for (index, image) in pixels.enumerated() {
                    XCTAssertEqual(
                        decoded.dataset.images[(index * size)..<((index + 1) * size)].map(Int.init), integers(image),
                        "\(split) image \(index) (\(list.entries[index].path)) at \(shape) \(mode)")
                }
                let expectedResized = decoded.originalSizes.filter { $0.width != shape[2] || $0.height != shape[1] }
                XCTAssertEqual(decoded.resizedCount, expectedResized.count)
                XCTAssertGreaterThan(decoded.resizedCount, 0, "the fixtures mix sizes")
            }
        }
    }

    func testCSVListsTheSameImagesAsTheFolder() throws {
        let data = try fixtureCopy()
        let folder = try ImageList.folder(data.file("folder/train"))
        let csv = try ImageList.csv(data.file("csv/train.csv"))
        XCTAssertEqual(csv.classNames, folder.classNames)
        XCTAssertEqual(csv.entries.map(\.path), folder.entries.map(\.path))
        XCTAssertEqual(csv.entries.map(\.label), folder.entries.map(\.label))
        XCTAssertEqual(csv.entries.first?.listedAt, "train.csv line 2")
        let test = try ImageList.csv(data.file("csv/test.csv"), classes: csv.classNames)
        XCTAssertEqual(test.entries.count, 6, "blank lines are skipped")
        XCTAssertEqual(test.entries.map(\.listedAt).last, "test.csv line 12")
    }

    func testResizingEqualsPILBoxAndBilinear() throws {
        guard case .array(let cases) = try fixtureJSON("resize.json") else { return XCTFail("resize.json: no list") }
        XCTAssertEqual(cases.count, 24)
        for (number, item) in cases.enumerated() {
            let width = integers(.array([item["width"] ?? .null]))[0]
            let height = integers(.array([item["height"] ?? .null]))[0]
            let channels = integers(.array([item["channels"] ?? .null]))[0]
            let newWidth = integers(.array([item["newWidth"] ?? .null]))[0]
            let newHeight = integers(.array([item["newHeight"] ?? .null]))[0]
            let image = PixelImage(
                width: width, height: height, channels: channels, pixels: integers(item["pixels"]).map(UInt8.init))
            // Pillow 13's one-call resize sometimes runs the vertical pass first, which rounds
            // differently by at most 1; the per-axis calls (`scaled`, below) agree exactly.
            let box = image.resized(width: newWidth, height: newHeight).pixels.map(Int.init)
            let pillow = integers(item["box"])
            XCTAssertEqual(box.count, pillow.count)
            XCTAssertLessThanOrEqual(
                zip(box, pillow).map { abs($0 - $1) }.max() ?? 0, 1,
                "case \(number): BOX \(width)×\(height) → \(newWidth)×\(newHeight)")
            XCTAssertEqual(
                image.scaled(width: newWidth, height: newHeight).planes.map(Int.init), integers(item["scaledPlanes"]),
                "case \(number): BOX/BILINEAR \(width)×\(height) → \(newWidth)×\(newHeight)")
        }
    }

    func testIntegerLabelsNameClassesByNumber() throws {
        let data = try fixtureCopy()
        try Array("path,label\nfolder/train/apple/img0.png,2\nfolder/train/Zebra/img0.png,0\n".utf8).write(
            to: data, name: "numbers.csv")
        let list = try ImageList.csv(data.file("numbers.csv"))
        XCTAssertEqual(list.classNames, ["0", "1", "2"])
        XCTAssertEqual(list.entries.map(\.label), [2, 0])
    }

    // MARK: - Bad data: one sentence naming the file (and the line)

    func testBadCSVListsNameTheFileAndLine() throws {
        let data = try fixtureCopy()
        let image = "folder/train/apple/img0.png"
        let cases: [(String, String)] = [
            ("", "bad.csv: the CSV file is empty; its first row must name the columns path,label"),
            (
                "file,label\n\(image),apple\n",
                "bad.csv line 1: the header row has no \"path\" column (it has \"file\", \"label\")"
            ),
            ("path,label\n", "bad.csv: the CSV file lists no image after its header row; add a row per image"),
            (
                "path,label\n\(image)\n",
                "bad.csv line 2: the row has 1 field but the header 2; give every row a path and a label"
            ),
            ("path,label\n\(image),\n", "bad.csv line 2: the label is empty; give every row a path and a label"),
            (
                "path,label\n\(image),apple\n\"\(image),apple\n",
                "bad.csv line 3: a quoted field is never closed; end it with a double quote"
            ),
            (
                "path,label\n\"\(image)\"x,apple\n",
                "bad.csv line 2: text follows a closing double quote; write a quote inside a quoted field as \"\""
            ),
            (
                "path,label\n\(image),apple\nfolder/train/apple/missing.png,apple\n",
                "bad.csv line 3: \(data.file("folder/train/apple/missing.png")) does not exist; fix the path (relative paths start at the CSV file's folder)"
            )
        ]
        for (text, message) in cases {
            try Array(text.utf8).write(to: data, name: "bad.csv")
            assertThrowsWeftError(try ImageList.csv(data.file("bad.csv")), containing: [message], text)
        }
        try ([0x70, 0x61, 0x74, 0x68, 0x2C, 0x6C, 0x61, 0x62, 0x65, 0x6C, 0x0A, 0xFF, 0x2C, 0x61, 0x0A] as [UInt8])
            .write(
                to: data, name: "bad.csv")
        assertThrowsWeftError(
            try ImageList.csv(data.file("bad.csv")),
            containing: ["bad.csv line 2: the text is not UTF-8; save the CSV file as UTF-8"])
        assertThrowsWeftError(
            try ImageList.csv(data.file("absent.csv")),
            containing: ["\(data.file("absent.csv")): the CSV file does not exist; check the path"])
        try Array("path,label\n\(image),pear\n".utf8).write(to: data, name: "test.csv")
        assertThrowsWeftError(
            try ImageList.csv(data.file("test.csv"), classes: ["Zebra", "apple", "Äpfel"]),
            containing: [
                "test.csv line 2: label \"pear\" is not among the 3 training classes (Zebra, apple, Äpfel); fix the label or add the class to the training list"
            ])
    }

    func testBadImageFoldersNameTheFolder() throws {
        let data = try fixtureCopy()
        assertThrowsWeftError(
            try ImageList.folder(data.file("none")),
            containing: [
                "\(data.file("none")): the image folder does not exist; give a folder with one subfolder of images per class"
            ])
        try FileManager.default.createDirectory(atPath: data.file("flat"), withIntermediateDirectories: true)
        try Array("x".utf8).write(to: data, name: "flat/img.png")
        assertThrowsWeftError(
            try ImageList.folder(data.file("flat")),
            containing: [
                "\(data.file("flat")): the image folder holds no class folder; put each class's images in a subfolder named after the class"
            ])
        try FileManager.default.createDirectory(
            atPath: data.file("folder/train/empty"), withIntermediateDirectories: true)
        try Array("ignored".utf8).write(to: data, name: "folder/train/empty/readme.txt")
        assertThrowsWeftError(
            try ImageList.folder(data.file("folder/train")),
            containing: [
                "\(data.file("folder/train/empty")): the class folder holds no .png, .jpg, .jpeg or .pgm image; add images or remove the folder"
            ])
        try FileManager.default.createDirectory(
            atPath: data.file("folder/test/pear"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: data.file("folder/test/apple/img0.png"), toPath: data.file("folder/test/pear/a.png"))
        assertThrowsWeftError(
            try ImageList.folder(data.file("folder/test"), classes: ["Zebra", "apple", "Äpfel"]),
            containing: [
                "\(data.file("folder/test/pear")): class \"pear\" is not among the 3 training classes (Zebra, apple, Äpfel); add it to the training folder or remove it from the test folder"
            ])
    }

    func testAnUnreadableImageStopsTheLoadOrIsSkippedAndCounted() throws {
        let data = try fixtureCopy()
        let damaged = data.file("folder/train/apple/img1.png")
        let bytes = [UInt8](FileManager.default.contents(atPath: damaged)!)
        try Array(bytes.prefix(40)).write(to: URL(fileURLWithPath: damaged))
        let list = try ImageList.folder(data.file("folder/train"))
        assertThrowsWeftError(
            try ImageListDecoder(shape: [1, 8, 8]).decode(list),
            containing: [
                "\(damaged): ", "fix or remove the file, or set data.skipUnreadable to true to skip unreadable images"
            ])
        let skipping = try ImageListDecoder(shape: [1, 8, 8], skipUnreadable: true).decode(list)
        XCTAssertEqual(skipping.dataset.count, list.entries.count - 1)
        XCTAssertEqual(skipping.skipped.count, 1)
        XCTAssertTrue(skipping.skipped[0].hasPrefix(damaged), skipping.skipped[0])
        let index = list.entries.firstIndex { $0.path == damaged }!
        XCTAssertFalse(skipping.keptEntries.contains(index))
        XCTAssertEqual(skipping.dataset.labels, skipping.keptEntries.map { list.entries[$0].label })

        let csv = try ImageList.csv(data.file("csv/train.csv"))
        assertThrowsWeftError(
            try ImageListDecoder(shape: [1, 8, 8]).decode(csv), containing: ["train.csv line 6: \(damaged)"])
    }

    func testHostileListsAreRefusedOrWalkedOnce() throws {
        let data = try fixtureCopy()
        let image = "folder/train/apple/img0.png"
        let cases: [(String, String)] = [
            (
                "path,label\n\(image),0\n\(image),4000000000\n",
                "bad.csv line 3: label 4000000000 is not a class number below 100000; fix the label, or label the rows by class name"
            ),
            (
                "path,label\nfolder/train,a\n",
                "bad.csv line 2: \(data.file("folder/train")) is a folder, not an image; list image files"
            ),
            (
                "path,label\n/dev/zero,a\n",
                "bad.csv line 2: /dev/zero is not a regular file, not an image; list image files"
            )
        ]
        for (text, message) in cases {
            try Array(text.utf8).write(to: data, name: "bad.csv")
            assertThrowsWeftError(try ImageList.csv(data.file("bad.csv")), containing: [message], text)
        }
        // A blank line before the header, and a lone carriage return after a label.
        try Array("\npath,label\n\(image),apple\r".utf8).write(to: data, name: "loose.csv")
        let loose = try ImageList.csv(data.file("loose.csv"))
        XCTAssertEqual(loose.classNames, ["apple"])
        XCTAssertEqual(loose.entries.first?.listedAt, "loose.csv line 3")

        // A link from a class folder back to itself is walked once; a device is not an image.
        let apple = data.file("folder/train/apple")
        try FileManager.default.createSymbolicLink(atPath: apple + "/again", withDestinationPath: apple)
        try FileManager.default.createSymbolicLink(atPath: apple + "/zero.png", withDestinationPath: "/dev/zero")
        let list = try ImageList.folder(data.file("folder/train"))
        XCTAssertEqual(list.entries.filter { $0.label == 1 }.count, 3, "apple's 3 images, once each")
        // A PNG whose header claims 200 million pixels and whose text chunk makes the file big
        // enough to hold them compressed: over Pillow's limit, refused before allocating.
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            func bigEndian(_ value: UInt32) -> [UInt8] {
                (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
            }
            return bigEndian(UInt32(body.count)) + typed + bigEndian(CRC32.checksum(typed))
        }
        let header: [UInt8] = [0, 0, 0x4E, 0x20, 0, 0, 0x27, 0x10, 8, 0, 0, 0, 0]  // 20000 × 10000, 8-bit gray
        let bomb =
            PNGFile.signature + chunk("IHDR", header)
            + chunk("tEXt", Array("Comment\u{0}".utf8) + [UInt8](repeating: 0x61, count: 30_000))
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
        assertThrowsWeftError(
            try ImageFile.decode(bomb, name: "bomb.png"),
            containing: [
                "bomb.png: the PNG claims 20000×10000 pixels, more than the 178956970 Weft decodes (Pillow's limit); pass a smaller image"
            ])
        assertThrowsWeftError(
            try ImageFile.read(path: "/dev/zero"),
            containing: ["/dev/zero: the file holds more than \(ImageFile.maximumFileBytes) bytes"])
    }

    // MARK: - The decoded-image cache

    func testTheCacheAnswersTheSecondLoadAndAChangedFileInvalidatesIt() throws {
        let data = try fixtureCopy()
        let decoder = ImageListDecoder(shape: [3, 8, 8], resize: .centerCrop)
        let folder = data.file("folder/train")
        var list = try ImageList.folder(folder)
        let cache = DecodedImageCache(list: list, decoder: decoder, folder: folder)
        XCTAssertTrue(cache.path.hasPrefix(folder + "/.weft-cache-"), cache.path)
        XCTAssertNil(cache.load(list, decoder: decoder), "nothing cached yet")
        let decoded = try decoder.decode(list)
        try cache.store(decoded, of: list)
        let cached = try XCTUnwrap(cache.load(list, decoder: decoder))
        XCTAssertTrue(cached.fromCache)
        XCTAssertEqual(cached.dataset.images, decoded.dataset.images)
        XCTAssertEqual(cached.dataset.labels, decoded.dataset.labels)
        XCTAssertEqual(cached.originalSizes, decoded.originalSizes)
        XCTAssertEqual(cached.resizedCount, decoded.resizedCount)
        XCTAssertEqual(try ImageList.folder(folder).entries.count, list.entries.count, "the cache is not an image")

        // Another shape or resize mode is another cache file.
        let other = ImageListDecoder(shape: [1, 8, 8])
        XCTAssertNotEqual(DecodedImageCache(list: list, decoder: other, folder: folder).path, cache.path)
        XCTAssertNil(DecodedImageCache(list: list, decoder: other, folder: folder).load(list, decoder: other))

        // A file rewritten (new modification time and size) means decoding again.
        let changed = data.file("folder/train/Zebra/img0.png")
        try FileManager.default.copyItem(atPath: data.file("folder/train/Zebra/img1.png"), toPath: changed + ".new")
        try FileManager.default.removeItem(atPath: changed)
        try FileManager.default.moveItem(atPath: changed + ".new", toPath: changed)
        list = try ImageList.folder(folder)
        XCTAssertNil(DecodedImageCache(list: list, decoder: decoder, folder: folder).load(list, decoder: decoder))

        // A damaged cache is not used.
        let fresh = try decoder.decode(list)
        let renewed = DecodedImageCache(list: list, decoder: decoder, folder: folder)
        XCTAssertEqual(renewed.path, cache.path, "the same split and shape reuse the file name")
        try renewed.store(fresh, of: list)
        XCTAssertNotNil(renewed.load(list, decoder: decoder))
        var bytes = [UInt8](FileManager.default.contents(atPath: renewed.path)!)
        bytes[bytes.count - 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: renewed.path))
        XCTAssertNil(renewed.load(list, decoder: decoder), "the CRC-32 catches a flipped bit")
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: renewed.path))
        XCTAssertNil(renewed.load(list, decoder: decoder), "a truncated cache is not used")
        try renewed.store(fresh, of: list)
        bytes = [UInt8](FileManager.default.contents(atPath: renewed.path)!)
        let resizedField = "WEFTDECODED1\n".utf8.count + 8 * 6
        for offset in 0..<8 { bytes[resizedField + offset] = 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: renewed.path))
        XCTAssertNil(renewed.load(list, decoder: decoder), "a header field out of range is not used")
    }

    func testTheCacheKeepsWhatWasSkipped() throws {
        let data = try fixtureCopy()
        let damaged = data.file("folder/train/Äpfel/img2.png")
        try Array("not a picture".utf8).write(to: URL(fileURLWithPath: damaged))
        let decoder = ImageListDecoder(shape: [1, 8, 8], skipUnreadable: true)
        let list = try ImageList.folder(data.file("folder/train"))
        let decoded = try decoder.decode(list)
        let cache = DecodedImageCache(list: list, decoder: decoder, folder: data.file("folder/train"))
        try cache.store(decoded, of: list)
        let cached = try XCTUnwrap(cache.load(list, decoder: decoder))
        XCTAssertEqual(cached.skipped, decoded.skipped)
        XCTAssertEqual(cached.keptEntries, decoded.keptEntries)
        XCTAssertEqual(cached.dataset.labels, decoded.dataset.labels)
    }

    // MARK: - Through the config

    /// `Configs/quick.json` with the sections in `replacing` (name → JSON text) swapped in.
    private func quickConfig(replacing sections: [String: String]) throws -> TrainingConfig {
        let path = ConfigTests.configsFolder.appendingPathComponent("quick.json").path
        guard
            case .object(var members) = try JSONParser.parse(
                try String(contentsOfFile: path, encoding: .utf8), source: path)
        else { throw WeftError("quick.json: not an object") }
        members.removeAll { sections[$0.key] != nil }
        for (key, json) in sections.sorted(by: { $0.key < $1.key }) {
            members.append((key: key, value: try JSONParser.parse(json, source: key)))
        }
        return try TrainingConfig(json: .object(members), source: "x.json")
    }

    /// `Configs/quick.json` with `data` replaced by `json`.
    private func dataConfig(_ json: String) throws -> DataConfig {
        try quickConfig(replacing: ["data": json]).data
    }

    func testDatasetSourceLoadsBothSplitsThenAnswersFromTheCache() throws {
        let data = try fixtureCopy()
        let config = try dataConfig(#"{"dataset": "imageFolder", "train": "folder/train", "test": "folder/test"}"#)
        let source = DatasetSource(config: config, directory: data.path, shape: [3, 8, 8], configSource: "x.json")
        let first = try source.load()
        XCTAssertEqual(first.train.count, 9)
        XCTAssertEqual(first.test?.count, 6)
        XCTAssertEqual(first.train.classNames, ["Zebra", "apple", "Äpfel"])
        XCTAssertEqual(first.decoded[.train]?.fromCache, false)
        XCTAssertTrue(first.notes.contains { $0.hasPrefix("train: decoded 9 images of") }, "\(first.notes)")
        let second = try source.load()
        XCTAssertEqual(second.decoded[.train]?.fromCache, true)
        XCTAssertEqual(second.decoded[.test]?.fromCache, true)
        XCTAssertEqual(second.train.images, first.train.images)
        XCTAssertEqual(second.test?.images, first.test?.images)
    }

    func testKeysThatDoNotBelongToTheLayoutAreRefused() throws {
        let cases: [(String, String)] = [
            (
                #"{"dataset": "fashion-mnist", "resize": "centerCrop"}"#,
                "x.json: data.resize: IDX images are used at their own size"
            ),
            (
                #"{"dataset": "npz", "file": "a.npz", "skipUnreadable": true}"#,
                "x.json: data.skipUnreadable: only the \"imageFolder\" and \"csv\" datasets"
            ),
            (
                #"{"dataset": "csv", "train": "a.csv", "labels": "coarse"}"#,
                "x.json: data.labels: only the \"cifar100\" dataset"
            )
        ]
        for (json, message) in cases {
            assertThrowsWeftError(try dataConfig(json), containing: [message], json)
        }
    }

    func testNoTestSplitAndNoValidationIsRefused() throws {
        let data = try fixtureCopy()
        let config = try quickConfig(replacing: [
            "data": #"{"dataset": "imageFolder", "train": "folder/train", "validationFraction": 0}"#,
            "model": #"{"input": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "dense", "units": 3}]}"#
        ])
        assertThrowsWeftError(
            try TrainingData(config: config, directoryOverride: data.path),
            containing: [
                "quick: the data has no test split and data.validationFraction is 0, so nothing would be evaluated; set data.test or a validationFraction above 0"
            ])
    }

    func testPerChannelNormalisationMustCountTheChannels() throws {
        let data = try fixtureCopy()
        let config = try quickConfig(replacing: [
            "data":
                #"{"dataset": "imageFolder", "train": "folder/train", "test": "folder/test", "normalization": {"mean": [0.5, 0.5], "std": [0.2, 0.2]}}"#,
            "model": #"{"input": [3, 8, 8], "layers": [{"type": "flatten"}, {"type": "dense", "units": 3}]}"#
        ])
        assertThrowsWeftError(
            try TrainingData(config: config, directoryOverride: data.path),
            containing: [
                "quick: data.normalization: 2 values for images of 3 channels; give one mean and std, or one per channel"
            ])
    }

    func testNoTestSplitWarnsThatOnlyValidationIsEvaluated() throws {
        let data = try fixtureCopy()
        let config = try dataConfig(#"{"dataset": "csv", "train": "csv/train.csv", "classNames": ["z", "a", "ä"]}"#)
        let loaded = try DatasetSource(config: config, directory: data.path, shape: [1, 8, 8], configSource: "x.json")
            .load()
        XCTAssertNil(loaded.test)
        XCTAssertEqual(loaded.train.classNames, ["z", "a", "ä"])
        XCTAssertTrue(
            loaded.notes.contains(
                "warning: x.json: data.test is not set, so only the validation split is evaluated; give a test CSV file for a test accuracy"
            ), "\(loaded.notes)")
    }
}

extension Array where Element == UInt8 {
    /// Writes the bytes to `name` in `directory`.
    fileprivate func write(to directory: TemporaryDirectory, name: String) throws {
        try Data(self).write(to: URL(fileURLWithPath: directory.file(name)))
    }

    fileprivate func write(to url: URL) throws {
        try Data(self).write(to: url)
    }
}
