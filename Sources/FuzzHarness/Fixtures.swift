import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import MerkistoCore
import Storage

/// What the targets read inputs against: the shipped definitions, and a demo world (an in-memory store
/// with keys, users, client records and issued credentials in every format).
enum Fixtures {
    /// The repository: `MERKISTO_REPOSITORY`, or where this file was compiled.
    static let repository: String = {
        if let path = ProcessInfo.processInfo.environment["MERKISTO_REPOSITORY"], !path.isEmpty { return path }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    static let definitionsDirectory = repository + "/BadgeDefinitions"

    static let compiled: CompiledDefinitions = {
        guard let result = try? DefinitionLoader.load(paths: [definitionsDirectory]), !result.hasErrors else {
            fatalError("fuzz: the shipped definitions in \(definitionsDirectory) do not load (set MERKISTO_REPOSITORY)")
        }
        return CompiledDefinitions(result.definitions)
    }()

    /// A fixed instant, so that runs do not depend on the day.
    static let now = try! Timestamp.parse("2026-11-22T12:00:00+02:00").get()

    /// The demo world, made once.
    static func world() async throws -> World {
        try await worldOnce.value
    }

    private static let worldOnce = Once { try await World() }

    struct World: Sendable {
        let service: BadgeService
        let seed: DemoSeed
        /// One credential of each format, as issued.
        let credentials: [IssuedCredential]
        /// Values for the placeholders of request inputs (see ``RequestTarget``).
        let placeholders: [String: String]

        init() async throws {
            let directory = NSTemporaryDirectory() + "merkisto-fuzz-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            service = BadgeService(
                store: MemoryStore(), compiled: Fixtures.compiled, keys: KeyStore(directory: directory + "/keys"),
                baseURL: "http://127.0.0.1:8080/", clock: { Fixtures.now }, passwordCost: 4)
            let folder = Fixtures.repository + "/examples/clients"
            let examples = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.map {
                ($0, [UInt8](FileManager.default.contents(atPath: folder + "/" + $0) ?? Data()))
            }
            seed = try await service.seedDemo(examples: examples, by: "fuzz")
            var credentials = seed.credentials
            if let first = seed.credentials.first {
                credentials.append(try await service.issue(client: first.client, badge: first.badge, format: .ob3LDP, as: .console))
            }
            self.credentials = credentials
            let instructor = try await service.signInNow(user: seed.instructor, password: seed.passwords[seed.instructor] ?? "", address: nil)
            let client = try await service.signInNow(user: seed.clientUser, password: seed.passwords[seed.clientUser] ?? "", address: nil)
            let token = try await service.createToken(for: seed.admin, name: "fuzz", scopes: APIToken.Scope.allCases, by: "fuzz").text
            placeholders = [
                "{{session}}": instructor.token, "{{csrf}}": instructor.session.csrf,
                "{{client-session}}": client.token, "{{client-csrf}}": client.session.csrf,
                "{{token}}": token, "{{client}}": seed.client ?? "", "{{credential}}": credentials.first?.id ?? "",
            ]
        }
    }
}

/// A value made once, on first use, by an async function; later callers wait for the same result.
final class Once<Value: Sendable>: @unchecked Sendable {
    // `lock` guards `task`.
    private let lock = NSLock()
    private var task: Task<Value, any Error>?
    private let make: @Sendable () async throws -> Value

    init(_ make: @escaping @Sendable () async throws -> Value) {
        self.make = make
    }

    var value: Value {
        get async throws {
            let task = lock.withLock {
                if let task = self.task { return task }
                let task = Task { try await make() }
                self.task = task
                return task
            }
            return try await task.value
        }
    }
}
