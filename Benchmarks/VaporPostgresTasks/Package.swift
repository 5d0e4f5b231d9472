// swift-tools-version:6.1
// The PostgreSQL peer for Benchmarks/peers.py (issue 21): the bundled API's task list written as a
// Vapor 4 user would, with Fluent's PostgreSQL driver and JWT. A package of its own, so the main
// package (and CI) never builds it:
//   swift build -c release --package-path Benchmarks/VaporPostgresTasks --scratch-path /tmp/peer-vapor-pg
import PackageDescription

let package = Package(
    name: "VaporPostgresTasks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/jwt.git", from: "5.2.0"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
    ],
    targets: [
        .executableTarget(
            name: "VaporPostgresTasks",
            dependencies: [
                .product(name: "Vapor", package: "vapor"),
                .product(name: "JWT", package: "jwt"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        )
    ]
)
