// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for Weft's readers, one executable each, built with
/// `swift build --sanitize=fuzzer --sanitize=address` (see `run.sh`). A separate package so the
/// main build and `swift test` never see the fuzzer flags.
let targets = [
    "FuzzJSON", "FuzzConfig", "FuzzSafetensors", "FuzzIDX", "FuzzPNG", "FuzzJPEG", "FuzzPGM", "FuzzSearch", "FuzzNPZ",
    "FuzzCIFAR", "FuzzCSV"
]

let package = Package(
    name: "WeftFuzz",
    dependencies: [
        .package(name: "Weft", path: "../..")
    ],
    targets: targets.map { name in
        .executableTarget(name: name, dependencies: [.product(name: "Weft", package: "Weft")])
    },
    swiftLanguageModes: [.v5]
)
