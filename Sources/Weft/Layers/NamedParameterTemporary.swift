/// (temporary until the optimizers branch merges)
public struct NamedParameter { public let name: String; public let tensor: Tensor
    public init(name: String, tensor: Tensor) { self.name = name; self.tensor = tensor } }
