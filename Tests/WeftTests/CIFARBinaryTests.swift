import Foundation
import Weft
import XCTest

final class CIFARBinaryTests: XCTestCase {
    private func check(_ dataset: ImageDataset, against expected: JSONValue?, classNames: [String]) throws {
        XCTAssertEqual(dataset.count, ArrayFixtures.int(expected?["count"]))
        XCTAssertEqual(dataset.labels, try ArrayFixtures.ints(expected?["labels"]))
        XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [3, 32, 32])
        XCTAssertEqual(dataset.classNames, classNames)
        XCTAssertEqual(Int(CRC32.checksum(dataset.images)), ArrayFixtures.int(expected?["crc32"]))
        XCTAssertEqual(dataset.images.reduce(0) { $0 + Int($1) }, ArrayFixtures.int(expected?["sum"]))
        XCTAssertEqual(Array(dataset.images.prefix(8)).map(Int.init), try ArrayFixtures.ints(expected?["first"]))
    }

    func testCIFAR10MatchesNumPy() throws {
        let expected = try ArrayFixtures.expected()["cifar10"]
        let names = try ArrayFixtures.strings(expected?["classNames"])
        XCTAssertEqual(names.count, 10)
        let (train, test) = try CIFARBinary.load(directory: ArrayFixtures.path("cifar10"), variant: .cifar10)
        try check(train, against: expected?["train"], classNames: names)
        try check(test, against: expected?["test"], classNames: names)
    }

    func testCIFAR100FineAndCoarse() throws {
        for (key, coarse) in [("cifar100-fine", false), ("cifar100-coarse", true)] {
            let expected = try ArrayFixtures.expected()[key]
            let names = try ArrayFixtures.strings(expected?["classNames"])
            let (train, test) = try CIFARBinary.load(
                directory: ArrayFixtures.path("cifar100"), variant: .cifar100(coarse: coarse))
            try check(train, against: expected?["train"], classNames: names)
            try check(test, against: expected?["test"], classNames: names)
        }
    }

    func testTheArchiveFolderInsideTheDirectoryIsFound() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.copyItem(
            atPath: ArrayFixtures.path("cifar10"), toPath: directory.file("cifar-10-batches-bin"))
        let (train, _) = try CIFARBinary.load(directory: directory.path, variant: .cifar10)
        XCTAssertEqual(train.count, 6)
    }

    func testMissingFiles() throws {
        let directory = try TemporaryDirectory()
        let folder = try ArrayFixtures.copy("cifar10", into: directory)
        try FileManager.default.removeItem(atPath: folder + "/data_batch_3.bin")
        assertThrowsWeftError(
            try CIFARBinary.load(directory: folder, variant: .cifar10),
            message:
                "\(folder)/data_batch_3.bin: no such file; the CIFAR-10 binary version has data_batch_1.bin … data_batch_5.bin and test_batch.bin — download cifar-10-binary.tar.gz"
        )
        let hundred = try ArrayFixtures.copy("cifar100", into: directory)
        try FileManager.default.removeItem(atPath: hundred + "/coarse_label_names.txt")
        XCTAssertNoThrow(try CIFARBinary.load(directory: hundred, variant: .cifar100(coarse: false)))
        assertThrowsWeftError(
            try CIFARBinary.load(directory: hundred, variant: .cifar100(coarse: true)),
            message:
                "\(hundred)/coarse_label_names.txt: no such file; the CIFAR-100 binary version has train.bin, test.bin, fine_label_names.txt and coarse_label_names.txt — download cifar-100-binary.tar.gz"
        )
    }

    func testTruncatedFile() throws {
        let directory = try TemporaryDirectory()
        let folder = try ArrayFixtures.copy("cifar10", into: directory)
        let batch = folder + "/data_batch_2.bin"
        try FileManager.default.removeItem(atPath: batch)
        try FileManager.default.copyItem(atPath: ArrayFixtures.path("damaged/cifar10-truncated.bin"), toPath: batch)
        assertThrowsWeftError(
            try CIFARBinary.load(directory: folder, variant: .cifar10),
            message:
                "\(batch): 3074 bytes is not a whole number of 3073-byte CIFAR-10 records; the file is truncated or not CIFAR-10"
        )
        // The example: ten records and a byte.
        assertThrowsWeftError(
            try CIFARBinary.records(contents: [UInt8](repeating: 0, count: 30731), name: "b.bin", variant: .cifar10),
            message:
                "b.bin: 30731 bytes is not a whole number of 3073-byte CIFAR-10 records; the file is truncated or not CIFAR-10"
        )
        assertThrowsWeftError(
            try CIFARBinary.records(contents: [], name: "e.bin", variant: .cifar100(coarse: false)),
            message:
                "e.bin: 0 bytes is not a whole number of 3074-byte CIFAR-100 records; the file is truncated or not CIFAR-100"
        )
    }

    func testLabelsOutsideTheClassesNameTheRecord() throws {
        let ten = ArrayFixtures.path("damaged/cifar10-label.bin")
        assertThrowsWeftError(
            try CIFARBinary.records(contents: try bytes(ten), name: ten, variant: .cifar10),
            message: "\(ten): record 1 has label 10, outside the 10 classes 0...9; the file is damaged or not CIFAR-10")
        let hundred = ArrayFixtures.path("damaged/cifar100-fine-label.bin")
        assertThrowsWeftError(
            try CIFARBinary.records(contents: try bytes(hundred), name: hundred, variant: .cifar100(coarse: false)),
            message:
                "\(hundred): record 1 has fine label 100, outside the 100 classes 0...99; the file is damaged or not CIFAR-100"
        )
        // Coarse label 4 of the same file is fine, and 2, 4 are its coarse labels.
        let records = try CIFARBinary.records(
            contents: try bytes(hundred), name: hundred, variant: .cifar100(coarse: true))
        XCTAssertEqual(records.labels, [2, 4])
    }

    func testMetaFileWithTheWrongNumberOfNames() throws {
        let directory = try TemporaryDirectory()
        let folder = try ArrayFixtures.copy("cifar10", into: directory)
        let meta = folder + "/batches.meta.txt"
        try FileManager.default.removeItem(atPath: meta)
        try FileManager.default.copyItem(atPath: ArrayFixtures.path("damaged/batches.meta.txt"), toPath: meta)
        assertThrowsWeftError(
            try CIFARBinary.load(directory: folder, variant: .cifar10),
            message:
                "\(meta): 9 class names, but CIFAR-10 has 10 labels (one name a line); the file is damaged — download cifar-10-binary.tar.gz again"
        )
    }

    func testFilesOverTheLimitAreRefusedBeforeReading() throws {
        let directory = try TemporaryDirectory()
        let folder = try ArrayFixtures.copy("cifar10", into: directory)
        let batch = folder + "/test_batch.bin"
        XCTAssertEqual(truncate(batch, off_t(CIFARBinary.maximumFileBytes + 1)), 0)  // sparse: no disk used
        assertThrowsWeftError(
            try CIFARBinary.load(directory: folder, variant: .cifar10),
            message:
                "\(batch): 1073741825 bytes is more than the 1 GiB limit for a CIFAR file; check that this is the intended file"
        )
    }

    private func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
