// swift-tools-version:6.0
import PackageDescription

/// Release builds of the engine's numeric kernels (raw-pointer loops) skip Swift's overflow and
/// exclusivity checks. Everything that parses user input keeps every check.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Weft",
    products: [
        .library(name: "Weft", targets: ["Weft"]),
        .executable(name: "weft", targets: ["weft"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]
        ),
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        .target(
            name: "WeftEngine",
            dependencies: ["COpenBLAS"],
            swiftSettings: fastMath
        ),
        .target(
            name: "Weft",
            dependencies: ["WeftEngine", "CZlib", "CPNG", "CMPI"]
        ),
        .executableTarget(
            name: "weft",
            dependencies: [
                "Weft",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "WeftTestSupport",
            dependencies: ["WeftEngine"],
            path: "Sources/WeftTestSupport"
        ),
        .testTarget(
            name: "WeftEngineTests",
            dependencies: ["WeftEngine", "WeftTestSupport"]
        ),
        .testTarget(
            name: "WeftTests",
            dependencies: ["Weft", "WeftTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
