// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// Fuzz/run.sh builds with MERKISTO_LIBFUZZER=1: our modules get libFuzzer's coverage and AddressSanitizer,
/// and merkisto-fuzz becomes the libFuzzer binary. (Not `-Xswiftc`: that would also build the OpenAPI
/// generator, a build tool, with libFuzzer's `main`.)
let libFuzzer = ProcessInfo.processInfo.environment["MERKISTO_LIBFUZZER"] == "1"

/// Upcoming-feature settings applied to every Swift target (STYLE.md §12).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
] + (libFuzzer ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : [])

/// Our C targets get the same coverage and AddressSanitizer when fuzzing (their vector loads stay inside
/// the input only if their bounds are right).
let cSettings: [CSetting] = libFuzzer ? [.unsafeFlags(["-fsanitize=fuzzer-no-link,address"])] : []

let package = Package(
    name: "Merkisto",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "merkisto", targets: ["merkisto"]),
        .library(name: "Basics", targets: ["Basics"]),
        .library(name: "Definitions", targets: ["Definitions"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Credentials", targets: ["Credentials"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "MerkistoCore", targets: ["MerkistoCore"]),
        // The fuzz targets' inputs and checks, for the libFuzzer binary in Fuzz/ and the replay tests.
        .library(name: "FuzzHarness", targets: ["FuzzHarness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // PostgreSQL, for several servers on one database.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Counters and histograms, served at /metrics in Prometheus's format.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Zip archives: a client's download of everything about them.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // Only the tests use MultipartKit (its 4.7.1 parser traps on some bytes; see docs/decisions/0005).
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
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
        // QR codes for the clients' one-time sign-in links.
        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        // glibc's mallopt, for the lint command's allocator setting.
        .systemLibrary(name: "CMalloc"),
        .target(
            name: "MerkistoSchemas",
            path: "Schemas",
            exclude: ["README.md", "json"],
            resources: [.copy("xsd")],
            swiftSettings: swiftSettings
        ),
        // Small value types every module shares: instants, JSON values.
        .target(
            name: "Basics",
            dependencies: ["CJSONSkip"],
            swiftSettings: swiftSettings
        ),
        // JSON values the reader does not keep (and the strings it keeps) checked in C, strings 32 bytes at a
        // time with SSE2 (decision 0014).
        .target(name: "CJSONSkip", path: "Sources/CJSONSkip", cSettings: cSettings),
        // JSON-LD over the bundled contexts: expansion and RDF, for Data Integrity proofs.
        .target(
            name: "JSONLD",
            dependencies: ["Basics", "RDF"],
            resources: [.copy("Contexts")],
            swiftSettings: swiftSettings
        ),
        // RDF terms, N-Quads and RDF Dataset Canonicalization (RDFC-1.0), for Data Integrity proofs.
        .target(
            name: "RDF",
            dependencies: ["Basics", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Definitions",
            dependencies: ["Basics", "CLibXML2", "MerkistoSchemas"],
            resources: [.copy("Resources/strings.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Evaluation",
            dependencies: [
                "Basics",
                "Definitions",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Base64url decoded sixteen characters at a time (SSSE3) for verifying tokens.
        .target(name: "CBase64URL", path: "Sources/CBase64URL", cSettings: cSettings),
        .target(
            name: "Credentials",
            dependencies: [
                "Basics",
                "CBase64URL",
                "Definitions",
                "Evaluation",
                "JSONLD",
                "RDF",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Storage",
            dependencies: [
                "Basics",
                "Definitions",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C interface, for the write-ahead-log hook that schedules checkpoints.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The application core: every use case, over typed values; the CLI and the server call it.
        .target(
            name: "MerkistoCore",
            dependencies: [
                "Basics", "Definitions", "Evaluation", "Credentials", "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
                // Passwords are hashed with bcrypt.
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                // Uploaded definition sets may be gzip'd tar archives.
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Resources/errors.json"), .copy("Resources/archive.json")],
            swiftSettings: swiftSettings
        ),
        // What the front ends show people, rendered from the core's results: the progress report as text, JSON
        // and HTML, and QR codes.
        .target(
            name: "Rendering",
            dependencies: ["Basics", "Definitions", "Evaluation", "Storage", "MerkistoCore", "CQREncode"],
            swiftSettings: swiftSettings
        ),
        // The HTTP front end: hosted documents, the JSON API, sign-in (Hummingbird 2).
        .target(
            name: "Server",
            dependencies: [
                "Basics", "Credentials", "Definitions", "Evaluation", "MerkistoCore", "Rendering", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                // The web pages' Mustache templates.
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // openapi.json is the API's contract: the server's interface is generated from it, and it is
            // served as it is at /openapi.json. The pages' templates, texts and style sheet.
            resources: [.copy("openapi.json"), .copy("Pages/Templates"), .copy("Pages/pages.json"), .copy("Pages/Assets")],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // What each fuzz target does with an input (Fuzz/ builds it with libFuzzer; the tests replay the
        // corpus and the regressions through it).
        .target(
            name: "FuzzHarness",
            dependencies: [
                "Basics", "Credentials", "Definitions", "Evaluation", "JSONLD", "RDF", "MerkistoCore", "Server", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fuzz binary (with -DMERKISTO_LIBFUZZER and libFuzzer, see Fuzz/run.sh), or a replayer of inputs.
        .executableTarget(
            name: "merkisto-fuzz",
            dependencies: ["FuzzHarness"],
            swiftSettings: swiftSettings + (libFuzzer ? [.define("MERKISTO_LIBFUZZER")] : []),
            linkerSettings: libFuzzer ? [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])] : []
        ),
        // The shipped definitions and example clients, carried with the program so that `serve --demo`
        // runs from any folder (BadgeDefinitions/ and examples/clients/ at the top are links to these).
        .target(
            name: "DemoContent",
            resources: [.copy("BadgeDefinitions"), .copy("clients")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "merkisto",
            dependencies: [
                "DemoContent",
                "Basics",
                "Definitions",
                "Evaluation",
                "Credentials",
                "Storage",
                "MerkistoCore",
                "CMalloc",
                "Rendering",
                "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fixed workloads whose instruction counts CI guards under valgrind (benchmarks/callgrind.py). Its
        // main is synchronous: valgrind 3.19 (Debian 12) cannot run a process whose main thread is parked in
        // dispatch_main, as an async main's is (it writes into the read-only signal mask of sigsuspend).
        .executableTarget(
            name: "merkisto-workload",
            dependencies: ["DemoContent", "Basics", "Definitions", "Evaluation", "Credentials", "Storage", "MerkistoCore", "Server"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RDFTests",
            dependencies: ["RDF", "JSONLD", "Basics"],
            exclude: ["rdf-canon"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DefinitionsTests",
            dependencies: ["Basics", "Definitions"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Basics", "Evaluation", "Definitions", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CredentialsTests",
            dependencies: [
                "Basics", "CJSONSkip", "Credentials", "Evaluation", "Definitions", "Storage", "JSONLD", "RDF",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Basics", "Credentials", "Definitions", "Storage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Basics", "Credentials", "Definitions", "Evaluation", "MerkistoCore", "Rendering", "Server", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // swift-mustache's own escaping checks ours; MultipartKit's parser checks our multipart reader.
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MerkistoCoreTests",
            dependencies: [
                "Basics", "Credentials", "Definitions", "Evaluation", "MerkistoCore", "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FuzzRegressionTests",
            dependencies: ["FuzzHarness"],
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
