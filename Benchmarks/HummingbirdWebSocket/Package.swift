// swift-tools-version:6.2
// The peer for Benchmarks/websockets.py: the same WebSocket program as Benchmarks/WSBench,
// written on hummingbird-websocket as its users would. A package of its own, so the main package
// (and CI) never builds Hummingbird:  swift build -c release --package-path Benchmarks/HummingbirdWebSocket
import PackageDescription

let package = Package(
    name: "HummingbirdWebSocketPeer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdWebSocketPeer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
