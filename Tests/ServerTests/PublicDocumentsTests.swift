import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MerkistoCore
import NIOCore
import Server
import Storage
import Testing

/// A demo service over a SQLite store in a temporary folder, served under `base`.
struct DemoWorld {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let compiled: CompiledDefinitions = {
        let result = try! DefinitionLoader.load(paths: [repository + "/BadgeDefinitions"])
        precondition(!result.hasErrors)
        return CompiledDefinitions(result.definitions)
    }()
    static let now = try! Timestamp.parse("2026-11-22T12:00:00+02:00").get()

    let directory: String
    let service: BadgeService
    let seed: DemoSeed
    let base: String

    init(base: String = "http://127.0.0.1:8080/") async throws {
        directory = NSTemporaryDirectory() + "merkisto-server-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.base = base
        service = BadgeService(
            store: try SQLiteStore(path: directory + "/merkisto.sqlite"), compiled: Self.compiled, keys: KeyStore(directory: directory + "/keys"),
            baseURL: base, clock: { Self.now }, passwordCost: 4)
        let folder = Self.repository + "/examples/clients"
        let examples = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.map {
            ($0, [UInt8](FileManager.default.contents(atPath: folder + "/" + $0)!))
        }
        seed = try await service.seedDemo(examples: examples, by: "test")
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: directory) }

    /// The server over the world (definitions reloadable from `definitions` when given).
    func application(definitions: String? = nil, logger: Logger = Logger(label: "test")) async throws -> MerkistoServer.App {
        // Revocations made by the test straight in the store are read on every request.
        try await MerkistoServer.application(
            service: service, definitions: definitions, configuration: ServerConfiguration(revocationCheck: .zero), logger: logger)
    }

    /// Every file `merkisto publish` writes now, by relative path.
    func published() async throws -> [String: Data] {
        let out = directory + "/published-" + UUID().uuidString
        let (_, paths) = try await service.publish(to: out)
        return Dictionary(uniqueKeysWithValues: paths.map { ($0, FileManager.default.contents(atPath: out + "/" + $0)!) })
    }
}

@Suite("Public documents")
struct PublicDocumentsTests {
    @Test("the demo has clients with pathways, users of every role, and credentials of every kind")
    func demo() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        #expect(world.seed.clients.count == 6)
        #expect(try await world.service.clientSummaries().allSatisfy { $0.phase != nil })
        await #expect(Set(try world.service.users().map(\.role)) == [.admin, .instructor, .client])
        #expect(Set(world.seed.credentials.map(\.format)) == [.ob3JWT, .ob2Hosted, .ob2Signed])
        await #expect(throws: CoreError.self) { try await world.service.seedDemo(examples: [], by: "test") }
    }

    /// Each test runs against the router alone and against the running server, where public documents are
    /// answered before the router (HostedFastPath): both must answer alike.
    static let setups = [false, true]

    @Test("every document `merkisto publish` writes is served at its URL with the same bytes, type and a validator", arguments: setups)
    func sameBytesAsPublish(live: Bool) async throws {
        let world = try await DemoWorld(base: "https://badges.example.org/merkisto/")
        defer { world.cleanup() }
        let published = try await world.published()
        #expect(published.keys.contains { $0.hasPrefix("ob2/assertions/") })
        try await world.application().test(live ? .live : .router) { client in
            for (path, bytes) in published {
                try await client.execute(uri: "/merkisto/" + path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(Data(response.body.readableBytesView) == bytes, "\(path)")
                    if live {
                        #expect(response.headers[.contentLength] == String(bytes.count))
                        #expect(response.headers[.server] == "merkisto")
                        #expect(response.headers[.date].flatMap(HTTPDateFormat.parse) != nil, "\(response.headers)")
                    }
                    let type = path.hasSuffix(".json") ? "application/json" : path.hasSuffix(".png") ? "image/png" : "image/svg+xml"
                    #expect(response.headers[.contentType] == type, "\(path)")
                    #expect(response.headers[.eTag]?.hasPrefix("\"") == true)
                    #expect(response.headers[.cacheControl] != nil)
                    #expect(response.headers[.accessControlAllowOrigin] == "*")
                }
            }
            // Outside the base path, nothing.
            try await client.execute(uri: "/" + published.keys.first!, method: .get) { response in #expect(response.status == .notFound) }
        }
    }

    @Test("a validator the client already has gets 304 Not Modified, without a body", arguments: setups)
    func conditionalRequests(live: Bool) async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        try await world.application().test(live ? .live : .router) { client in
            let path = "/keys/jwks.json"
            let etag = try await client.execute(uri: path, method: .get) { response in try #require(response.headers[.eTag]) }
            try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"other\", " + etag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.eTag] == etag)
            }
            try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"other\""]) { response in #expect(response.status == .ok) }
            // HEAD: the same status and headers, the length of the body, no body.
            let length = try await client.execute(uri: path, method: .get) { response in response.body.readableBytes }
            try await client.execute(uri: path, method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == etag)
                #expect(response.headers[.contentLength] == String(length))
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test("after a revocation, the hosted assertion answers 410 Gone and both lists name it, as the published files do", arguments: setups)
    func revocation(live: Bool) async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let hosted = try #require(world.seed.credentials.first { $0.format == .ob2Hosted })
        let signed = try #require(world.seed.credentials.first { $0.format == .ob2Signed })
        let path = String(hosted.id.dropFirst(world.base.count))
        let application = try await world.application()
        try await application.test(live ? .live : .router) { client in
            try await client.execute(uri: "/" + path, method: .get) { response in
                #expect(response.status == .ok)
                #expect(Data(response.body.readableBytesView) == Data(hosted.bytes))
            }
            for credential in [hosted, signed] { _ = try await world.service.ledger.revoke(credential: credential.id, reason: "issued by mistake", by: "test") }
            let published = try await world.published()
            try await client.execute(uri: "/" + path, method: .get) { response in
                #expect(response.status == .gone)
                #expect(Data(response.body.readableBytesView) == published[path])
                // Revoked, and nothing of why: the reason is staff's free text and never public.
                #expect(String(decoding: response.body.readableBytesView, as: UTF8.self).contains("\"revoked\": true"))
                #expect(!String(decoding: response.body.readableBytesView, as: UTF8.self).contains("issued by mistake"))
            }
            for list in ["status/revocations.json", "ob2/revocations.json"] {
                try await client.execute(uri: "/" + list, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(Data(response.body.readableBytesView) == published[list])
                    #expect(String(decoding: response.body.readableBytesView, as: UTF8.self).contains(signed.id))
                    #expect(!String(decoding: response.body.readableBytesView, as: UTF8.self).contains("issued by mistake"))
                    #expect(response.headers[.cacheControl] == "no-cache")
                }
            }
        }
    }

    @Test("an OB 3.0 credential is served by its id as text/plain; unknown ids and addresses are problem documents", arguments: setups)
    func credentialsByID(live: Bool) async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let token = try #require(world.seed.credentials.first { $0.format == .ob3JWT })
        let uuid = String(token.id.dropFirst("urn:uuid:".count))
        try await world.application().test(live ? .live : .router) { client in
            try await client.execute(uri: "/credentials/" + uuid, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(response.headers[.cacheControl] == "private, no-store")
                #expect(Data(response.body.readableBytesView) == Data(token.bytes))
            }
            let unknown = "01900000-0000-7000-8000-000000000000"
            for uri in ["/credentials/" + unknown, "/credentials/" + uuid.uppercased() + "x", "/credentials/../keys/jwks.json", "/nothing-here"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(response.headers[.contentType] == "application/problem+json", "\(uri)")
                }
            }
            // A hosted OB 2.0 address never serves a credential of another kind.
            try await client.execute(uri: "/ob2/assertions/\(uuid).json", method: .get) { response in #expect(response.status == .notFound) }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(decoding: response.body.readableBytesView, as: UTF8.self) == "ok\n")
            }
        }
    }
}
