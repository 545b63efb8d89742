import Foundation
import Weft
import XCTest

/// The `cifar10`, `cifar100` and `npz` layouts through `DatasetSource`: paths, fitting to the
/// model's input, notes and warnings.
final class ArrayDatasetSourceTests: XCTestCase {
    private func source(data: String, input: [Int], directory: String? = nil) throws -> DatasetSource {
        let json = """
            { "name": "arrays",
              "data": \(data),
              "model": { "input": \(input), "layers": [ { "type": "flatten" }, { "type": "dense", "units": 3 } ] },
              "training": { "epochs": 1, "batchSize": 2, "seed": 1, "optimizer": { "type": "sgd", "learningRate": 0.1 } } }
            """
        let config = try TrainingConfig(json: try JSONParser.parse(json, source: "x.json"), source: "x.json")
        return DatasetSource(
            config: config.data, directory: directory, shape: config.model.input, configSource: "x.json")
    }

    func testCIFARAtItsOwnShapeIsUnchanged() throws {
        let folder = ArrayFixtures.path("cifar100")
        let loaded = try source(
            data: "{ \"dataset\": \"cifar100\", \"directory\": \"\(folder)\", \"labels\": \"coarse\" }",
            input: [3, 32, 32]
        ).load()
        let (train, test) = try CIFARBinary.load(directory: folder, variant: .cifar100(coarse: true))
        XCTAssertEqual(loaded.train.images, train.images)
        XCTAssertEqual(loaded.train.labels, train.labels)
        XCTAssertEqual(loaded.test?.labels, test.labels)
        XCTAssertEqual(loaded.train.classCount, 20)
        XCTAssertEqual(
            loaded.notes, ["train: 3 images of \(folder) at 3×32×32", "test: 2 images of \(folder) at 3×32×32"])
    }

    func testClassNamesReplaceCIFARsAndMustCountTheClasses() throws {
        let folder = ArrayFixtures.path("cifar100")
        let names = (0..<20).map { "group \($0)" }
        let quoted = names.map { "\"\($0)\"" }.joined(separator: ", ")
        let loaded = try source(
            data:
                "{ \"dataset\": \"cifar100\", \"directory\": \"\(folder)\", \"labels\": \"coarse\", \"classNames\": [\(quoted)] }",
            input: [3, 32, 32]
        ).load()
        XCTAssertEqual(loaded.train.classNames, names)
        XCTAssertEqual(loaded.test?.classNames, names)
        assertThrowsWeftError(
            try source(
                data:
                    "{ \"dataset\": \"cifar100\", \"directory\": \"\(folder)\", \"labels\": \"coarse\", \"classNames\": [\"a\", \"b\"] }",
                input: [3, 32, 32]
            ).load(),
            containing: [
                "x.json: data.classNames: 2 names for the 20 classes of \(folder)'s class-name file; give one name per class or remove classNames"
            ])
    }

    func testCIFARIsFittedToASmallerGrayInput() throws {
        let folder = ArrayFixtures.path("cifar10")
        let loaded = try source(data: "{ \"dataset\": \"cifar10\" }", input: [1, 16, 16], directory: folder).load()
        XCTAssertEqual([loaded.train.channels, loaded.train.height, loaded.train.width], [1, 16, 16])
        XCTAssertEqual(loaded.train.count, 6)
        XCTAssertEqual(loaded.notes.first, "train: 6 images of \(folder) at 3×32×32, fitted to 1×16×16 (6 resized)")
        // The same as fitting one image by hand the way image files are fitted.
        let (train, _) = try CIFARBinary.load(directory: folder, variant: .cifar10)
        let planes = Array(train.imageBytes(at: 1))
        var pixels = [UInt8](repeating: 0, count: planes.count)
        for pixel in 0..<1024 {
            for channel in 0..<3 { pixels[pixel * 3 + channel] = planes[channel * 1024 + pixel] }
        }
        let expected = PixelImage(width: 32, height: 32, channels: 3, pixels: pixels).converted(toChannels: 1)
            .scaled(width: 16, height: 16)
        XCTAssertEqual(Array(loaded.train.imageBytes(at: 1)), expected.planes)
    }

    func testCenterCropAndChannelRepeat() throws {
        let file = ArrayFixtures.path("mnist.npz")  // 4×3 gray images
        let loaded = try source(
            data: "{ \"dataset\": \"npz\", \"file\": \"\(file)\", \"resize\": \"centerCrop\" }", input: [3, 2, 2]
        ).load()
        let (train, _) = try NPZDataset.load(file: file, train: nil, test: nil, classNames: nil)
        let image = PixelImage(width: 3, height: 4, channels: 1, pixels: Array(train.imageBytes(at: 0)))
        let expected = image.converted(toChannels: 3).centerCropped(toAspect: 2, 2).scaled(width: 2, height: 2)
        XCTAssertEqual(Array(loaded.train.imageBytes(at: 0)), expected.planes)
        XCTAssertEqual(
            loaded.notes,
            [
                "train: 5 images of \(file) at 1×4×3, fitted to 3×2×2 (5 resized)",
                "test: 2 images of \(file) at 1×4×3, fitted to 3×2×2 (2 resized)"
            ])
    }

    func testNPZPerSplitPathsAreResolvedAndAMissingTestIsWarned() throws {
        let loaded = try source(
            data:
                "{ \"dataset\": \"npz\", \"directory\": \"\(ArrayFixtures.folder)\", \"train\": \"split-train.npz\" }",
            input: [1, 5, 4]
        ).load()
        XCTAssertNil(loaded.test)
        XCTAssertEqual(loaded.train.count, 3)
        XCTAssertEqual(
            loaded.notes,
            [
                "train: 3 images of \(ArrayFixtures.path("split-train.npz")) at 1×5×4",
                "warning: x.json: data.test is not set, so only the validation split is evaluated; give a test .npz file for a test accuracy"
            ])
        let both = try source(
            data: "{ \"dataset\": \"npz\", \"train\": \"split-train.npz\", \"test\": \"split-test.npz\" }",
            input: [1, 5, 4], directory: ArrayFixtures.folder
        ).load()
        XCTAssertEqual(both.test?.count, 2)
        XCTAssertEqual(both.notes.count, 2)
    }

    func testChannelsThatCannotBeConvertedAreRefused() throws {
        let folder = ArrayFixtures.path("cifar10")
        assertThrowsWeftError(
            try source(data: "{ \"dataset\": \"cifar10\", \"directory\": \"\(folder)\" }", input: [2, 32, 32]).load(),
            message:
                "x.json: images of 3×32×32 cannot be fitted to the model's input 2×32×32 (only 1 or 3 channels convert); set model.input to [3, 32, 32]"
        )
    }
}
