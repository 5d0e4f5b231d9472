// swift-tools-version:6.2
// The peer for Benchmarks/sse.sh: the same Server-Sent Events program as Benchmarks/SSEBench,
// written on Hummingbird 2 as its users would. A package of its own, so the main package (and
// CI) never builds Hummingbird:  swift build -c release --package-path Benchmarks/HummingbirdSSE
import PackageDescription

let package = Package(
    name: "HummingbirdSSE",
    platforms: [.macOS(.v15)],
    dependencies: [.package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1")],
    targets: [
        .executableTarget(
            name: "HummingbirdSSE",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
