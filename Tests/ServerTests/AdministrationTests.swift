import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import Hummingbird
import HummingbirdTesting
import MerkistoCore
import NIOCore
@testable import Server
import Storage
import Testing

@Suite("JSON API: definitions, keys, bulk issuing, problem languages")
struct AdministrationTests {
    /// A copy of the shipped definitions that a test may change.
    static func definitionsCopy(in directory: String) throws -> String {
        let copy = directory + "/definitions"
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: DemoWorld.repository + "/BadgeDefinitions").resolvingSymlinksInPath().path, toPath: copy)
        return copy
    }

    /// A gzip'd tar of a folder, made by the system's tar.
    static func tarGz(_ folder: String) throws -> ByteBuffer {
        let out = folder + ".tar.gz"
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-czf", out, "-C", (folder as NSString).deletingLastPathComponent, (folder as NSString).lastPathComponent]
        try tar.run()
        tar.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: out) }
        return ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    @Test("definitions as versions: a set with an error is refused 422 with located diagnostics, the fixed one kept, tried, activated at once, rolled back")
    func versions() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let folder = try Self.definitionsCopy(in: api.world.directory)
        let first = api.world.service.compiled.digest
        let badge = folder + "/badges/asiointi-verkossa.xml"
        let original = try String(contentsOfFile: badge, encoding: .utf8)
        var adminUpload = api.headers(.admin)
        adminUpload[.contentType] = "application/gzip"
        let upload = adminUpload
        try await api.world.application(definitions: folder).test(.router) { client in
            try original.replacingOccurrences(of: #"<competence ref="1.3""#, with: #"<competence ref="9.9""#).write(toFile: badge, atomically: true, encoding: .utf8)
            var instructor = api.headers(.instructor)
            instructor[.contentType] = "application/gzip"
            try await client.execute(uri: "/api/v1/definitions/versions", method: .post, headers: instructor, body: try Self.tarGz(folder)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/definitions/versions", method: .post, headers: upload, body: try Self.tarGz(folder)) { response throws in
                #expect(response.status == .unprocessableContent)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                let errors = (try json(response)["diagnostics"] as? [[String: Any]] ?? []).filter { $0["severity"] as? String == "error" }
                #expect(errors.contains { $0["file"] as? String == "badges/asiointi-verkossa.xml" && $0["line"] as? Int == 15 && $0["code"] != nil })
            }
            try original.replacingOccurrences(of: "Asiointi verkossa", with: "Asioi verkossa").write(toFile: badge, atomically: true, encoding: .utf8)
            let second = try await client.execute(uri: "/api/v1/definitions/versions", method: .post, headers: upload, body: try Self.tarGz(folder)) {
                response throws in
                #expect(response.status == .created)
                return try #require(try json(response)["digest"] as? String)
            }
            #expect(second != first)
            try await client.execute(uri: "/api/v1/definitions/versions", method: .get, headers: api.headers(.admin)) { response throws in
                let versions = try #require(try json(response)["versions"] as? [[String: Any]])
                // Newest first.
                #expect(versions.compactMap { $0["digest"] as? String } == [second, first])
                #expect(versions.compactMap { $0["active"] as? Bool } == [false, true])
            }
            try await client.execute(uri: "/api/v1/definitions/versions/\(second)/dry-run", method: .post, headers: api.headers(.admin)) { response throws in
                #expect(response.status == .ok)
                #expect(try json(response)["clients"] as? Int == api.world.seed.clients.count)
            }
            try await client.execute(uri: "/api/v1/definitions/versions/\(second)/activate", method: .post, headers: api.headers(.admin)) { response in
                #expect(response.status == .ok)
            }
            // At once, for the public documents too.
            try await client.execute(uri: "/achievements/asiointi-verkossa.json", method: .get) { response in
                #expect(String(buffer: response.body).contains("Asioi verkossa"))
            }
            try await client.execute(uri: "/api/v1/definitions/versions/\(first)/activate", method: .post, headers: api.headers(.admin)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/achievements/asiointi-verkossa.json", method: .get) { response in
                #expect(String(buffer: response.body).contains("Asiointi verkossa"))
            }
            try await client.execute(uri: "/api/v1/definitions/versions/\(String(repeating: "0", count: 64))/activate", method: .post, headers: api.headers(.admin)) {
                response in #expect(response.status == .notFound)
            }
        }
    }

    @Test("definitions: lint diagnostics of the files on disk, a refused reload while they have errors, a dry run and a reload that goes live")
    func definitions() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let folder = try Self.definitionsCopy(in: api.world.directory)
        let badge = folder + "/badges/asiointi-verkossa.xml"
        let original = try String(contentsOfFile: badge, encoding: .utf8)
        let liveDigest = api.world.service.compiled.digest
        try await api.world.application(definitions: folder).test(.router) { client in
            // As shipped: no errors, nothing to reload.
            try await client.execute(uri: "/api/v1/definitions", method: .get, headers: api.headers(.admin)) { response throws in
                #expect(response.status == .ok)
                let state = try json(response)
                #expect(state["changed"] as? Bool == false)
                #expect(state["liveDigest"] as? String == liveDigest)
                #expect((state["files"] as? [String])?.count ?? 0 > 10)
                #expect((state["diagnostics"] as? [[String: Any]])?.contains { $0["severity"] as? String == "error" } == false)
            }
            // A broken file: located errors; dry run and reload refused, nothing changed.
            try original.replacingOccurrences(of: "</name>", with: "</nimi>").write(toFile: badge, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/api/v1/definitions", method: .get, headers: api.headers(.admin)) { response throws in
                let state = try json(response)
                let errors = (state["diagnostics"] as? [[String: Any]])?.filter { $0["severity"] as? String == "error" } ?? []
                #expect(!errors.isEmpty)
                #expect(errors.contains { ($0["file"] as? String)?.hasSuffix("asiointi-verkossa.xml") == true && ($0["line"] as? Int ?? 0) > 1 })
                #expect(state["diskDigest"] == nil && state["changed"] as? Bool == false)
            }
            for uri in ["/api/v1/definitions/dry-run", "/api/v1/definitions/reload"] {
                try await client.execute(uri: uri, method: .post, headers: api.headers(.admin)) { response throws in
                    #expect(response.status == .conflict, "\(uri)")
                    #expect((try json(response)["problems"] as? [String])?.contains { $0.contains("asiointi-verkossa.xml:") } == true)
                }
            }
            // A valid change: shown, dry-run, reloaded; the hosted achievement says the new name.
            try original.replacingOccurrences(of: ">Asiointi verkossa</name>", with: ">Asioi verkossa</name>")
                .write(toFile: badge, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/api/v1/definitions/dry-run", method: .post, headers: api.headers(.admin)) { response throws in
                #expect(response.status == .ok)
                let dryRun = try json(response)
                #expect((dryRun["definitions"] as? [String: Any])?["changed"] as? Bool == true)
                #expect(dryRun["clients"] as? Int == api.world.seed.clients.count)
                #expect((dryRun["changes"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/api/v1/definitions/reload", method: .post, headers: api.headers(.admin)) { response throws in
                #expect(response.status == .ok)
                #expect(try json(response)["reloaded"] as? Bool == true)
            }
            try await client.execute(uri: "/achievements/asiointi-verkossa.json", method: .get) { response in
                #expect(String(buffer: response.body).contains("Asioi verkossa"))
            }
            try await client.execute(uri: "/api/v1/definitions/reload", method: .post, headers: api.headers(.admin)) { response throws in
                #expect(try json(response)["reloaded"] as? Bool == false)
            }
        }
        // The folder was kept and put in use at start; the reload kept the changed folder as a new version and
        // put it in use, once.
        let log = try await api.world.service.store.auditLog()
        let activations = log.filter { $0.action == "definitions.activate" }.map(\.actor)
        #expect(activations.count == 2 && activations.first == "merkisto" && activations.last?.hasPrefix(api.world.seed.admin) == true)
        #expect(log.filter { $0.action == "definitions.upload" }.count == 2)
        #expect(try await api.world.service.store.verifyAudit().isIntact)
    }

    @Test("keys: a key made through the API is published at once; a retired one stays published and signs nothing new")
    func keys() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        try await api.world.application().test(.router) { client in
            var before: [String] = []
            try await client.execute(uri: "/api/v1/keys", method: .get, headers: api.headers(.admin)) { response throws in
                #expect(response.status == .ok)
                before = try Self.kids(response)
            }
            #expect(before.sorted() == ["demo-ed25519", "demo-es256", "demo-rs256"])
            try await client.execute(
                uri: "/api/v1/keys", method: .post, headers: api.headers(.admin, json: true), body: body(["algorithm": "ES256", "kid": "uusi-es256"])
            ) { response throws in
                #expect(response.status == .created)
                let key = try json(response)
                #expect(key["active"] as? Bool == true && (key["jwk"] as? [String: Any])?["kty"] as? String == "EC")
                #expect((key["jwk"] as? [String: Any])?["d"] == nil)
            }
            try await client.execute(uri: "/keys/jwks.json", method: .get) { response throws in
                #expect(try Self.kids(response).contains("uusi-es256"))
            }
            try await client.execute(
                uri: "/api/v1/keys", method: .post, headers: api.headers(.admin, json: true), body: body(["algorithm": "ES256", "kid": "uusi-es256"])
            ) { response in #expect(response.status == .badRequest) }
            try await client.execute(uri: "/api/v1/keys/demo-es256/retire", method: .post, headers: api.headers(.admin)) { response throws in
                #expect(response.status == .ok)
                #expect(try json(response)["active"] as? Bool == false)
            }
            try await client.execute(uri: "/keys/jwks.json", method: .get) { response throws in
                #expect(try Self.kids(response).contains("demo-es256"))
            }
            try await client.execute(uri: "/api/v1/keys/ei-ole/retire", method: .post, headers: api.headers(.admin)) { response in
                #expect(response.status == .notFound)
            }
        }
        // What is signed now is signed with the new key.
        let badge = try #require(api.world.seed.credentials.first { $0.client == api.own }).badge
        for credential in try await api.world.service.clientFile(api.own).credentials where credential.badge == badge {
            _ = try await api.world.service.ledger.revoke(credential: credential.id, reason: "replaced", by: "test")
        }
        let issued = try await api.world.service.issue(client: api.own, badge: badge, by: "test")
        let header = try #require(String(decoding: issued.bytes, as: UTF8.self).split(separator: ".").first)
        let decoded = try #require(Data(base64Encoded: Self.padded(String(header))))
        #expect(String(decoding: decoded, as: UTF8.self).contains("uusi-es256"))
        let audit = try await api.world.service.store.auditLog().map(\.action)
        #expect(audit.contains("key.generate") && audit.contains("key.retire"))
    }

    static func kids(_ response: TestResponse) throws -> [String] {
        (try json(response)["keys"] as? [[String: Any]])?.compactMap { $0["kid"] as? String } ?? []
    }

    static func padded(_ base64url: String) -> String {
        let text = base64url.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return text + String(repeating: "=", count: (4 - text.utf8.count % 4) % 4)
    }

    @Test("bulk issuing: an instructor issues what their unit's clients have earned, once; a client elsewhere is not found")
    func bulk() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let service = api.world.service
        // A new client in the demo unit with badges earned and none held, and one in another unit.
        let example = try #require(FileManager.default.contents(atPath: DemoWorld.repository + "/examples/clients/kansalaisen-perustaso.json"))
        var record = try #require(try JSONSerialization.jsonObject(with: example) as? [String: Any])
        record["client"] = "uusi-asiakas"
        _ = try await service.importRecord(Array(try JSONSerialization.data(withJSONObject: record)), unit: "demo-paja", by: "test")
        try await service.addUnit(id: "muu-paja", name: "Other", by: "test")
        record["client"] = "muu-asiakas"
        _ = try await service.importRecord(Array(try JSONSerialization.data(withJSONObject: record)), unit: "muu-paja", by: "test")
        let earned = try await service.evaluate(client: "uusi-asiakas").badges.filter { $0.earned && $0.held == nil }.map(\.id).sorted()
        #expect(!earned.isEmpty)
        try await api.world.application().test(.router) { client in
            let uri = "/api/v1/credentials/bulk"
            try await client.execute(uri: uri, method: .post, headers: api.headers(.instructor, json: true), body: body(["unit": "demo-paja"])) {
                response throws in
                #expect(response.status == .created)
                let issued = try json(response)["issued"] as? [[String: Any]] ?? []
                #expect(issued.allSatisfy { $0["client"] as? String == "uusi-asiakas" })
                #expect(issued.compactMap { $0["badge"] as? String }.sorted() == earned)
            }
            try await client.execute(uri: uri, method: .post, headers: api.headers(.instructor, json: true), body: body([:])) { response throws in
                #expect((try json(response)["issued"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: uri, method: .post, headers: api.headers(.instructor, json: true), body: body(["clients": ["muu-asiakas"]])) {
                response in #expect(response.status == .notFound)
            }
            try await client.execute(uri: uri, method: .post, headers: api.headers(.instructor, json: true), body: body(["unit": "muu-paja"])) {
                response in #expect(response.status == .forbidden)
            }
        }
        #expect(try await service.clientFile("muu-asiakas").credentials.isEmpty)
        #expect(try await service.clientFile("uusi-asiakas").credentials.count == earned.count)
    }

    @Test("problem documents speak the language the request asks for")
    func problemLanguages() async throws {
        let api = try await APIWorld()
        defer { api.world.cleanup() }
        let expected: [(header: String?, title: String, detail: String)] = [
            (nil, "Not found", "there is no client ei-ketaan"),
            ("sv-FI, fi;q=0.8", "Hittades inte", "det finns ingen klient ei-ketaan"),
            ("de, fi;q=0.5, en;q=0.3", "Ei löytynyt", "asiakasta ei-ketaan ei ole"),
        ]
        try await api.world.application().test(.router) { client in
            for item in expected {
                var headers = api.headers(.admin)
                if let header = item.header { headers[.acceptLanguage] = header }
                try await client.execute(uri: "/api/v1/clients/ei-ketaan", method: .get, headers: headers) { response throws in
                    let problem = try json(response)
                    #expect(problem["title"] as? String == item.title)
                    #expect(problem["detail"] as? String == item.detail)
                }
            }
            // A refusal of the store (a client registered twice) too.
            var headers = api.headers(.admin, json: true)
            headers[.acceptLanguage] = "fi"
            try await client.execute(uri: "/api/v1/clients", method: .post, headers: headers, body: body(["id": .string(api.own)])) { response throws in
                #expect(response.status == .conflict)
                let problem = try json(response)
                #expect(problem["title"] as? String == "On jo olemassa")
                #expect(problem["detail"] as? String == "asiakas \(api.own) on jo olemassa")
            }
            try await client.execute(uri: "/ei-mitaan.json", method: .get, headers: [.acceptLanguage: "sv"]) { response throws in
                #expect(response.status == .notFound)
                #expect(try json(response)["title"] as? String == "Hittades inte")
            }
        }
    }

    @Test("Accept-Language: weights, order, regions, wildcards and nonsense")
    func acceptLanguage() {
        #expect(AcceptLanguage.preferred(nil, fallback: .fi) == .fi)
        #expect(AcceptLanguage.preferred("", fallback: .en) == .en)
        #expect(AcceptLanguage.preferred("sv-SE", fallback: .en) == .sv)
        #expect(AcceptLanguage.preferred("en;q=0.5, fi;q=0.9", fallback: .sv) == .fi)
        #expect(AcceptLanguage.preferred("fi;q=0, en", fallback: .sv) == .en)
        #expect(AcceptLanguage.preferred("de, *;q=0.1", fallback: .sv) == .sv)
        #expect(AcceptLanguage.preferred(";;,=,q=,fi;q=abc", fallback: .en) == .en)
        #expect(AcceptLanguage.preferred("FI-fi", fallback: .en) == .fi)
    }
}

@Suite("Error messages")
struct ErrorTableTests {
    @Test("every error message exists in Finnish, Swedish and English with the same placeholders")
    func complete() {
        let table = CoreError.table
        #expect(table.keys.count > 50)
        for key in table.keys {
            var placeholders: Set<Set<String>> = []
            for language in Language.allCases {
                #expect(table.has(key, in: language), "\(key) \(language)")
                placeholders.insert(Set(table.template(key, language).pieces.compactMap { if case .placeholder(let name) = $0 { name } else { nil } }))
            }
            #expect(placeholders.count == 1, "\(key): \(placeholders)")
        }
    }

    @Test("every key the code names is in the table")
    func used() throws {
        let keys = Set(CoreError.table.keys)
        var named: Set<String> = []
        let sources = DemoWorld.repository + "/Sources"
        let pattern = try NSRegularExpression(pattern: #"key: "([a-zA-Z.]+)""#)
        for case let path as String in FileManager.default.enumerator(atPath: sources)! where path.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + path, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                named.insert((text as NSString).substring(with: match.range(at: 1)))
            }
        }
        #expect(named.count > 40)
        #expect(named.subtracting(keys).isEmpty, "\(named.subtracting(keys).sorted())")
    }
}
