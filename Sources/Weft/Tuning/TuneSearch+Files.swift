import Foundation

/// The files of a search's run folder: `search.json` (the spec, for `--resume`), `tune.jsonl`
/// and `tune.csv` (written as the search goes), `best-config.json` and `tune-report.html`.
extension TuneSearch {
    /// Claims the run folder of a new search (`RunFolder.prepareFresh`: locked, a previous run
    /// there moved aside to `<folder>.1`, ...) and stores the spec as `search.json`.
    /// - Returns: the folder's lock, to hold for the whole search, and where a previous run went,
    ///   if there was one.
    @discardableResult
    public static func prepare(spec: TuneSpec, folder: String) throws -> (lock: RunFolderLock, previous: String?) {
        let claimed = try RunFolder(path: folder).prepareFresh(alternative: "choose another --output")
        try AtomicFile.write(
            Array((spec.json.serialized() + "\n").utf8), to: (folder as NSString).appendingPathComponent("search.json"))
        return claimed
    }

    /// Writes the winner's ready-to-train config as `best-config.json`; returns its path.
    @discardableResult
    public func writeBestConfig(_ best: CandidateScore) throws -> String {
        let path = (folder as NSString).appendingPathComponent("best-config.json")
        try AtomicFile.write(Array((try bestConfig(best).json.serialized() + "\n").utf8), to: path)
        return path
    }

    /// Writes `tune-report.html` as the search stands; returns its path.
    @discardableResult
    public func writeReport(bestConfigPath: String?) throws -> String {
        let path = (folder as NSString).appendingPathComponent("tune-report.html")
        try AtomicFile.write(Array(TuneReport(search: self, bestConfigPath: bestConfigPath).html().utf8), to: path)
        return path
    }
}
