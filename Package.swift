// swift-tools-version:6.1
import PackageDescription

/// One set of settings for every target: Swift 6 language mode (strict
/// concurrency) plus the upcoming features Hummingbird enables.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    
]

let package = Package(
    name: "Vial",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Vial", targets: ["Vial"]),
        .library(name: "VialMiddleware", targets: ["VialMiddleware"]),
        .library(name: "VialTesting", targets: ["VialTesting"]),
        .library(name: "VialApp", targets: ["VialApp"]),
        .library(name: "VialBlueprints", targets: ["VialBlueprints"]),
        .executable(name: "App", targets: ["AppMain"]),
        .executable(name: "Examples", targets: ["VialExamples"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "Vial",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            path: "Sources/Vial",
            swiftSettings: swiftSettings
        ),
        // Test helpers (HummingbirdTesting's role): the in-process and live clients, ManualClock.
        .target(
            name: "VialTesting",
            dependencies: [
                "Vial",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/VialTesting",
            swiftSettings: swiftSettings
        ),
        // The system libcrypto (libssl-dev): HMAC, SHA-2, PBKDF2, scrypt, RAND_bytes, CRYPTO_memcmp.
        .systemLibrary(
            name: "CLibCrypto",
            path: "Sources/CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "VialMiddleware",
            dependencies: ["Vial", "CLibCrypto", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Sources/Middleware",
            swiftSettings: swiftSettings
        ),
        // The composition root as a library: the plugin contract, per-plugin migrations, settings,
        // start-up checks and the whole command line. Anyone's `main.swift` is a few lines over it.
        .target(
            name: "VialApp",
            dependencies: [
                "Vial", "VialMiddleware",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),  // SQLite's C API, for reading rows
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/VialApp",
            swiftSettings: swiftSettings
        ),
        // The bundled features, each a plugin through VialApp's public contract.
        .target(
            name: "VialBlueprints",
            dependencies: [
                "Vial", "VialMiddleware", "VialApp", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Blueprints",
            swiftSettings: swiftSettings
        ),
        // `App`: the bundled plugins handed to VialApp's command line.
        .executableTarget(
            name: "AppMain",
            dependencies: ["VialApp", "VialBlueprints"],
            path: "Sources/App",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "VialExamples",
            dependencies: [
                "Vial", "VialMiddleware", "VialApp", "VialBlueprints",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Examples",
            swiftSettings: swiftSettings
        ),
        // Benchmarks/run.sh runs these (release builds); `swift test` never does.
        .executableTarget(
            name: "BareServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            path: "Benchmarks/BareServer",
            swiftSettings: swiftSettings
        ),
        // Benchmarks/sse.py: 10,000 idle event streams, beside Benchmarks/HummingbirdSSE.
        .executableTarget(
            name: "SSEBench",
            dependencies: ["Vial"],
            path: "Benchmarks/SSEBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "WSBench",
            dependencies: ["Vial"],
            path: "Benchmarks/WSBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "WSLoad",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/WSLoad",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RouterBench",
            dependencies: ["Vial"],
            path: "Benchmarks/RouterBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ModelBench",
            dependencies: ["Vial", "VialTesting"],
            path: "Benchmarks/ModelBench",
            swiftSettings: swiftSettings
        ),
        // Benchmarks/instructions.py: `App` under valgrind (see its main.swift for why a twin).
        .executableTarget(
            name: "InstructionServer",
            dependencies: ["VialApp", "VialBlueprints"],
            path: "Benchmarks/InstructionServer",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "JobBench",
            dependencies: ["Vial", "VialMiddleware", "VialApp", "VialBlueprints", "VialTesting", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/JobBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VialTests",
            dependencies: ["Vial", "VialTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VialMiddlewareTests",
            dependencies: ["VialMiddleware", "VialTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VialBlueprintsTests",
            dependencies: ["VialBlueprints", "VialApp", "VialTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VialAppTests",
            dependencies: ["VialApp", "VialTesting", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "VialApp", "VialBlueprints", "VialExamples", "Vial", "VialTesting",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
