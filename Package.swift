// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Release builds compile for the CPU they are built on (AVX2/FMA or AVX-512 where present), as
/// `-march=native` does for C: the element-wise loops then use the wide vector registers and
/// fused multiply-adds instead of baseline SSE2 and calls to `fmaf`. Set `WEFT_PORTABLE=1` when
/// building a binary for other machines (a cluster of mixed CPUs, a package).
let nativeCPU: [SwiftSetting] =
    ProcessInfo.processInfo.environment["WEFT_PORTABLE"] == "1"
    ? []
    : [
        .unsafeFlags(["-target-cpu", "native"], .when(configuration: .release))
    ]

/// `-fno-math-errno` for the C inline functions Swift's math compiles through (`squareRoot()`
/// among them): without it every square root keeps a call to libm for errno's sake, which stops
/// the loop around it from vectorising (Adam's update); the results are the same.
let numericSettings: [SwiftSetting] =
    nativeCPU + [
        .unsafeFlags(["-Xcc", "-fno-math-errno"], .when(configuration: .release))
    ]

/// Release builds of the engine's numeric kernels (raw-pointer loops) skip Swift's overflow and
/// exclusivity checks. Everything that parses user input keeps every check.
let fastMath: [SwiftSetting] =
    numericSettings + [
        .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release))
    ]

let package = Package(
    name: "Weft",
    products: [
        .library(name: "Weft", targets: ["Weft"]),
        .executable(name: "weft", targets: ["weft"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
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
            name: "CJPEG",
            pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        // bfloat16 matrix products (AVX-512 BF16 intrinsics, which Swift does not expose).
        .target(
            name: "CBFloat16"
        ),
        .target(
            name: "WeftEngine",
            dependencies: ["COpenBLAS", "CBFloat16"],
            swiftSettings: fastMath
        ),
        .target(
            name: "Weft",
            dependencies: ["WeftEngine", "CZlib", "CPNG", "CJPEG"],
            swiftSettings: numericSettings
        ),
        // The MPI communicator, apart so that the library builds and tests without Open MPI.
        .target(
            name: "WeftMPI",
            dependencies: ["Weft", "CMPI"]
        ),
        .executableTarget(
            name: "weft",
            dependencies: [
                "Weft",
                "WeftMPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
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
        )
    ],
    swiftLanguageModes: [.v5]
)
