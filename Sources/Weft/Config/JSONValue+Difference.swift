extension JSONValue {
    /// The JSON paths at which `self` and `other` differ (`training.epochs`,
    /// `model.layers[2].rate`), in document order.
    public func differingPaths(from other: JSONValue, at path: String = "") -> [String] {
        switch (self, other) {
        case let (.object(mine), .object(theirs)):
            var keys = mine.map(\.key)
            keys += theirs.map(\.key).filter { !keys.contains($0) }
            return keys.flatMap { key -> [String] in
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                switch (self[key], other[key]) {
                case let (a?, b?): return a.differingPaths(from: b, at: childPath)
                default: return [childPath]
                }
            }
        case let (.array(mine), .array(theirs)) where mine.count == theirs.count:
            return zip(mine, theirs).enumerated().flatMap {
                $0.element.0.differingPaths(from: $0.element.1, at: "\(path)[\($0.offset)]")
            }
        default:
            return self == other ? [] : [path]
        }
    }
}
