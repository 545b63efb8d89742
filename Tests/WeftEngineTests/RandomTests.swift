import WeftEngine
import WeftTestSupport
import XCTest

final class RandomTests: XCTestCase {
    func testSameSeedSameSequenceAndStateRestores() throws {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        XCTAssertEqual((0..<100).map { _ in a.next() }, (0..<100).map { _ in b.next() })
        let saved = a.state
        let expected = (0..<50).map { _ in a.nextFloat() }
        var restored = try XCTUnwrap(RandomGenerator(state: saved))
        XCTAssertEqual((0..<50).map { _ in restored.nextFloat() }, expected)
        XCTAssertNil(RandomGenerator(state: [0, 0, 0, 0]), "the all-zero state is refused")
        XCTAssertNil(RandomGenerator(state: [1, 2]), "a state of the wrong size is refused")
        var c = RandomGenerator(seed: 43)
        XCTAssertNotEqual(c.next(), RandomGenerator(seed: 42).state[0] &+ 0, "different seeds differ")
    }

    func testUniformAndNormalMoments() {
        var generator = RandomGenerator(seed: 7)
        let uniforms = (0..<100_000).map { _ in generator.nextFloat() }
        XCTAssertTrue(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(uniforms.reduce(0, +) / 100_000, 0.5, accuracy: 0.01)
        let normals = Tensor.normal([100_000], using: &generator).scalars
        let mean = normals.reduce(0, +) / 100_000
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 100_000
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.02)
        let ints = (0..<10_000).map { _ in generator.nextInt(below: 10) }
        XCTAssertEqual(Set(ints), Set(0..<10))
    }

    func testInitializersFollowTorchNNInitFormulas() {
        var generator = RandomGenerator(seed: 9)
        let shape: Shape = [64, 32, 3, 3]  // fanIn 288, fanOut 576
        func std(_ t: Tensor) -> Float {
            let values = t.scalars, mean = values.reduce(0, +) / Float(values.count)
            return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)).squareRoot()
        }
        func bound(_ t: Tensor) -> Float { t.scalars.map(abs).max() ?? 0 }
        XCTAssertEqual(
            std(Tensor.kaimingNormal(shape, using: &generator)), (2 / 288 as Float).squareRoot(), accuracy: 0.003)
        let kaimingBound = (6 / 288 as Float).squareRoot()
        let kaiming = Tensor.kaimingUniform(shape, using: &generator)
        XCTAssertLessThanOrEqual(bound(kaiming), kaimingBound)
        XCTAssertGreaterThan(bound(kaiming), kaimingBound * 0.99)
        let xavierBound = (6 / Float(288 + 576)).squareRoot()
        let xavier = Tensor.xavierUniform(shape, using: &generator)
        XCTAssertLessThanOrEqual(bound(xavier), xavierBound)
        XCTAssertGreaterThan(bound(xavier), xavierBound * 0.99)
        XCTAssertEqual(
            std(Tensor.xavierNormal(shape, using: &generator)), (2 / Float(288 + 576)).squareRoot(), accuracy: 0.002)
        XCTAssertEqual(Tensor.zeros([3]).scalars, [0, 0, 0])
        XCTAssertEqual(Tensor.ones([2]).scalars, [1, 1])
    }
}
