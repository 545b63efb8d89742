import Foundation
import Weft

/// The data of `config`, with a progress line on standard error while image files are decoded
/// (only on a terminal), then the data notes (how each split was loaded, warnings) printed, on
/// stdout or, when `notesToStandardError` (stdout holds JSON), on stderr.
func loadTrainingData(
    _ config: TrainingConfig, directoryOverride: String?, notesToStandardError: Bool = false
) throws -> TrainingData {
    let terminal = isatty(STDERR_FILENO) != 0
    let data = try TrainingData(config: config, directoryOverride: directoryOverride) { split, done, total in
        guard terminal else { return }
        let line = "\rdecoding \(split.rawValue): \(done) of \(total) images" + (done == total ? "\n" : "")
        FileHandle.standardError.write(Data(line.utf8))
    }
    for note in data.notes {
        if notesToStandardError {
            FileHandle.standardError.write(Data((note + "\n").utf8))
        } else {
            print(note)
        }
    }
    return data
}
