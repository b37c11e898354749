// swift-tools-version: 6.1
import PackageDescription

/// Upcoming-feature settings applied to every Swift target (STYLE.md §12).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Merkisto",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "merkisto", targets: ["merkisto"]),
        .library(name: "Definitions", targets: ["Definitions"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Credentials", targets: ["Credentials"]),
        .library(name: "Storage", targets: ["Storage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Only the tests use jwt-kit: an independent JOSE implementation that must accept what we sign
        // and sign what we accept.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .target(
            name: "MerkistoSchemas",
            path: "Schemas",
            exclude: ["README.md", "json"],
            resources: [.copy("xsd")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Definitions",
            dependencies: ["CLibXML2", "MerkistoSchemas"],
            resources: [.copy("Resources/strings.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Evaluation",
            dependencies: [
                "Definitions",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Credentials",
            dependencies: [
                "Definitions",
                "Evaluation",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Storage",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "merkisto",
            dependencies: [
                "Definitions",
                "Evaluation",
                "Credentials",
                "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefinitionsTests",
            dependencies: ["Definitions"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "Definitions"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CredentialsTests",
            dependencies: [
                "Credentials", "Evaluation", "Definitions", "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MerkistoCLITests",
            dependencies: ["merkisto"],
            exclude: ["Snapshots"],
            swiftSettings: swiftSettings
        ),
    ]
)
