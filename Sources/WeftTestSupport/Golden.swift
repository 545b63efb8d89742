import Foundation
import WeftEngine
import XCTest

/// One file of PyTorch golden values written by `Tests/Fixtures/make_golden.py`.
public struct GoldenFile: Decodable {
    public let generator: String
    /// The torch version that produced the values.
    public let torch: String
    public let cases: [GoldenCase]

    /// Loads `Tests/Fixtures/Golden/<name>.json` from the source tree.
    public static func load(_ name: String) throws -> GoldenFile {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/Golden/\(name).json")
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }
}

/// One golden case: parameters and named tensors (inputs, upstream gradient, expected outputs).
public struct GoldenCase: Decodable {
    public let name: String
    public let params: [String: GoldenValue]
    public let tensors: [String: GoldenTensor]

    /// The named tensor as a Weft tensor; fails the test when it is missing.
    public func tensor(_ key: String) throws -> Tensor {
        guard let stored = tensors[key] else {
            throw GoldenError.missing("\(name): no tensor \(key)")
        }
        return stored.tensor
    }

    public func int(_ key: String) throws -> Int {
        guard case .number(let value)? = params[key] else { throw GoldenError.missing("\(name): no integer \(key)") }
        return Int(value)
    }

    public func float(_ key: String) throws -> Float {
        guard case .number(let value)? = params[key] else { throw GoldenError.missing("\(name): no number \(key)") }
        return Float(value)
    }

    public func bool(_ key: String) throws -> Bool {
        guard case .bool(let value)? = params[key] else { throw GoldenError.missing("\(name): no flag \(key)") }
        return value
    }

    public func string(_ key: String) throws -> String {
        guard case .string(let value)? = params[key] else { throw GoldenError.missing("\(name): no string \(key)") }
        return value
    }
}

public enum GoldenError: Error {
    case missing(String)
}

/// A parameter value of a golden case.
public enum GoldenValue: Decodable {
    case number(Double), bool(Bool), string(String)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}

/// A stored tensor: shape and row-major values.
public struct GoldenTensor: Decodable {
    public let shape: [Int]
    public let data: [Double]

    public var tensor: Tensor { Tensor(shape: Shape(shape), scalars: data.map { Float($0) }) }
}

/// Asserts `actual` has `expected`'s shape and values: element by element
/// `|a - e| ≤ tolerance * (|e| + mean |e|)` — relative error, with the tensor's mean magnitude
/// as the floor for elements near zero.
public func assertClose(
    _ actual: Tensor?, _ expected: Tensor, tolerance: Float = 1e-4, _ message: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard let actual else {
        XCTFail("\(message): no tensor (expected \(expected.shape))", file: file, line: line)
        return
    }
    guard actual.shape == expected.shape else {
        XCTFail("\(message): shape \(actual.shape), expected \(expected.shape)", file: file, line: line)
        return
    }
    var meanMagnitude: Float = 0
    for index in 0..<expected.count { meanMagnitude += abs(expected.data[index]) }
    meanMagnitude /= Float(max(expected.count, 1))
    for index in 0..<expected.count {
        let a = actual.data[index], e = expected.data[index]
        if !(abs(a - e) <= tolerance * (abs(e) + meanMagnitude)) {
            XCTFail("\(message): element \(index) is \(a), expected \(e)", file: file, line: line)
            return
        }
    }
}
