// swift-tools-version:6.1
// A package outside Vial that depends on it by path, as any user's package would by URL:
// a `notes` plugin (its own table, settings, job, command) and `notes-app`, which installs
// the bundled auth, jobs and tasks plugins next to it.
import PackageDescription

let package = Package(
    name: "notes-plugin",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "NotesPlugin", targets: ["NotesPlugin"]),
        .executable(name: "notes-app", targets: ["NotesApp"]),
    ],
    dependencies: [
        // In your own package: .package(url: "https://github.com/<owner>/vial.git", from: "1.0.0")
        .package(name: "Vial", path: "../.."),
    ],
    targets: [
        .target(
            name: "NotesPlugin",
            dependencies: [
                .product(name: "Vial", package: "Vial"),
                .product(name: "VialApp", package: "Vial"),
                .product(name: "VialBlueprints", package: "Vial"),
                .product(name: "VialMiddleware", package: "Vial"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "NotesApp",
            dependencies: [
                "NotesPlugin", .product(name: "VialApp", package: "Vial"), .product(name: "VialBlueprints", package: "Vial"),
            ],
            path: "Sources/notes-app",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The README's example main.swift, kept compiling.
        .executableTarget(
            name: "ReadmeApp",
            dependencies: [.product(name: "VialApp", package: "Vial"), .product(name: "VialBlueprints", package: "Vial")],
            path: "Sources/readme-app",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "NotesPluginTests",
            dependencies: [
                "NotesPlugin", .product(name: "Vial", package: "Vial"), .product(name: "VialApp", package: "Vial"),
                .product(name: "VialBlueprints", package: "Vial"), .product(name: "VialTesting", package: "Vial"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
