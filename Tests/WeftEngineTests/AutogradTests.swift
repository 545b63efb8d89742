import WeftEngine
import WeftTestSupport
import XCTest

final class AutogradTests: XCTestCase {
    func testGradientsAccumulateAcrossBackwardCalls() {
        let x = Tensor(shape: [3], scalars: [1, 2, 3], requiresGradient: true)
        (x * x).sum().backward()
        XCTAssertEqual(x.gradient?.scalars, [2, 4, 6])
        (x * x).sum().backward()
        XCTAssertEqual(x.gradient?.scalars, [4, 8, 12], "a second backward must add to the gradient")
        x.zeroGradient()
        XCTAssertEqual(x.gradient?.scalars, [0, 0, 0])
    }

    func testTensorUsedTwiceReceivesBothContributions() {
        let x = Tensor(shape: [2], scalars: [3, -1], requiresGradient: true)
        let y = (x * x + x.scaled(by: 4)).sum()  // d/dx = 2x + 4
        y.backward()
        XCTAssertEqual(x.gradient?.scalars, [10, 2])
    }

    func testWithoutRecordingRecordsNothingAndAllocatesNoGradient() {
        let w = randomTensor([4, 3], seed: 1)
        w.requiresGradient = true
        let x = randomTensor([2, 3], seed: 2)
        let y = Autograd.withoutRecording { x.linear(weight: w).relu().sum() }
        XCTAssertFalse(y.requiresGradient, "an op in an evaluation scope must not record itself")
        y.backward()
        XCTAssertNil(w.gradient, "no gradient may be allocated in an evaluation scope")
        XCTAssertTrue(Autograd.isRecording, "recording must resume after the scope")
    }

    func testOnlyTensorsThatRequireGradientsReceiveThem() {
        let x = randomTensor([2, 3], seed: 3)
        let w = randomTensor([4, 3], seed: 4)
        w.requiresGradient = true
        x.linear(weight: w).sum().backward()
        XCTAssertNil(x.gradient)
        XCTAssertNotNil(w.gradient)
    }

    func testBackwardReleasesTheGraph() {
        let w = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let hidden = w * w
        let loss = hidden.sum()
        loss.backward()
        XCTAssertNil(hidden.gradient, "intermediate gradients are released after backward")
        XCTAssertEqual(w.gradient?.scalars, [2, 4])
    }

    func testBroadcastShapes() {
        XCTAssertEqual(Shape.broadcast([2, 3, 4, 5], [1, 3, 1, 1]), [2, 3, 4, 5])
        XCTAssertEqual(Shape.broadcast([4, 1], [1, 3]), [4, 3])
        XCTAssertEqual(Shape.broadcast([3, 5], [5]), [3, 5])
        XCTAssertNil(Shape.broadcast([3, 5], [3]))
        let sum = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]) + Tensor(shape: [2], scalars: [10, 20])
        XCTAssertEqual(sum.scalars, [11, 22, 13, 24])
    }

    func testReshapeInfersOneDimensionAndSharesStorage() {
        let x = Tensor(shape: [2, 3, 2], scalars: (0..<12).map(Float.init))
        let y = x.reshaped([-1, 4])
        XCTAssertEqual(y.shape, [3, 4])
        XCTAssertTrue(y.storage === x.storage)
        XCTAssertEqual(x.flattened().shape, [2, 6])
    }
}
