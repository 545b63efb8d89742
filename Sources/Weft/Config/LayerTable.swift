/// The layer table `weft inspect` prints: name, type, output shape, parameters and forward FLOPs
/// per image, with totals.
extension ModelBuilder {
    public var layerTable: String {
        let header = ["layer", "type", "output", "parameters", "MFLOP/image"]
        var body = [["input", "", ModelBuilder.describe(config.input), "", ""]]
        for row in rows {
            body.append([
                row.name, row.type, ModelBuilder.describe(row.outputShape),
                row.parameters > 0 ? String(row.parameters) : "",
                row.flops > 0 ? ModelBuilder.megaflops(row.flops) : ""
            ])
        }
        let total = ["total", "", "", String(parameterCount), ModelBuilder.megaflops(flopsPerImage)]
        let all = [header] + body + [total]
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        func format(_ line: [String]) -> String {
            line.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column >= 3 ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        return ([format(header), rule] + body.map(format) + [rule, format(total)]).joined(separator: "\n")
    }

    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    public static func megaflops(_ flops: Int) -> String {
        let value = Double(flops) / 1e6
        return value >= 100 ? String(Int(value.rounded())) : String((value * 1000).rounded() / 1000)
    }
}
