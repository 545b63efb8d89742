import Foundation
import XCTest

/// The folders of `Sources/Weft` form no cycle: a folder that uses a type of another folder is
/// never, directly or through others, used by it (ARCHITECTURE.md's folder table).
final class FolderDependencyTests: XCTestCase {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Weft")

    /// `[folder: [file text]]`, comments removed.
    private func folders() throws -> [String: [String]] {
        let manager = FileManager.default
        var texts: [String: [String]] = [:]
        let comment = try NSRegularExpression(pattern: "//.*")
        for folder in try manager.contentsOfDirectory(atPath: Self.sources.path).sorted() {
            let url = Self.sources.appendingPathComponent(folder)
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else { continue }
            for file in try manager.contentsOfDirectory(atPath: url.path) where file.hasSuffix(".swift") {
                let text = try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
                let range = NSRange(text.startIndex..., in: text)
                texts[folder, default: []].append(
                    comment.stringByReplacingMatches(in: text, range: range, withTemplate: ""))
            }
        }
        return texts
    }

    private func matches(_ pattern: String, in text: String) throws -> [String] {
        let expression = try NSRegularExpression(pattern: pattern, options: .anchorsMatchLines)
        return expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// `[folder: folders whose types it names]`.
    func dependencies() throws -> [String: Set<String>] {
        let texts = try folders()
        let declaration =
            "^(?:public |internal |private |fileprivate |final |indirect )*(?:struct|class|enum|protocol|typealias|actor)\\s+([A-Z]\\w*)"
        var owner: [String: String] = [:]
        for (folder, files) in texts.sorted(by: { $0.key < $1.key }) {
            for text in files {
                for name in try matches(declaration, in: text) where owner[name] == nil { owner[name] = folder }
            }
        }
        var uses: [String: Set<String>] = [:]
        for (folder, files) in texts {
            for text in files {
                for word in Set(try matches("\\b([A-Z]\\w*)\\b", in: text)) {
                    if let other = owner[word], other != folder { uses[folder, default: []].insert(other) }
                }
            }
        }
        return uses
    }

    func testTheFoldersOfWeftFormNoCycle() throws {
        let uses = try dependencies()
        XCTAssertGreaterThan(uses.count, 10, "the scan must see the folders and their uses")
        XCTAssertTrue(uses["Training", default: []].contains("Checkpoint"), "a known use must be found")
        for start in uses.keys.sorted() {
            // Depth-first search for a path from `start` back to itself.
            var path: [String] = []
            var seen = Set<String>()
            func reachesStart(from folder: String) -> Bool {
                for next in uses[folder, default: []].sorted() {
                    if next == start { return true }
                    guard seen.insert(next).inserted else { continue }
                    path.append(next)
                    if reachesStart(from: next) { return true }
                    path.removeLast()
                }
                return false
            }
            if reachesStart(from: start) {
                XCTFail(
                    "Sources/Weft/\(start) is on a folder cycle: \(([start] + path + [start]).joined(separator: " → "))"
                )
            }
        }
    }
}
