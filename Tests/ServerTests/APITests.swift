import Basics
import Credentials
import Definitions
import Foundation
import Hummingbird
import Logging
import Evaluation
import HummingbirdTesting
import MerkistoCore
import Rendering
import NIOCore
import Server
import Storage
import Testing

/// Who asks, in the role × route matrix.
enum Asker: String, CaseIterable, CustomTestStringConvertible {
    case anonymous, client, otherClient, instructor, admin
    var testDescription: String { rawValue }
}

/// The demo world with one API token per asker: the client and another client each see their own record;
/// the instructor is assigned to the demo unit (every demo client is in it).
struct APIWorld {
    let world: DemoWorld
    let tokens: [Asker: String]
    /// The client the client user may see, and the other client's.
    let own: String
    let other: String

    init() async throws {
        let world = try await DemoWorld()
        self.world = world
        let service = world.service
        let seed = world.seed
        guard let own = seed.client, let other = seed.clients.first(where: { $0 != seed.client }) else {
            throw CoreError(.notFound, "the demo has no client user")
        }
        self.own = own
        self.other = other
        try await service.addUser(id: "toinen-asiakas", role: .client, client: other, by: "test")
        tokens = await [
            .client: try service.createToken(for: world.seed.clientUser, name: "test", scopes: [.read], by: "test").text,
            .otherClient: try service.createToken(for: "toinen-asiakas", name: "test", scopes: [.read], by: "test").text,
            .instructor: try service.createToken(for: world.seed.instructor, name: "test", scopes: [.read, .record, .award], by: "test").text,
            .admin: try service.createToken(for: world.seed.admin, name: "test", scopes: APIToken.Scope.allCases, by: "test").text,
        ]
    }

    func headers(_ asker: Asker, json: Bool = false) -> HTTPFields {
        var fields: HTTPFields = [:]
        if let token = tokens[asker] { fields[.authorization] = "Bearer " + token }
        if json { fields[.contentType] = "application/json" }
        return fields
    }
}

func body(_ value: JSONValue) -> ByteBuffer { ByteBuffer(bytes: value.jsonBytes()) }

/// The response body as Foundation reads it (an independent JSON reader).
func json(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
}

@Suite("JSON API")
struct APITests {
    /// Every route, for every asker, with the exact status expected.
    @Test("role × route: every route answers each asker with exactly the expected status", arguments: Asker.allCases)
    func matrix(asker: Asker) async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let own = api.own
        let token = try #require(api.world.seed.credentials.first { $0.client == own && $0.format == .ob3JWT })
        let earned = token.badge
        // A credential of the client's for each asker to try to revoke (one each, so that a success does not
        // turn the next asker's attempt into a conflict).
        // Earned and held no more (one valid award per badge and format), so that staff may award it again.
        for credential in try await api.world.service.clientFile(own).credentials where credential.badge == earned && credential.format.hasStatus {
            _ = try await api.world.service.ledger.revoke(credential: credential.id, reason: "test", by: "test")
        }
        let mine = try await api.world.service.issue(client: own, badge: earned, format: .ob3LDP, by: "test")
        let spare = try await api.world.service.createToken(for: api.world.seed.instructor, name: "spare", scopes: [.read], by: "test").token
        let uuid = String(token.id.dropFirst("urn:uuid:".count))
        let hosted = try #require(api.world.seed.credentials.first { $0.format == .ob2Hosted })
        let expected: [(method: HTTPRequest.Method, uri: String, body: JSONValue?, status: [Asker: HTTPResponse.Status])] = [
            (.get, "/api/v1/me", nil, [.anonymous: .unauthorized, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/api/v1/me/export?lang=sv", nil, [.anonymous: .unauthorized, .client: .ok, .otherClient: .ok, .instructor: .forbidden, .admin: .forbidden]),
            (.get, "/api/v1/clients", nil, [.anonymous: .unauthorized, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/api/v1/clients/\(own)", nil, [.anonymous: .unauthorized, .client: .ok, .otherClient: .notFound, .instructor: .ok, .admin: .ok]),
            (.get, "/api/v1/clients/ei-ketaan", nil, [.anonymous: .unauthorized, .client: .notFound, .otherClient: .notFound, .instructor: .notFound, .admin: .notFound]),
            (.post, "/api/v1/clients/\(own)/credentials", ["badge": .string(earned)],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .created, .admin: .created]),
            // The same badge and format again: the client holds it.
            (.post, "/api/v1/clients/\(own)/credentials", ["badge": .string(earned)],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .conflict, .admin: .conflict]),
            // The client's own share link, on and off (before the credential is revoked below).
            (.post, "/api/v1/me/credentials/\(mine.pageID)/share", nil,
             [.anonymous: .unauthorized, .client: .created, .otherClient: .notFound, .instructor: .forbidden, .admin: .forbidden]),
            (.delete, "/api/v1/me/credentials/\(mine.pageID)/share", nil,
             [.anonymous: .unauthorized, .client: .noContent, .otherClient: .notFound, .instructor: .forbidden, .admin: .forbidden]),
            (.post, "/api/v1/suspensions", ["credential": .string(mine.id), "reason": "checking"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .created, .admin: .created]),
            (.post, "/api/v1/suspensions/lift", ["credential": .string(mine.id)],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .noContent, .admin: .noContent]),
            (.post, "/api/v1/revocations", ["credential": .string(mine.id), "reason": "issued by mistake"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .created, .admin: .created]),
            (.get, "/api/v1/audit", nil, [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.get, "/api/v1/clients/\(own)/evaluation?lang=sv", nil, [.anonymous: .unauthorized, .client: .ok, .otherClient: .notFound, .instructor: .ok, .admin: .ok]),
            (.get, "/api/v1/clients/\(own)/report", nil, [.anonymous: .unauthorized, .client: .ok, .otherClient: .notFound, .instructor: .ok, .admin: .ok]),
            (.post, "/api/v1/clients/\(own)/assessments",
             ["id": "api-1", "assessedAt": "2026-11-20T10:00:00+02:00", "evidence": "observed", "levels": [["competence": "1.1", "level": 3]]],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .created, .admin: .created]),
            // A confirmation the badge asks an instructor for; then withdrawn again.
            (.post, "/api/v1/clients/\(own)/attestations", ["badge": "tyonhaku-verkossa"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .created, .admin: .created]),
            (.post, "/api/v1/clients/\(own)/attestations", ["badge": "tyonhaku-verkossa"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .conflict, .admin: .conflict]),
            (.delete, "/api/v1/clients/\(own)/attestations/tyonhaku-verkossa", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .noContent, .admin: .noContent]),
            (.delete, "/api/v1/clients/\(own)/attestations/tyonhaku-verkossa", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .notFound, .admin: .notFound]),
            (.post, "/api/v1/clients/\(own)/pathway/phase", ["phase": "aktivointisuunnitelma"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .ok, .admin: .ok]),
            (.post, "/api/v1/clients/\(own)/pathway/outcome", ["outcome": "opinnot"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .ok, .admin: .ok]),
            (.post, "/api/v1/clients/\(own)/pathway", [:],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .created, .admin: .created]),
            (.post, "/api/v1/clients", ["id": "uusi-asiakas", "unit": "demo-paja"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .created, .admin: .created]),
            // No id: Merkisto makes the pseudonym.
            (.post, "/api/v1/clients", ["unit": "demo-paja"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .created, .admin: .created]),
            (.post, "/api/v1/credentials/bulk", ["badge": .string(earned)],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .created, .admin: .created]),
            (.get, "/api/v1/definitions", nil, [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.post, "/api/v1/definitions/dry-run", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.post, "/api/v1/definitions/reload", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.get, "/api/v1/definitions/versions", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            // Without an archive: refused before it is read, or (for an admin) as missing.
            (.post, "/api/v1/definitions/versions", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .badRequest]),
            (.post, "/api/v1/definitions/versions/\(api.world.service.compiled.digest)/dry-run", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.post, "/api/v1/definitions/versions/\(api.world.service.compiled.digest)/activate", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.get, "/api/v1/keys", nil, [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.post, "/api/v1/keys", ["algorithm": "EdDSA"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .created]),
            (.get, "/api/v1/users", nil, [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.get, "/api/v1/clients/\(own)/export", nil, [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            // The hand-over package: the client their own; staff only saying the client agreed.
            (.post, "/api/v1/clients/\(own)/handover", ["clientAgreed": true],
             [.anonymous: .unauthorized, .client: .ok, .otherClient: .notFound, .instructor: .ok, .admin: .ok]),
            (.post, "/api/v1/clients/\(own)/handover", [:],
             [.anonymous: .unauthorized, .client: .ok, .otherClient: .notFound, .instructor: .badRequest, .admin: .badRequest]),
            (.post, "/api/v1/clients/import", [["client": "tuotu-matriisi"]],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.post, "/api/v1/clients/\(api.other)/erase", ["confirm": "not-the-id"],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .badRequest]),
            (.get, "/api/v1/tokens", nil, [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
            (.post, "/api/v1/tokens", ["user": .string(api.world.seed.instructor), "name": "portaali", "scopes": ["read"]],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .created]),
            (.delete, "/api/v1/tokens/\(spare.id)", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .noContent]),
            (.post, "/api/v1/users", ["id": "uusi-ohjaaja", "role": "instructor", "units": ["demo-paja"]],
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .created]),
            // A one-time code acts as the client: staff make one signed in themselves, never with a token.
            (.post, "/api/v1/users/\(api.world.seed.clientUser)/signin-codes", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .forbidden]),
            (.post, "/api/v1/session", ["user": "demo-admin", "password": "not-the-password"],
             [.anonymous: .unauthorized, .client: .unauthorized, .otherClient: .unauthorized, .instructor: .unauthorized, .admin: .unauthorized]),
            (.post, "/api/v1/session/code", ["code": "ABCD-EFGH"],
             [.anonymous: .unauthorized, .client: .unauthorized, .otherClient: .unauthorized, .instructor: .unauthorized, .admin: .unauthorized]),
            (.delete, "/api/v1/session", nil, [.anonymous: .unauthorized, .client: .noContent, .otherClient: .noContent, .instructor: .noContent, .admin: .noContent]),
            (.get, "/openapi.json", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/issuers/esimerkkialue.json", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/achievements/\(earned).json", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/ob2/badges/\(earned).json", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/status/revocations.json", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/ob2/revocations.json", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/" + hosted.id.dropFirst(api.world.base.count), nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/healthz", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/readyz", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/keys/jwks.json", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.get, "/credentials/\(uuid)", nil, [.anonymous: .ok, .client: .ok, .otherClient: .ok, .instructor: .ok, .admin: .ok]),
            (.post, "/api/v1/keys/demo-rs256/retire", nil,
             [.anonymous: .unauthorized, .client: .forbidden, .otherClient: .forbidden, .instructor: .forbidden, .admin: .ok]),
        ]
        // Every operation of the OpenAPI document is in the matrix.
        let contract = try JSONSerialization.jsonObject(
            with: try Data(contentsOf: URL(fileURLWithPath: DemoWorld.repository + "/Sources/Server/openapi.json"))) as? [String: Any]
        let paths = try #require(contract?["paths"] as? [String: [String: Any]])
        for (template, operations) in paths {
            let pattern = try Regex("^/api/v1" + template.replacing(/\{[a-z]+\}/, with: "[^/?]+") + "(\\?.*)?$")
            for method in operations.keys {
                #expect(expected.contains { $0.method.rawValue.lowercased() == method && $0.uri.wholeMatch(of: pattern) != nil }, "\(method) \(template)")
            }
        }
        let definitions = try AdministrationTests.definitionsCopy(in: api.world.directory)
        try await api.world.application(definitions: definitions).test(.router) { client in
            for route in expected {
                let status = try #require(route.status[asker])
                try await client.execute(uri: route.uri, method: route.method, headers: api.headers(asker, json: route.body != nil), body: route.body.map(body)) {
                    response in
                    #expect(response.status == status, "\(route.method) \(route.uri) as \(asker.rawValue)")
                    if response.status.code >= 400, route.uri.hasPrefix("/api/") {
                        #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true, "\(route.uri)")
                    }
                }
            }
        }
    }

    @Test("each asker lists exactly the clients they may read")
    func visibleClients() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        try await api.world.application().test(.router) { client in
            for (asker, visible) in [(Asker.client, [api.own]), (.otherClient, [api.other]), (.instructor, api.world.seed.clients.sorted()), (.admin, api.world.seed.clients.sorted())] {
                try await client.execute(uri: "/api/v1/clients", method: .get, headers: api.headers(asker)) { response throws in
                    let ids = (try json(response)["clients"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                    #expect(ids == visible, "\(asker.rawValue)")
                }
            }
        }
    }

    @Test("the client list comes a page at a time: Link and next lead through every client once, with the filters kept; bad pages are problems")
    func clientPages() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let all = api.world.seed.clients.sorted()
        try await api.world.application().test(.router) { client in
            var seen: [String] = []
            var uri: String? = "/api/v1/clients?limit=2"
            while let next = uri {
                uri = nil
                try await client.execute(uri: next, method: .get, headers: api.headers(.admin)) { response throws in
                    #expect(response.status == .ok)
                    let body = try json(response)
                    let ids = (body["clients"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                    #expect(ids.count <= 2)
                    seen += ids
                    #expect(body["total"] as? Int == all.count && body["totalExact"] as? Bool == true)
                    if let link = response.headers[.init("Link")!] {
                        #expect(link.hasSuffix(">; rel=\"next\"") && link.contains("limit=2"), "\(link)")
                        uri = String(link.dropFirst().prefix { $0 != ">" })
                        #expect(uri?.contains("after=" + (body["next"] as? String ?? "-")) == true)
                    } else {
                        #expect(body["next"] == nil)
                    }
                }
            }
            #expect(seen == all)
            // A prefix, and decision-end order with the overdue filter (the demo's clients are all in an open period).
            let prefix = String(all[0].prefix(all[0].count - 1))
            try await client.execute(uri: "/api/v1/clients?q=" + prefix, method: .get, headers: api.headers(.instructor)) { response throws in
                let ids = (try json(response)["clients"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                #expect(ids == all.filter { $0.hasPrefix(prefix) })
            }
            try await client.execute(uri: "/api/v1/clients?order=decisionEnd&limit=200", method: .get, headers: api.headers(.admin)) { response throws in
                let rows = try json(response)["clients"] as? [[String: Any]] ?? []
                let ends = rows.map { $0["decisionEnd"] as? String ?? "~" }
                #expect(rows.count == all.count && ends == ends.sorted())
            }
            for bad in ["limit=0", "limit=201", "after=x~y&order=decisionEnd", "order=name"] {
                try await client.execute(uri: "/api/v1/clients?" + bad, method: .get, headers: api.headers(.admin)) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true, "\(bad)")
                }
            }
            // An instructor asking for a unit not theirs sees no one.
            try await client.execute(uri: "/api/v1/clients?unit=no-such-unit", method: .get, headers: api.headers(.instructor)) { response throws in
                #expect((try json(response)["clients"] as? [[String: Any]])?.isEmpty == true)
            }
        }
    }

    @Test("tokens and kept definition sets come a page at a time, newest first: Link and next lead through each once; bad pages are problems")
    func tokenAndVersionPages() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        for number in 0..<3 {
            try await api.world.service.store.addDefinitionsVersion(
                DefinitionsVersion(digest: "d\(number)", files: 1, uploadedBy: "test", uploadedAt: api.world.service.now), archive: [], by: "test",
                at: api.world.service.now)
        }
        let tokens = try await api.world.service.tokens().map(\.id)
        let versions = try await api.world.service.store.definitionsVersions().map(\.digest)
        #expect(tokens.count > 2 && versions.count > 2)
        try await api.world.application().test(.router) { client in
            for (path, field, key, all) in [("/api/v1/tokens", "tokens", "id", tokens), ("/api/v1/definitions/versions", "versions", "digest", versions)] {
                var seen: [String] = []
                var uri: String? = path + "?limit=2"
                while let next = uri {
                    uri = nil
                    try await client.execute(uri: next, method: .get, headers: api.headers(.admin)) { response throws in
                        #expect(response.status == .ok)
                        let body = try json(response)
                        let ids = (body[field] as? [[String: Any]])?.compactMap { $0[key] as? String } ?? []
                        #expect(ids.count <= 2)
                        seen += ids
                        if let link = response.headers[.init("Link")!] {
                            #expect(link.hasPrefix("<" + path + "?after=") && link.hasSuffix("&limit=2>; rel=\"next\""), "\(link)")
                            uri = String(link.dropFirst().prefix { $0 != ">" })
                            #expect(uri?.contains("after=" + (body["next"] as? String ?? "-")) == true)
                        } else {
                            #expect(body["next"] == nil)
                        }
                    }
                }
                #expect(seen == all.reversed(), "\(path)")
                for bad in ["limit=0", "limit=201"] {
                    try await client.execute(uri: path + "?" + bad, method: .get, headers: api.headers(.admin)) { response in
                        #expect(response.status == .badRequest, "\(path) \(bad)")
                    }
                }
            }
        }
    }

    @Test("a revocation through the API is durable, audited under the acting user and served at once")
    func revocationThroughTheAPI() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let hosted = try #require(api.world.seed.credentials.first { $0.format == .ob2Hosted })
        // The server that serves it reads other processes' revocations only now and then: the API tells it.
        let application = try await MerkistoServer.application(service: api.world.service, configuration: ServerConfiguration(revocationCheck: .seconds(3600)), logger: .init(label: "test"))
        try await application.test(.router) { client in
            let path = "/" + hosted.id.dropFirst(api.world.base.count)
            try await client.execute(uri: path, method: .get) { response in #expect(response.status == .ok) }
            try await client.execute(
                uri: "/api/v1/revocations", method: .post, headers: api.headers(.instructor, json: true),
                body: body(["credential": .string(hosted.id), "reason": "issued by mistake"])
            ) { response throws in
                #expect(response.status == .created)
                #expect((try json(response)["by"] as? String)?.hasPrefix(api.world.seed.instructor + " (token ") == true)
            }
            #expect(try await api.world.service.store.revocation(of: hosted.id)?.reason == "issued by mistake")
            #expect(try await api.world.service.ledger.auditLog().last?.actor.hasPrefix(api.world.seed.instructor) == true)
            try await client.execute(uri: path, method: .get) { response in #expect(response.status == .gone) }
            // Again: a conflict, as a problem document.
            try await client.execute(
                uri: "/api/v1/revocations", method: .post, headers: api.headers(.admin, json: true),
                body: body(["credential": .string(hosted.id), "reason": "again"])
            ) { response throws in
                #expect(response.status == .conflict)
                #expect(try json(response)["status"] as? Int == 409)
            }
        }
    }

    @Test("tokens: malformed, unknown, wrong, revoked and expired ones are all refused alike; scopes limit a user's role")
    func tokens() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let service = api.world.service
        let admin = try #require(api.tokens[.admin])
        let readOnly = try await service.createToken(for: api.world.seed.admin, name: "reader", scopes: [.read], by: "test")
        let revoked = try await service.createToken(for: api.world.seed.admin, name: "old", scopes: [.read], by: "test")
        try await service.revokeToken(revoked.token.id, by: "test")
        let wrongSecret = String(admin.dropLast()) + (admin.last == "0" ? "1" : "0")
        try await api.world.application().test(.router) { client in
            for bad in ["", "mrk_", "Basic abc", "mrk_0000000000000000_" + String(repeating: "0", count: 64), wrongSecret, revoked.text] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer " + bad]) { response throws in
                    #expect(response.status == .unauthorized, "\(bad.prefix(12))")
                    #expect(try json(response)["detail"] as? String == "the API token is not valid" || bad.isEmpty || bad == "Basic abc")
                }
            }
            try await client.execute(uri: "/api/v1/audit", method: .get, headers: [.authorization: "Bearer " + readOnly.text]) { response throws in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer " + readOnly.text]) { response throws in
                #expect(try json(response)["scopes"] as? [String] == ["read"])
            }
        }
        // The secret is not stored, only its hash.
        let stored = try #require(try await service.tokens().first { $0.id == readOnly.token.id })
        #expect(!readOnly.text.contains(stored.secretHash))
        #expect(stored.secretHash.utf8.count == 64)
        await #expect(throws: CoreError.self) { try await service.createToken(for: api.world.seed.instructor, name: "x", scopes: [.admin], by: "test") }
    }

    @Test("an admin makes a token through the API: its secret is shown once and works; listed without secrets; revoked, it works no more")
    func tokensThroughTheAPI() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        try await api.world.application().test(.router) { client in
            let made = try await client.execute(
                uri: "/api/v1/tokens", method: .post, headers: api.headers(.admin, json: true),
                body: body(["user": .string(api.world.seed.instructor), "name": "asiakastietojärjestelmä", "scopes": ["read", "record"], "expires": "2099-01-01T00:00:00Z"])
            ) { response throws in
                #expect(response.status == .created)
                return try json(response)
            }
            let secret = try #require(made["secret"] as? String)
            let id = try #require((made["token"] as? [String: Any])?["id"] as? String)
            #expect(secret.hasPrefix("mrk_\(id)_"))
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer " + secret]) { response throws in
                #expect(try json(response)["scopes"] as? [String] == ["read", "record"])
            }
            try await client.execute(uri: "/api/v1/tokens", method: .get, headers: api.headers(.admin)) { response throws in
                let listed = String(buffer: response.body)
                #expect(listed.contains(id) && listed.contains("asiakastietojärjestelmä") && !listed.contains(String(secret.suffix(64))))
                #expect(!listed.contains("secretHash"))
            }
            // Refused alike: an admin scope for an instructor, no scope, an unknown user.
            for bad: JSONValue in [
                ["user": .string(api.world.seed.instructor), "name": "x", "scopes": ["admin"]],
                ["user": "ei-ketaan", "name": "x", "scopes": ["read"]],
                ["user": .string(api.world.seed.instructor), "name": "x", "scopes": ["read"], "expires": "2001-01-01T00:00:00Z"],
            ] {
                try await client.execute(uri: "/api/v1/tokens", method: .post, headers: api.headers(.admin, json: true), body: body(bad)) { response in
                    #expect(response.status.code >= 400 && response.status.code < 500)
                }
            }
            try await client.execute(uri: "/api/v1/tokens/\(id)", method: .delete, headers: api.headers(.admin)) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer " + secret]) { response in
                #expect(response.status == .unauthorized)
            }
        }
        let actions = try await api.world.service.store.auditLog().map(\.action)
        #expect(actions.contains("token.add") && actions.contains("token.revoke"))
    }

    @Test("an admin exports a client's whole record with every credential as issued, then erases the client after typing the id")
    func exportAndErase() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let client = api.own
        let issued = try await api.world.service.clientFile(client).credentials
        #expect(!issued.isEmpty)
        try await api.world.application().test(.router) { http in
            try await http.execute(uri: "/api/v1/clients/\(client)/export", method: .get, headers: api.headers(.admin)) { response throws in
                #expect(response.status == .ok)
                let document = try json(response)
                #expect((document["record"] as? [String: Any])?["client"] as? String == client)
                let credentials = try #require(document["credentials"] as? [[String: Any]])
                #expect(credentials.compactMap { $0["id"] as? String } == issued.map(\.id))
                #expect(credentials.compactMap { $0["document"] as? String } == issued.map { String(decoding: $0.bytes, as: UTF8.self) })
            }
            try await http.execute(
                uri: "/api/v1/clients/\(client)/erase", method: .post, headers: api.headers(.admin, json: true), body: body(["confirm": .string(client + "x")])
            ) { response throws in
                #expect(response.status == .badRequest)
                #expect((try json(response)["detail"] as? String)?.contains("type the client's id") == true)
            }
            #expect(try await api.world.service.clientFile(client).client.erasedAt == nil)
            try await http.execute(
                uri: "/api/v1/clients/\(client)/erase", method: .post, headers: api.headers(.admin, json: true), body: body(["confirm": .string(client)])
            ) { response in #expect(response.status == .noContent) }
            #expect(try await api.world.service.clientFile(client).client.erasedAt != nil)
            try await http.execute(uri: "/api/v1/clients/\(client)/export", method: .get, headers: api.headers(.admin)) { response in
                #expect(response.status == .conflict)
            }
        }
        #expect(try await api.world.service.store.auditLog().suffix(2).map(\.action).contains("client.erase"))
    }

    @Test("the hand-over package through the API: the bytes the core signed, as Data Integrity JSON or a VC-JWT, named for download")
    func handover() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let client = api.own
        try await api.world.application().test(.router) { http in
            for (format, type) in [("ob3-ldp", "application/vc+ld+json"), ("ob3-jwt", "application/vc+jwt")] {
                try await http.execute(
                    uri: "/api/v1/clients/\(client)/handover", method: .post, headers: api.headers(.instructor, json: true),
                    body: body(["format": .string(format), "clientAgreed": true, "lang": "sv"])
                ) { response throws in
                    #expect(response.status == .ok && response.headers[.contentType] == type, "\(response.headers)")
                    #expect(response.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"handover-\(client)-") == true)
                    let bytes = Array(response.body.readableBytesView)
                    let document = format == "ob3-jwt" ? try #require(CompactJWS.payload(of: bytes)) : bytes
                    let package = try #require(try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])
                    #expect(package["type"] as? [String] == ["VerifiableCredential", "ClrCredential"])
                    #expect(package["name"] as? String == "Sammanställning av kunnande")
                    if format == "ob3-ldp" { #expect((package["proof"] as? [[String: Any]])?.first?["cryptosuite"] as? String == "eddsa-rdfc-2022") }
                }
            }
            try await http.execute(
                uri: "/api/v1/clients/\(client)/handover", method: .post, headers: api.headers(.instructor, json: true), body: body(["format": "ob2-signed"])
            ) { response throws in
                #expect(response.status == .badRequest)
            }
            // The client's zip is named as written too (the generator would send the header percent-encoded).
            try await http.execute(uri: "/api/v1/me/export", method: .get, headers: api.headers(.client)) { response in
                #expect(response.headers[.contentDisposition] == "attachment; filename=\"merkisto-\(client).zip\"")
            }
        }
        #expect(try await api.world.service.store.auditLog().suffix(2).map(\.action) == ["handover.make", "handover.make"])
    }

    @Test("an admin imports records as a JSON array and as uploaded files: each whole or not at all, refusals with their JSON paths")
    func importRecords() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let good: JSONValue = ["client": "tuotu-1", "assessments": [["id": "a-1", "assessedAt": "2026-11-02T10:00:00+02:00", "assessor": "ohjaaja", "evidence": "observed", "levels": [["competence": "1.1", "level": 3]]]]]
        let bad: JSONValue = ["client": "tuotu-2", "assessments": [["id": "b-1", "assessedAt": "2026-11-02T10:00:00+02:00", "assessor": "itse", "evidence": "self", "levels": [["competence": "9.9", "level": 2]]]]]
        try await api.world.application().test(.router) { http in
            try await http.execute(uri: "/api/v1/clients/import", method: .post, headers: api.headers(.admin, json: true), body: body([good, bad])) { response throws in
                #expect(response.status == .ok)
                let result = try json(response)
                #expect((result["imported"] as? [[String: Any]])?.map { $0["client"] as? String } == ["tuotu-1"])
                let refused = try #require((result["refused"] as? [[String: Any]])?.first)
                #expect(refused["file"] as? String == "[1]")
                #expect((refused["problems"] as? [String])?.contains { $0.contains("assessments[0]") } == true)
            }
            // Two files in one form: the good one goes in, the broken one is named by its file name.
            let boundary = "merkisto-raja"
            var form = ""
            for (name, content) in [("kolmas.json", #"{"client": "tuotu-3"}"#), ("rikki.json", #"{"client": "#)] {
                form += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: application/json\r\n\r\n\(content)\r\n"
            }
            form += "--\(boundary)--\r\n"
            var headers = api.headers(.admin)
            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
            try await http.execute(uri: "/api/v1/clients/import", method: .post, headers: headers, body: ByteBuffer(string: form)) { response throws in
                #expect(response.status == .ok)
                let result = try json(response)
                #expect((result["imported"] as? [[String: Any]])?.map { $0["file"] as? String } == ["kolmas.json"])
                #expect((result["refused"] as? [[String: Any]])?.map { $0["file"] as? String } == ["rikki.json"])
            }
            try await http.execute(uri: "/api/v1/clients/import", method: .post, headers: api.headers(.admin, json: true), body: body([])) { response in
                #expect(response.status == .badRequest)
            }
            // A file part that ends before its boundary: a 400 problem document, nothing stored.
            try await http.execute(
                uri: "/api/v1/clients/import", method: .post, headers: headers,
                body: ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.json\"\r\n\r\n{\"client\": \"tuotu-4\"}")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            }
        }
        #expect(try await api.world.service.clientFile("tuotu-1").assessments.count == 1)
        #expect(try await api.world.service.clientFile("tuotu-3").client.id == "tuotu-3")
        await #expect(throws: CoreError.self) { try await api.world.service.clientFile("tuotu-4") }
        await #expect(throws: CoreError.self) { try await api.world.service.clientFile("tuotu-2") }
    }

    @Test("a client registered without an id gets a pseudonym Merkisto makes: asiakas- and four letters and digits, a new one each time")
    func madePseudonyms() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let made = try await api.world.application().test(.router) { http in
            var made: Set<String> = []
            for _ in 0..<5 {
                made.insert(
                    try await http.execute(
                        uri: "/api/v1/clients", method: .post, headers: api.headers(.instructor, json: true), body: body(["unit": "demo-paja"])
                    ) { response throws in
                        #expect(response.status == .created)
                        return try #require((try json(response)["client"] as? [String: Any])?["id"] as? String)
                    })
            }
            return made
        }
        #expect(made.count == 5)
        #expect(made.allSatisfy { $0.wholeMatch(of: /asiakas-[a-hj-km-np-z2-9]{4}/) != nil }, "\(made)")
    }

    @Test("requests that do not fit the API, or ask for what cannot be done, get problem documents, never a bare 500")
    func problems() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let uri = "/api/v1/clients/\(api.own)/credentials"
        // A badge the demo client has not earned (the beginner's record earns nothing).
        let beginner = try #require(api.world.seed.clients.first { id in !api.world.seed.credentials.contains { $0.client == id } })
        let owned = try #require(api.world.seed.credentials.first { $0.client == api.own }).id
        var plainText = api.headers(.admin)
        plainText[.contentType] = "text/plain"
        let cases: [(uri: String, headers: HTTPFields, body: ByteBuffer?, status: HTTPResponse.Status)] = [
            (uri, api.headers(.admin), nil, .badRequest),
            (uri, api.headers(.admin, json: true), ByteBuffer(string: "{"), .badRequest),
            (uri, api.headers(.admin, json: true), body(["badge": 7]), .badRequest),
            (uri, plainText, ByteBuffer(string: "x"), .unsupportedMediaType),
            (uri, api.headers(.admin, json: true), body(["badge": "ei-ole-tallaista"]), .notFound),
            ("/api/v1/clients/\(beginner)/credentials", api.headers(.admin, json: true), body(["badge": "asiointi-verkossa"]), .conflict),
            ("/api/v1/revocations", api.headers(.admin, json: true), body(["credential": "urn:uuid:ei-ole", "reason": "x"]), .notFound),
            ("/api/v1/revocations", api.headers(.admin, json: true), body(["credential": .string(owned), "reason": "   "]), .badRequest),
        ]
        try await api.world.application().test(.router) { client in
            for item in cases {
                try await client.execute(uri: item.uri, method: .post, headers: item.headers, body: item.body) { response throws in
                    #expect(response.status == item.status, "\(item.uri) \(item.body.map { String(buffer: $0) } ?? "no body")")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    #expect(try json(response)["status"] as? Int == Int(item.status.code))
                }
            }
        }
    }

    @Test("a refusal reaches a client that accepts only application/json with its real status and problem document, never 406")
    func refusalsWithAcceptJSON() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        try await api.world.application().test(.router) { client in
            let cases: [(String, HTTPRequest.Method, HTTPFields, ByteBuffer?, HTTPResponse.Status)] = [
                ("/api/v1/clients", .get, [:], nil, .unauthorized),
                ("/api/v1/clients/asiakas-404", .get, api.headers(.admin), nil, .notFound),
                ("/api/v1/session", .post, [.contentType: "application/json"], ByteBuffer(string: "{\"user\":\"ei-ketaan\",\"password\":\"x\"}"), .unauthorized),
                ("/api/v1/clients", .post, api.headers(.admin, json: true), ByteBuffer(string: "{"), .badRequest),
            ]
            for (uri, method, headers, body, status) in cases {
                for accept in ["application/json", "application/json; charset=utf-8", "text/html"] {
                    var fields = headers
                    fields[.accept] = accept
                    try await client.execute(uri: uri, method: method, headers: fields, body: body) { response throws in
                        #expect(response.status == status, "\(method) \(uri) Accept: \(accept)")
                        #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                        #expect(try json(response)["status"] as? Int == Int(status.code))
                    }
                }
            }
        }
    }

    @Test("an API body must say it is JSON (a sign-in without Content-Type is not read); badge SVGs are served with a policy that runs no script")
    func bodyTypeAndImagePolicy() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let password = try #require(api.world.seed.passwords[api.world.seed.instructor])
        let signIn = ByteBuffer(string: "{\"user\":\"\(api.world.seed.instructor)\",\"password\":\"\(password)\"}")
        try await api.world.application().test(.router) { client in
            for type in [nil, "text/plain"] as [String?] {
                var headers: HTTPFields = [.contentLength: String(signIn.readableBytes)]
                if let type { headers[.contentType] = type }
                try await client.execute(uri: "/api/v1/session", method: .post, headers: headers, body: signIn) { response in
                    #expect(response.status == .unsupportedMediaType, "\(type ?? "no type")")
                    #expect(response.headers[.setCookie] == nil)
                }
            }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: signIn) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/images/asiointi-verkossa.svg", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(response.headers[.contentSecurityPolicy]?.contains("sandbox") == true)
            }
        }
    }

    @Test("a problem document never shows where the server keeps its files (the key folder, the database)")
    func noServerPaths() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        try await api.world.application().test(.router) { client in
            // The last active Ed25519 key signs the status lists: not retired before another is made (409, not a failure).
            try await client.execute(uri: "/api/v1/keys/demo-ed25519/retire", method: .post, headers: api.headers(.admin)) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/api/v1/keys/demo-rs256/retire", method: .post, headers: api.headers(.admin)) { response in
                #expect(response.status == .ok)
            }
            // No active RS256 key for an OB 2.0 signed assertion: refused, naming the folder only as "…/keys".
            try await client.execute(
                uri: "/api/v1/clients/\(api.own)/credentials", method: .post, headers: api.headers(.admin, json: true),
                body: body(["badge": "digihyvinvointi-ja-netiketti", "format": "ob2-signed"])
            ) { response throws in
                #expect(response.status.code >= 400)
                let detail = try #require(try json(response)["detail"] as? String)
                #expect(!detail.contains(api.world.directory) && !detail.contains("/tmp/"), "\(detail)")
                #expect(detail.contains("…/keys"), "\(detail)")
            }
        }
    }

    @Test("a body over 8 MB is refused with 413 whether declared or not; JSON that does not fit is named by its JSON path")
    func bodyLimitAndPaths() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let uri = "/api/v1/clients/\(api.own)/credentials"
        let big = ByteBuffer(repeating: UInt8(ascii: " "), count: MerkistoServer.bodyLimit + 1)
        var declaring = api.headers(.admin, json: true)
        declaring[.contentLength] = String(MerkistoServer.bodyLimit + 1)
        let declared = declaring
        try await api.world.application().test(.router) { client in
            for headers in [api.headers(.admin, json: true), declared] {
                try await client.execute(uri: uri, method: .post, headers: headers, body: big) { response throws in
                    #expect(response.status == .contentTooLarge)
                    #expect(try json(response)["detail"] as? String == "The body of a request may be at most 8 MB.")
                }
            }
            // Just under the limit, the body reaches the API (and is not JSON).
            let under = ByteBuffer(repeating: UInt8(ascii: " "), count: MerkistoServer.bodyLimit - 1)
            try await client.execute(uri: uri, method: .post, headers: api.headers(.admin, json: true), body: under) { response throws in
                #expect(response.status == .badRequest)
                #expect((try json(response)["detail"] as? String)?.contains("$: the body is not valid JSON") == true)
            }
            try await client.execute(uri: uri, method: .post, headers: api.headers(.admin, json: true), body: body(["badge": 7])) { response throws in
                #expect((try json(response)["detail"] as? String)?.contains("$.badge: expected a string") == true)
            }
        }
    }

    @Test("the evaluation and the report are the documents `merkisto evaluate` and `merkisto report` write, in the language asked")
    func documents() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let service = api.world.service
        let evaluation = await EvaluationJSON(compiled: service.compiled, language: .sv).document(try service.evaluate(client: api.own))
        let report = await ProgressReportJSON(compiled: service.compiled, language: .en).document(try service.progressReport(client: api.own))
        try await api.world.application().test(.router) { client in
            for (uri, expected) in [("/api/v1/clients/\(api.own)/evaluation?lang=sv", evaluation), ("/api/v1/clients/\(api.own)/report?lang=en", report)] {
                try await client.execute(uri: uri, method: .get, headers: api.headers(.instructor)) { response throws in
                    #expect(response.status == .ok)
                    let served = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? NSDictionary
                    let written = try JSONSerialization.jsonObject(with: Data(expected.jsonBytes())) as? NSDictionary
                    #expect(served != nil && served == written, "\(uri)")
                }
            }
        }
    }
}
