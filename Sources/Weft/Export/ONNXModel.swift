/// The parts of an ONNX model Weft writes, and their protobuf encoding with the field numbers
/// of `onnx.proto` (ONNX's public schema): `ModelProto` (ir_version 1, producer_name 2,
/// producer_version 3, doc_string 6, graph 7, opset_import 8, metadata_props 14), `GraphProto`
/// (node 1, name 2, initializer 5, doc_string 10, input 11, output 12), `NodeProto` (input 1,
/// output 2, name 3, op_type 4, attribute 5), `AttributeProto` (name 1, f 2, i 3, ints 8,
/// type 20), `TensorProto` (dims 1, data_type 2, name 8, raw_data 9), `ValueInfoProto` (name 1,
/// type 2, doc_string 3), `TypeProto` (tensor_type 1) → `Tensor` (elem_type 1, shape 2) →
/// `TensorShapeProto` (dim 1) → `Dimension` (dim_value 1, dim_param 2), `OperatorSetIdProto`
/// (domain 1, version 2) and `StringStringEntryProto` (key 1, value 2).
public enum ONNX {
    /// The operator set the graph uses (the default domain `ai.onnx`).
    public static let opsetVersion: Int64 = 13
    /// The IR version that goes with opset 13 (ONNX 1.8).
    public static let irVersion: Int64 = 7
    /// `TensorProto.DataType.FLOAT`.
    static let floatType: Int64 = 1

    /// A node attribute.
    public struct Attribute {
        public enum Value {
            case integer(Int64), float(Float), integers([Int64])
        }
        public let name: String
        public let value: Value

        public init(_ name: String, _ value: Value) {
            self.name = name
            self.value = value
        }

        func encode(into writer: inout ProtobufWriter) {
            writer.string(1, name)
            switch value {
            case .float(let number):
                writer.float(2, number)
                writer.integer(20, 1)  // AttributeType.FLOAT
            case .integer(let number):
                writer.integer(3, number)
                writer.integer(20, 2)  // AttributeType.INT
            case .integers(let numbers):
                for number in numbers { writer.integer(8, number) }
                writer.integer(20, 7)  // AttributeType.INTS
            }
        }
    }

    /// One operator application.
    public struct Node {
        public let operatorType: String
        public let name: String
        public let inputs: [String]
        public var outputs: [String]
        public let attributes: [Attribute]

        func encode(into writer: inout ProtobufWriter) {
            for input in inputs { writer.string(1, input) }
            for output in outputs { writer.string(2, output) }
            writer.string(3, name)
            writer.string(4, operatorType)
            for attribute in attributes { writer.message(5) { attribute.encode(into: &$0) } }
        }
    }

    /// A constant float32 tensor (weights), stored as little-endian `raw_data`.
    public struct Initializer {
        public let name: String
        public let shape: [Int]
        public let values: [Float]

        func encode(into writer: inout ProtobufWriter) {
            for dimension in shape { writer.integer(1, Int64(dimension)) }
            writer.integer(2, ONNX.floatType)
            writer.string(8, name)
            var raw: [UInt8] = []
            raw.reserveCapacity(4 * values.count)
            for value in values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) }
            }
            writer.data(9, raw)
        }
    }

    /// A dimension of a graph input or output: a fixed size or a named, dynamic one.
    public enum Dimension {
        case size(Int), named(String)
    }

    /// A float32 graph input or output.
    public struct Value {
        public let name: String
        public let shape: [Dimension]
        public let documentation: String

        func encode(into writer: inout ProtobufWriter) {
            writer.string(1, name)
            writer.message(2) { type in
                type.message(1) { tensor in
                    tensor.integer(1, ONNX.floatType)
                    tensor.message(2) { shapeWriter in
                        for dimension in shape {
                            shapeWriter.message(1) { dimensionWriter in
                                switch dimension {
                                case .size(let size): dimensionWriter.integer(1, Int64(size))
                                case .named(let name): dimensionWriter.string(2, name)
                                }
                            }
                        }
                    }
                }
            }
            if !documentation.isEmpty { writer.string(3, documentation) }
        }
    }

    /// A whole model: one graph, its opset, and string metadata.
    public struct Model {
        public var graphName: String
        public var nodes: [Node] = []
        public var initializers: [Initializer] = []
        public var inputs: [Value] = []
        public var outputs: [Value] = []
        public var documentation = ""
        public var metadata: [(key: String, value: String)] = []

        /// The `.onnx` file's bytes.
        public func encoded() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.integer(1, ONNX.irVersion)
            writer.string(2, "weft")
            writer.string(3, Weft.version)
            if !documentation.isEmpty { writer.string(6, documentation) }
            writer.message(7) { graph in
                for node in nodes { graph.message(1) { node.encode(into: &$0) } }
                graph.string(2, graphName)
                for initializer in initializers { graph.message(5) { initializer.encode(into: &$0) } }
                for input in inputs { graph.message(11) { input.encode(into: &$0) } }
                for output in outputs { graph.message(12) { output.encode(into: &$0) } }
            }
            writer.message(8) { opset in
                opset.string(1, "")
                opset.integer(2, ONNX.opsetVersion)
            }
            for entry in metadata {
                writer.message(14) { pair in
                    pair.string(1, entry.key)
                    pair.string(2, entry.value)
                }
            }
            return writer.bytes
        }
    }
}
