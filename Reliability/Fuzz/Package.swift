// swift-tools-version:6.1
// libFuzzer targets for Vial's parsers, outside the main package (a fuzzing build instruments
// every module and links libFuzzer). Built and run by Reliability/fuzz.sh:
//   swift build -c release -Xswiftc -sanitize=fuzzer --product vial-fuzz
//   VIAL_FUZZ_TARGET=json .build/release/vial-fuzz -runs=1000000 corpus/json
import PackageDescription

let package = Package(
    name: "vial-fuzz",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "vial-fuzz", targets: ["VialFuzz"])],
    dependencies: [.package(name: "Vial", path: "../..")],
    targets: [
        .executableTarget(
            name: "VialFuzz",
            dependencies: [
                .product(name: "Vial", package: "Vial"),
                .product(name: "VialMiddleware", package: "Vial"),
                .product(name: "VialBlueprints", package: "Vial"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)],
            // gold fails on the instrumented objects ("internal error in format_file_lineno").
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
        ),
    ]
)
