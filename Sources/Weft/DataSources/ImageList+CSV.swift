import Foundation

extension ImageList {
    /// The largest CSV list read (256 MiB; 70,000 rows take about 3 MB).
    public static let maximumCSVBytes = 256 << 20

    /// The images a CSV file lists: a header row naming a `path` and a `label` column (more
    /// columns are allowed and ignored), then one row per image. Fields follow RFC 4180 (commas,
    /// double quotes around a field that holds commas, quotes or line breaks, `""` for a quote),
    /// lines end in LF or CRLF, blank lines are skipped. Paths are relative to the CSV file's
    /// folder (absolute ones are kept). Labels are class names, the classes sorted in code-point
    /// order, or, when every training label is a non-negative integer, class numbers (classes
    /// "0" to the largest).
    ///
    /// Written by hand rather than with a CSV package because every message names the line of
    /// the row, which the row readers do not report once quoted fields span lines.
    ///
    /// - Parameters:
    ///   - path: the CSV file.
    ///   - classes: the training split's class names, when this is the test split: every label
    ///     must be one of them.
    /// - Throws: `WeftError` naming the file and line for a missing column, a malformed row, an
    ///   unknown label or a missing image file.
    public static func csv(_ path: String, classes: [String]? = nil) throws -> ImageList {
        try csv(bytes: try readCSV(path), path: path, classes: classes)
    }

    /// The images the CSV text `bytes` lists, as if read from `path` (which names it in messages
    /// and whose folder relative paths start at); one pass over the bytes, then one `stat` per row.
    ///
    /// - Throws: `WeftError` as `csv(_:classes:)`.
    public static func csv(bytes: [UInt8], path: String, classes: [String]? = nil) throws -> ImageList {
        let records = try CSVRecords.parse(bytes, name: path).drop { $0.fields == [""] }
        guard let header = records.first else {
            throw WeftError("\(path): the CSV file is empty; its first row must name the columns path,label")
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        func column(_ name: String) throws -> Int {
            guard let index = columns.firstIndex(of: name) else {
                throw WeftError(
                    "\(path) line \(header.line): the header row has no \"\(name)\" column (it has \(columns.map { "\"\($0)\"" }.joined(separator: ", "))); the first row must name the columns path,label"
                )
            }
            return index
        }
        let pathColumn = try column("path"), labelColumn = try column("label")
        let folder = (path as NSString).deletingLastPathComponent
        let csvName = (path as NSString).lastPathComponent
        var rows: [(path: String, label: String, line: Int)] = []
        for record in records.dropFirst() {
            if record.fields.count == 1 && record.fields[0].isEmpty { continue }
            guard record.fields.count > max(pathColumn, labelColumn) else {
                throw WeftError(
                    "\(path) line \(record.line): the row has \(record.fields.count) field\(record.fields.count == 1 ? "" : "s") but the header \(columns.count); give every row a path and a label"
                )
            }
            let file = record.fields[pathColumn].trimmingCharacters(in: .whitespacesAndNewlines)
            let label = record.fields[labelColumn].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !file.isEmpty, !label.isEmpty else {
                throw WeftError(
                    "\(path) line \(record.line): the \(file.isEmpty ? "path" : "label") is empty; give every row a path and a label"
                )
            }
            let resolved = file.hasPrefix("/") ? file : (folder as NSString).appendingPathComponent(file)
            rows.append((ImageList.lexicallyNormalized(resolved), label, record.line))
        }
        guard !rows.isEmpty else {
            throw WeftError("\(path): the CSV file lists no image after its header row; add a row per image")
        }
        let names: [String]
        if let classes {
            names = classes
        } else if rows.allSatisfy({ UInt32($0.label) != nil }) {
            let largest = rows.max { UInt32($0.label)! < UInt32($1.label)! }!
            guard Int(UInt32(largest.label)!) < ImageDataset.maximumClassCount else {
                throw WeftError(
                    "\(path) line \(largest.line): label \(largest.label) is not a class number below \(ImageDataset.maximumClassCount); fix the label, or label the rows by class name"
                )
            }
            names = (0...Int(UInt32(largest.label)!)).map(String.init)
        } else {
            names = Set(rows.map(\.label)).sorted(by: codePointOrder)
        }
        var index: [String: Int] = [:]
        for (label, name) in names.enumerated() { index[name] = label }
        var entries: [Entry] = []
        entries.reserveCapacity(rows.count)
        for row in rows {
            let canonical = UInt32(row.label).map { String($0) } ?? row.label
            guard let label = index[row.label] ?? index[canonical] else {
                throw WeftError(
                    "\(path) line \(row.line): label \"\(row.label)\" is not among the \(names.count) training classes (\(sample(names))); fix the label or add the class to the training list"
                )
            }
            guard let status = fileStatus(row.path) else {
                throw WeftError(
                    "\(path) line \(row.line): \(row.path) does not exist; fix the path (relative paths start at the CSV file's folder)"
                )
            }
            guard status.isRegular else {
                throw WeftError(
                    "\(path) line \(row.line): \(row.path) is \(status.isDirectory ? "a folder" : "not a regular file"), not an image; list image files"
                )
            }
            entries.append(
                Entry(
                    path: row.path, label: label, listedAt: "\(csvName) line \(row.line)", size: status.size,
                    modified: status.modified))
        }
        return ImageList(source: path, entries: entries, classNames: names)
    }

    private static func readCSV(_ path: String) throws -> [UInt8] {
        guard let status = fileStatus(path), !status.isDirectory else {
            throw WeftError("\(path): the CSV file does not exist; check the path")
        }
        guard status.size <= maximumCSVBytes else {
            throw WeftError(
                "\(path): the CSV file is \(status.size) bytes, over the \(maximumCSVBytes >> 20) MiB a list of images may take; split it or check that it is the right file"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WeftError("\(path): cannot read the CSV file; check its permissions")
        }
        return [UInt8](data)
    }
}

/// The records of a CSV file (RFC 4180), each with the line it starts on.
enum CSVRecords {
    struct Record {
        var fields: [String]
        var line: Int
    }

    /// Splits `bytes` into records in one pass.
    ///
    /// - Throws: `WeftError` naming `name` and the line for a quote left open or text after a
    ///   closing quote, or bytes that are not UTF-8.
    static func parse(_ bytes: [UInt8], name: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1, recordLine = 1
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        func finishField() throws {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw WeftError("\(name) line \(line): the text is not UTF-8; save the CSV file as UTF-8")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
        }
        func finishRecord() throws {
            try finishField()
            records.append(Record(fields: fields, line: recordLine))
            fields.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote && field.isEmpty {
                let openedOn = line
                index += 1
                while true {
                    guard index < bytes.count else {
                        throw WeftError(
                            "\(name) line \(openedOn): a quoted field is never closed; end it with a double quote")
                    }
                    let inner = bytes[index]
                    if inner == quote {
                        if index + 1 < bytes.count && bytes[index + 1] == quote {
                            field.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    if inner == newline { line += 1 }
                    field.append(inner)
                    index += 1
                }
                if index < bytes.count, ![comma, newline, carriageReturn].contains(bytes[index]) {
                    throw WeftError(
                        "\(name) line \(line): text follows a closing double quote; write a quote inside a quoted field as \"\""
                    )
                }
                continue
            }
            switch byte {
            case comma:
                try finishField()
            case newline:
                try finishRecord()
                line += 1
                recordLine = line
            case carriageReturn where index + 1 < bytes.count && bytes[index + 1] == newline:
                break
            default:
                field.append(byte)
            }
            index += 1
        }
        if !field.isEmpty || !fields.isEmpty { try finishRecord() }
        return records
    }
}
