// swift-tools-version:6.1
import PackageDescription

// ScoreKit by relative path. `../ScoreKit` is the symbolic link Examples/ScoreKit → .., so the
// dependency's identity is "ScoreKit" whatever the checkout's folder is called.
let package = Package(
    name: "CustomDenoiser",
    platforms: [.macOS(.v14), .iOS(.v17)],
    dependencies: [.package(path: "../ScoreKit")],
    targets: [
        .executableTarget(name: "CustomDenoiser", dependencies: [.product(name: "ScoreKit", package: "ScoreKit")]),
    ]
)
