import Foundation
import Weft
import XCTest

final class NPZDatasetTests: XCTestCase {
    private func check(_ dataset: ImageDataset?, against expected: JSONValue?, classCount: Int?, _ context: String)
        throws
    {
        guard let dataset else { return XCTFail("\(context): no dataset") }
        let shape = try ArrayFixtures.ints(expected?["shape"])
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], shape, context)
        XCTAssertEqual(dataset.labels, try ArrayFixtures.ints(expected?["labels"]), context)
        XCTAssertEqual(dataset.images.map(Int.init), try ArrayFixtures.ints(expected?["pixels"]), context)
        XCTAssertEqual(dataset.classCount, classCount, context)
    }

    func testOneFileLayoutsMatchNumPy() throws {
        let expected = try ArrayFixtures.expected()["datasets"]
        for name in ["mnist.npz", "rgb-compressed.npz"] {
            let (train, test) = try NPZDataset.load(
                file: ArrayFixtures.path(name), train: nil, test: nil, classNames: nil)
            let classCount = ArrayFixtures.int(expected?[name]?["classCount"])
            try check(train, against: expected?[name]?["train"], classCount: classCount, name)
            try check(test, against: expected?[name]?["test"], classCount: classCount, name)
        }
    }

    func testFilePerSplitMatchesNumPy() throws {
        let expected = try ArrayFixtures.expected()["datasets"]?["split"]
        let (train, test) = try NPZDataset.load(
            file: nil, train: ArrayFixtures.path("split-train.npz"), test: ArrayFixtures.path("split-test.npz"),
            classNames: nil)
        let classCount = ArrayFixtures.int(expected?["classCount"])
        try check(train, against: expected?["train"], classCount: classCount, "train")
        try check(test, against: expected?["test"], classCount: classCount, "test")
        let (alone, none) = try NPZDataset.load(
            file: nil, train: ArrayFixtures.path("split-train.npz"), test: nil, classNames: ["no", "yes"])
        XCTAssertNil(none)
        XCTAssertEqual(alone.classNames, ["no", "yes"])
        assertThrowsWeftError(
            try NPZDataset.load(file: nil, train: ArrayFixtures.path("split-test.npz"), test: nil, classNames: ["a"]),
            message:
                "\(ArrayFixtures.path("split-test.npz")): array \"y\": element 0 is label 2, outside the 1 class names; give a name for every class"
        )
    }

    func testDamagedFiles() throws {
        let cases: [(String, String)] = [
            (
                "missing-y-test.npz",
                ": no array \"y_test\" (it holds x_train, y_train, x_test); save it with numpy.savez(file, y_test=...)"
            ),
            (
                "lengths.npz",
                ": array \"y_train\": 2 labels for the 3 images of \"x_train\"; save x and y of the same length"
            ),
            (
                "negative.npz",
                ": array \"y_train\": element 1 is -1; labels must be class indices 0, 1, …, never negative"
            ),
            (
                "float.npz",
                ": array \"x_train\": images must be uint8 (0 to 255), this array is float32 ('<f4'); convert with x.astype(np.uint8) before saving (multiply 0-1 floats by 255 first)"
            ),
            (
                "fortran.npz",
                ": array \"x_train\": the array is stored in Fortran order (fortran_order: True); save numpy.ascontiguousarray(x) instead"
            ),
            (
                "object.npz",
                ": array \"y_train\": the array holds object (pickled Python objects) elements ('|O'), but only integer arrays can be read (uint8 images, integer labels); convert it with astype before saving"
            ),
            (
                "two-channels.npz",
                ": array \"x_train\": images must be [N, H, W] or [N, H, W, C] with C 1 or 3, this array is (3, 2, 2, 2); reshape it before saving"
            ),
            (
                "one-hot.npz",
                ": array \"y_train\": labels must be [N] or [N, 1] class indices, this array is (3, 3); save y.argmax(axis=1) for one-hot labels"
            ),
            (
                "huge-label.npz",
                ": array \"y_train\": element 1 is 9223372036854775808, too large for a label; store class indices"
            ),
            (
                "structured.npz",
                ": array \"y_train\": the array has a structured dtype (a list of fields), which cannot be read; save plain integer arrays"
            ),
            (
                "crc.npz",
                ": array \"x_train\": the CRC-32 of the data does not match the archive's; the file is damaged, save it again"
            ),
            (
                "truncated.npz",
                ": not a ZIP archive (no end-of-central-directory record); the file is damaged or not an .npz file (write it with numpy.savez)"
            ),
            (
                "bomb.npz",
                ": member \"x_train.npy\" claims 4294967280 bytes from 135 compressed, more than deflate can produce; the file is damaged or not an .npz file (write it with numpy.savez)"
            ),
            (
                "short-claim.npz",
                ": array \"x_train\": the data decompresses to more than the 199 bytes the archive claims; the file is damaged, save it again"
            ),
            (
                "long-claim.npz",
                ": array \"x_train\": the data decompresses to 200 bytes, not the 201 the archive claims; the file is damaged, save it again"
            ),
            (
                "bare.npz",
                ": not a ZIP archive (no end-of-central-directory record; this looks like a single .npy array, not an .npz); the file is damaged or not an .npz file (write it with numpy.savez)"
            )
        ]
        for (name, message) in cases {
            let path = ArrayFixtures.path("damaged/" + name)
            assertThrowsWeftError(
                try NPZDataset.load(file: path, train: nil, test: nil, classNames: nil), message: path + message)
        }
        assertThrowsWeftError(
            try NPZDataset.load(file: "nowhere.npz", train: nil, test: nil, classNames: nil),
            message: "nowhere.npz: no such file; check the path (an .npz file written by numpy.savez)")
    }

    func testTotalUncompressedSizeIsLimited() throws {
        let path = ArrayFixtures.path("mnist.npz")
        assertThrowsWeftError(
            try NPZFile(path: path, maximumTotalBytes: 500),
            message:
                "\(path): the members claim more than 500-byte uncompressed together, the limit; split the arrays over several files"
        )
    }

    func testEveryTruncationAndEveryFlippedByteIsRefusedOrRead() throws {
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ArrayFixtures.path("rgb-compressed.npz"))))
        for length in 0..<whole.count {
            assertThrowsWeftError(
                try NPZFile(contents: Array(whole[..<length]), name: "cut.npz").array("x_train"),
                containing: ["cut.npz"], "length \(length)")
        }
        for index in whole.indices {
            var damaged = whole
            damaged[index] ^= 0x55
            do {
                let archive = try NPZFile(contents: damaged, name: "flip.npz")
                for name in archive.arrayNames { _ = try? archive.array(name) }
            } catch is WeftError {
            }
        }
    }

    func testAnArchiveOfSixtyThousandMembersReadsAndItsLastIsFound() throws {
        let header = Array("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }".utf8) + [0x0A]
        let npy = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0] + header + [7]
        let files = (0..<60_000).map { (name: "a\($0).npy", bytes: npy) }
        let archive = try NPZFile(contents: try ZipArchive.stored(files), name: "many.npz")
        XCTAssertEqual(archive.arrayNames.count, 60_000)
        XCTAssertEqual(try archive.array("a59999").integers(), [7])
    }

    func testAMemberWhoseLocalHeaderIsElsewhereIsRefused() throws {
        let path = ArrayFixtures.path("mnist.npz")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard
            let end = (0..<(bytes.count - 3)).last(where: {
                bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 5
            })
        else { return XCTFail("no end record") }
        let directory = Int(bytes[end + 16]) | Int(bytes[end + 17]) << 8
        bytes[directory + 42] = 0xF0  // the first member's local-header offset
        assertThrowsWeftError(
            try NPZFile(contents: bytes, name: "moved.npz"),
            message:
                "moved.npz: member \"x_train.npy\" has no local header at offset 240; the file is damaged or not an .npz file (write it with numpy.savez)"
        )
    }
}
