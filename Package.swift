// swift-tools-version:6.1
import PackageDescription

/// ScoreKit: one score model, every sampler.
///
/// Dependency direction: ScoreKitSamplers → ScoreKitCore ← ScoreKitModels, and ScoreKitMetrics
/// (the quality metrics) on ScoreKitCore; ScoreKitCompare (the NFE-versus-quality sweeps) uses
/// all four; the umbrella `ScoreKit` re-exports all five and the `scorekit` tool sits on top.
/// ScoreKitCore uses CScoreKitKernels for CPUID (which OpenBLAS kernel fits the CPU);
/// ScoreKitModels for its element-wise kernels.
///
/// Platforms: Linux (OpenBLAS from `libopenblas-dev`), macOS 14 and iOS 17 (Accelerate). Calls
/// only Linux has (`/proc`, glibc's `mallopt`) are behind `#if os(Linux)`.
let package = Package(
    name: "ScoreKit",
    platforms: [.macOS(.v14), .iOS(.v17)],
    products: [
        .library(name: "ScoreKit", targets: ["ScoreKit"]),
        .library(name: "ScoreKitCore", targets: ["ScoreKitCore"]),
        .library(name: "ScoreKitSamplers", targets: ["ScoreKitSamplers"]),
        .library(name: "ScoreKitModels", targets: ["ScoreKitModels"]),
        .library(name: "ScoreKitMetrics", targets: ["ScoreKitMetrics"]),
        .executable(name: "scorekit", targets: ["scorekit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation --target ScoreKit` (the DocC catalog; `make docs`).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "ScoreKitCore",
            dependencies: [.target(name: "COpenBLAS", condition: .when(platforms: [.linux])), "CScoreKitKernels"]
        ),
        .target(name: "ScoreKitSamplers", dependencies: ["ScoreKitCore"], path: "Samplers"),
        .target(name: "CScoreKitKernels"),
        .target(name: "ScoreKitModels", dependencies: ["ScoreKitCore", "CScoreKitKernels"], path: "Models",
                resources: [.copy("Resources")]),
        .target(name: "ScoreKitMetrics", dependencies: ["ScoreKitCore"]),
        .target(name: "ScoreKitCompare", dependencies: ["ScoreKitCore", "ScoreKitMetrics", "ScoreKitSamplers", "ScoreKitModels"]),
        .target(name: "ScoreKit", dependencies: ["ScoreKitCore", "ScoreKitMetrics", "ScoreKitSamplers", "ScoreKitModels",
                                                 "ScoreKitCompare"]),
        .executableTarget(
            name: "scorekit",
            dependencies: ["ScoreKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The test settings (environment flags) and the `.statistical` trait, shared by every
        // test target; not a product.
        .target(name: "ScoreKitTestSupport", path: "Tests/Support"),
        .testTarget(name: "ScoreKitCoreTests", dependencies: ["ScoreKitCore", "ScoreKitTestSupport"]),
        .testTarget(name: "ScoreKitMetricsTests", dependencies: ["ScoreKitMetrics", "ScoreKitTestSupport"]),
        .testTarget(name: "ScoreKitModelsTests", dependencies: ["ScoreKitModels", "ScoreKitTestSupport"]),
        .testTarget(name: "ScoreKitSamplersTests", dependencies: ["ScoreKit", "ScoreKitTestSupport"]),
        .testTarget(name: "ScoreKitCompareTests", dependencies: ["ScoreKitCompare", "ScoreKit", "ScoreKitTestSupport"]),
        .testTarget(name: "ScoreKitCLITests", dependencies: ["scorekit", "ScoreKit", "ScoreKitTestSupport"]),
    ]
)
