// swift-tools-version:6.1
// The PostgreSQL peer for Benchmarks/peers.py (issue 21): the bundled API's task list written as a
// Hummingbird 2 user would, on postgres-nio's `PostgresClient`. A package of its own, so the main
// package (and CI) never builds it:
//   swift build -c release --package-path Benchmarks/HummingbirdPostgresTasks --scratch-path /tmp/peer-hb-pg
import PackageDescription

let package = Package(
    name: "HummingbirdPostgresTasks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdPostgresTasks",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
