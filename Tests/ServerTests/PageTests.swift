import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MerkistoCore
import Mustache
import NIOCore
@testable import Server
import Storage
import Testing

/// A signed-in person of the demo world: their session cookie and CSRF token.
struct PageSession {
    let cookie: String
    let csrf: String

    init(_ world: DemoWorld, _ user: String) async throws {
        let password = try #require(world.seed.passwords[user])
        let signedIn = try await world.service.signInNow(user: user, password: password, address: nil)
        cookie = "merkisto_session=" + signedIn.token
        csrf = signedIn.session.csrf
    }

    func headers(_ language: String? = nil, form: Bool = false) -> HTTPFields {
        var fields: HTTPFields = [.cookie: cookie]
        if let language { fields[.acceptLanguage] = language }
        if form { fields[.contentType] = "application/x-www-form-urlencoded" }
        return fields
    }
}

@Suite("Web pages")
struct PageTests {
    /// The address of the first link in `html` to a later page of `path` (its `after` key, without a fragment).
    static func nextPage(in html: String, of path: String) -> String? {
        html.firstRange(of: "<a href=\"\(path)?after=").map { path + "?after=" + html[$0.upperBound...].prefix { $0 != "\"" && $0 != "#" } }
    }

    /// Every `{{t.…}}` of the templates and every key the page code names, with the keys the code builds
    /// from parts.
    static func usedKeys() throws -> Set<String> {
        var keys: Set<String> = []
        let template = try NSRegularExpression(pattern: #"\{\{[#^/]?t\.([A-Za-z0-9_.]+)\}\}"#)
        for (_, source) in PageRenderer.templateSources() {
            for match in template.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                keys.insert((source as NSString).substring(with: match.range(at: 1)))
            }
        }
        let code = try NSRegularExpression(pattern: #"text\("([A-Za-z0-9_.]+)""#)
        let folder = DemoWorld.repository + "/Sources/Server/Pages"
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".swift") {
            let source = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            for match in code.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                keys.insert((source as NSString).substring(with: match.range(at: 1)))
            }
        }
        for language in Language.allCases { keys.insert("language.\(language.rawValue)") }
        for role in ["admin", "instructor", "client"] { keys.insert("role.\(role)") }
        for severity in ["error", "warning"] { keys.insert("definitions.\(severity)") }
        for scope in ["read", "record", "award", "admin"] { keys.insert("tokens.scope.\(scope)") }
        for kind in [CredentialFile.Kind.jwt, .jwtPayload, .dataIntegrity, .hostedAssertion, .signedAssertion, .bakedImage] { keys.insert(WebPages.downloadLabel(kind)) }
        for headline in ["valid", "revoked", "suspended", "expired", "tampered", "unknownIssuer", "otherRecipient", "invalid"] { keys.insert("verify.\(headline)") }
        for notice in [
            "recorded", "awarded", "bulkAwarded", "nothingToAward", "revoked", "suspended", "lifted", "signedOut", "reloaded", "unchanged", "keyMade", "keyRetired", "userAdded",
            "unitAdded", "attested", "attestationWithdrawn", "tokenRevoked", "erased", "shareOn", "shareOff", "versionKept", "versionKnown", "versionActivated",
            "consentWithdrawn",
        ] { keys.insert("notice.\(notice)") }
        for scope in [OB3Scope.credentialRead, OB3Scope.profileRead, OB3Scope.offline] { if let key = WebPages.scopeKey(scope) { keys.insert(key) } }
        return keys
    }

    @Test("every text a page uses exists in Finnish, Swedish and English, with the same placeholders")
    func localisation() throws {
        let texts = PageTexts().table
        let used = try Self.usedKeys()
        #expect(used.count > 150)
        for key in used.sorted() {
            for language in Language.allCases { #expect(texts.has(key, in: language), "\(key) has no \(language.rawValue)") }
        }
        for key in texts.keys {
            let placeholders = Set(
                Language.allCases.map { language in
                    Set(texts.template(key, language).pieces.compactMap { piece -> String? in
                        if case .placeholder(let name) = piece { name } else { nil }
                    })
                })
            #expect(placeholders.count == 1, "\(key): \(placeholders)")
        }
        // And nothing in the table goes unused.
        #expect(Set(texts.keys).subtracting(used).isEmpty, "\(Set(texts.keys).subtracting(used).sorted())")
        // No text's key is the start of another's ("a.b" beside "a.b.c" would make `{{t.a.b}}` a branch, not a text).
        let keys = Set(texts.keys)
        for key in keys { #expect(!keys.contains { $0.hasPrefix(key + ".") }, "\(key) is also the start of another key") }
    }

    @Test("the client page's rows written in code: each level in the column its header names, and the credentials' links and forms")
    func clientPageRows() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let instructor = try await PageSession(world, world.seed.instructor)
        let file = try await world.service.clientFile(client)
        // One credential suspended and one revoked: each row says so, and only the suspended one can be lifted.
        let suspended = try #require(file.credentials.first { $0.status != nil })
        let revoked = try #require(file.credentials.first { $0.id != suspended.id })
        _ = try await world.service.ledger.suspend(credential: suspended.id, reason: "<tarkistus> & \"kesken\"", by: "test")
        _ = try await world.service.ledger.revoke(credential: revoked.id, reason: "test", by: "test")
        let writer = ReasonWriter(compiled: world.service.compiled, language: .en)
        let levels = try world.service.levelsByEvidence(of: try await world.service.clientFile(client))
        #expect(!levels.isEmpty)
        try await world.application().test(.router) { http in
            try await http.execute(uri: "/clients/\(client)", method: .get, headers: instructor.headers("en")) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok)
                let header = Evidence.allCases.map { "<th scope=\"col\">\(HTMLText.escaped(writer.evidence($0)))</th>" }.joined()
                #expect(html.contains("<th scope=\"col\">Competence</th>" + header + "</tr></thead>"))
                for row in levels {
                    let cells = Evidence.allCases.map { "<td>\(row.level($0).map { String($0.level) } ?? "–")</td>" }.joined()
                    #expect(html.contains("<tr><th scope=\"row\">\(HTMLText.escaped(writer.competenceName(row.code)))</th>\(cells)</tr>"), "\(row.code)")
                }
                let escaped = { (id: String) in id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
                #expect(html.contains("&lt;tarkistus&gt; &amp; &quot;kesken&quot;"))
                #expect(html.contains("action=\"/clients/\(client)/lift\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"\(instructor.csrf)\"><input type=\"hidden\" name=\"credential\" value=\"\(suspended.id)\">"))
                #expect(!html.contains("suspend?credential=\(escaped(suspended.id))\"") && !html.contains("revoke?credential=\(escaped(revoked.id))\""))
                #expect(html.contains("revoke?credential=\(escaped(suspended.id))\""))
                for credential in file.credentials {
                    #expect(html.contains("/clients/\(client)/decision?credential=\(escaped(credential.id))\""))
                    let live = credential.id != revoked.id && credential.id != suspended.id
                    #expect(html.contains("suspend?credential=\(escaped(credential.id))\"") == (live && credential.status != nil))
                }
            }
        }
    }

    @Test("every page renders in all three languages for the role that uses it", arguments: ["fi", "sv", "en"])
    func pagesInEveryLanguage(language: String) async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let instructor = try await PageSession(world, world.seed.instructor)
        let admin = try await PageSession(world, world.seed.admin)
        let own = try await PageSession(world, world.seed.clientUser)
        let credential = try #require(world.seed.credentials.first { $0.client == client && $0.format == .ob3JWT })
        let uuid = credential.pageID
        // A badge the client earned and no longer holds (its credential revoked): the award page offers it.
        let other = try #require(world.seed.credentials.first { $0.client == client && $0.format == .ob3JWT && $0.badge != credential.badge })
        _ = try await world.service.ledger.revoke(credential: other.id, reason: "test", by: "test")
        let pages: [(uri: String, session: PageSession?)] = [
            ("/signin", nil), ("/signin?code=ABCD-EFGH", nil), ("/verify", nil),
            ("/clients", instructor), ("/clients/\(client)", instructor), ("/clients/\(client)/assessment", instructor),
            ("/clients/\(client)/award?badge=\(other.badge)", instructor), ("/clients/\(client)/attest?badge=tyonhaku-verkossa", instructor),
            ("/clients/\(client)/award", instructor),
            ("/clients/\(client)/revoke?credential=\(credential.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", instructor),
            ("/clients/\(client)/suspend?credential=\(credential.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", instructor),
            ("/clients/\(client)/report", instructor),
            ("/my", own), ("/my/progress", own), ("/my/badges/\(uuid)", own),
            ("/admin/definitions", admin), ("/admin/keys", admin), ("/admin/users", admin), ("/admin/audit", admin), ("/admin/tokens", admin),
            ("/clients/\(client)/erase", admin), ("/admin/import", admin),
            ("/clients/\(client)/decision?credential=\(credential.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", instructor),
        ]
        try await world.application(definitions: DemoWorld.repository + "/BadgeDefinitions").test(.router) { http in
            for page in pages {
                var headers = page.session?.headers(language) ?? [:]
                headers[.acceptLanguage] = language
                try await http.execute(uri: page.uri, method: .get, headers: headers) { response in
                    let html = String(buffer: response.body)
                    #expect(response.status == .ok, "\(page.uri) in \(language): \(response.status)")
                    #expect(html.contains("<html lang=\"\(language)\""), "\(page.uri) in \(language)")
                    #expect(!html.contains("{{") && !html.contains("}}"), "\(page.uri) in \(language)")
                    // A key that had no text would show as the key itself (the audit log shows its action codes).
                    for key in page.uri == "/admin/audit" ? [] :  ["client.", "clients.", "signin.", "verify.", "badge.", "definitions.", "keys.", "users.", "audit.", "attest.", "tokens.", "erase.", "import.", "decision."] {
                        if let range = html.range(of: ">" + key) {
                            Issue.record("\(page.uri) in \(language) shows a key: \(html[range.lowerBound...].prefix(60))")
                        }
                    }
                    #expect(html.components(separatedBy: "aria-current=\"page\"").count <= 2, "\(page.uri): more than one current menu item")
                    if page.uri != "/clients/\(client)/report" {
                        #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                    }
                }
            }
        }
    }

    @Test("a form posted without its CSRF token, or with another session's, is refused and changes nothing")
    func csrf() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let instructor = try await PageSession(world, world.seed.instructor)
        let admin = try await PageSession(world, world.seed.admin)
        let earned = try #require(world.seed.credentials.first { $0.client == client }).badge
        // Earned and held no more (one valid award per badge and format): revoke what the demo issued of it.
        for credential in try await world.service.clientFile(client).credentials where credential.badge == earned {
            _ = try await world.service.ledger.revoke(credential: credential.id, reason: "test", by: "test")
        }
        let before = try await world.service.clientFile(client).credentials.count
        try await world.application().test(.router) { http in
            for token in [nil, "", admin.csrf] as [String?] {
                var body = "badge=\(earned)&language=fi"
                if let token { body += "&csrf=\(token)" }
                try await http.execute(
                    uri: "/clients/\(client)/award", method: .post, headers: instructor.headers(form: true), body: ByteBuffer(string: body)
                ) { response in
                    #expect(response.status == .forbidden, "token \(token ?? "none")")
                }
            }
            try await http.execute(
                uri: "/clients/\(client)/award", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "badge=\(earned)&language=fi&csrf=\(instructor.csrf)")
            ) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/clients/\(client)?notice=awarded")
            }
        }
        #expect(try await world.service.clientFile(client).credentials.count == before + 1)
    }

    @Test("awarding with the OB 2.0 twin issues both in one go; the client sees one badge with both downloads")
    func awardWithTwin() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let instructor = try await PageSession(world, world.seed.instructor)
        let own = try await PageSession(world, world.seed.clientUser)
        // A badge the client earned and holds no more: revoke every credential of it first.
        let badge = try #require(world.seed.credentials.first { $0.client == client }).badge
        for credential in try await world.service.clientFile(client).credentials where credential.badge == badge {
            _ = try await world.service.ledger.revoke(credential: credential.id, reason: "test", by: "test")
        }
        try await world.application().test(.router) { http in
            try await http.execute(
                uri: "/clients/\(client)/award", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "badge=\(badge)&language=sv&ob2=yes&csrf=\(instructor.csrf)")
            ) { response in #expect(response.status == .seeOther) }
            let file = try await world.service.clientFile(client)
            let fresh = file.credentials.filter { $0.badge == badge && !file.isRevoked($0.id) }
            #expect(Set(fresh.map(\.format)) == [.ob3JWT, .ob2Signed])
            #expect(Set(fresh.map(\.issuedAt)).count == 1 && fresh.allSatisfy { $0.language == .sv })
            try await http.execute(uri: "/my", method: .get, headers: own.headers()) { response in
                let html = String(buffer: response.body)
                #expect(html.components(separatedBy: "/my/badges/").count - 1 == Set(file.credentials.filter { !file.isRevoked($0.id) }.map(\.badge)).count)
            }
            let page = "/my/badges/" + (try #require(fresh.first { $0.format == .ob3JWT })).pageID
            try await http.execute(uri: page, method: .get, headers: own.headers()) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("/credential.jwt") && html.contains("/assertion.jws"))
            }
        }
    }

    @Test("the badge page says what the badge asks in a list without DigComp codes; the client turns a share link on, it opens signed out without the client's id, and off")
    func shareLinkPages() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let own = try await PageSession(world, world.seed.clientUser)
        let file = try await world.service.clientFile(client)
        let credential = try #require(file.credentials.first { $0.format == .ob3JWT && !file.isRevoked($0.id) })
        let page = "/my/badges/" + credential.pageID
        try await world.application().test(.router) { http in
            try await http.execute(uri: page, method: .get, headers: own.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<ul class=\"criteria\"><li>"))
                #expect(html.firstMatch(of: /<li>[0-9]\.[0-9]/) == nil, "a DigComp code in the list")
                #expect(html.contains("Tee jakolinkki") && !html.contains("id=\"share-url\""))
            }
            try await http.execute(
                uri: page + "/share", method: .post, headers: own.headers(form: true), body: ByteBuffer(string: "csrf=\(own.csrf)")
            ) { response in #expect(response.headers[.location] == page + "?notice=shareOn#share") }
            let share = try #require(try await world.service.store.shares(client: client).first)
            let link = "/shared/" + share.token
            let url = try world.service.shareURL(share)
            try await http.execute(uri: page, method: .get, headers: own.headers("fi")) { response in
                #expect(String(buffer: response.body).contains(url))
            }
            try await http.execute(uri: link, method: .get, headers: [.acceptLanguage: "sv"]) { response in
                let html = String(buffer: response.body)
                let name = try #require(world.service.compiled.definitions.badge(credential.badge)).name.text(in: .sv)
                #expect(response.status == .ok && html.contains(name) && html.contains("Märket är äkta"))
                #expect(!html.contains(client), "the public page shows the client's id")
                #expect(response.headers[HTTPField.Name("X-Robots-Tag")!] == "noindex, nofollow")
            }
            try await http.execute(
                uri: page + "/unshare", method: .post, headers: own.headers(form: true), body: ByteBuffer(string: "csrf=\(own.csrf)")
            ) { response in #expect(response.headers[.location] == page + "?notice=shareOff#share") }
            try await http.execute(uri: link, method: .get) { response in
                #expect(response.status == .notFound && String(buffer: response.body).contains("not in use") || String(buffer: response.body).contains("ei ole käytössä"))
            }
        }
    }

    @Test("the client list comes 50 at a time: the next links lead through every client of the instructor's units once, with the filters kept")
    func clientListPages() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        for number in 0..<120 { try await world.service.registerClient(id: String(format: "sk-%03d", number), unit: world.seed.unit, by: "test") }
        try await world.service.addUnit(id: "toinen", name: "Toinen", by: "test")
        try await world.service.registerClient(id: "sk-muu", unit: "toinen", by: "test")
        let instructor = try await PageSession(world, world.seed.instructor)
        let admin = try await PageSession(world, world.seed.admin)
        let expected = (world.seed.clients + (0..<120).map { String(format: "sk-%03d", $0) }).sorted()
        @Sendable func ids(_ html: String) -> [String] {
            html.components(separatedBy: "<th scope=\"row\"><a href=\"/clients/").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        }
        @Sendable func next(_ html: String) -> String? {
            guard let range = html.range(of: "\" rel=\"next\">") else { return nil }
            let start = html[..<range.lowerBound].range(of: "href=\"", options: .backwards)!.upperBound
            return String(html[start..<range.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
        }
        try await world.application().test(.router) { http in
            var seen: [String] = []
            var uri: String? = "/clients"
            var pages = 0
            while let page = uri {
                try await http.execute(uri: page, method: .get, headers: instructor.headers("fi")) { response in
                    let html = String(buffer: response.body)
                    #expect(response.status == .ok)
                    #expect(ids(html).count <= 50)
                    #expect(html.contains("Asiakkaita on yhteensä \(expected.count)."))
                    seen += ids(html)
                    uri = next(html)
                    if pages > 0 { #expect(html.contains("Listan alkuun")) }
                }
                pages += 1
            }
            #expect(seen == expected && pages == 3)
            // The start of a pseudonym, kept on the next page with the other filters.
            try await http.execute(uri: "/clients?q=sk-0&order=decisionEnd", method: .get, headers: instructor.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(ids(html) == Array(expected.filter { $0.hasPrefix("sk-0") }.prefix(50)))
                #expect(next(html)?.contains("q=sk-0") == true && next(html)?.contains("order=decisionEnd") == true)
            }
            // A unit not the instructor's shows no one; the admin sees that unit's client.
            try await http.execute(uri: "/clients?unit=toinen", method: .get, headers: instructor.headers("fi")) { response in
                #expect(ids(String(buffer: response.body)).isEmpty)
            }
            try await http.execute(uri: "/clients?unit=toinen", method: .get, headers: admin.headers("fi")) { response in
                #expect(ids(String(buffer: response.body)) == ["sk-muu"])
            }
            // A bad place in the list is a plain refusal, not an error of the server.
            try await http.execute(uri: "/clients?order=decisionEnd&after=x", method: .get, headers: instructor.headers("fi")) { response in
                #expect(response.status == .badRequest)
            }
        }
        // With many units, the unit is typed rather than chosen from a list that grows with the county.
        for number in 0..<WebPages.unitChoices { try await world.service.addUnit(id: "yksikko-\(number)", name: "Yksikkö", by: "test") }
        try await world.application().test(.router) { http in
            try await http.execute(uri: "/clients", method: .get, headers: admin.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<input id=\"unit\" name=\"unit\" type=\"text\"") && !html.contains("yksikko-7<"))
            }
        }
    }

    @Test("the skills summary: the instructor makes it only on the client's agreement, the client downloads their own; both are audited; others are refused")
    func handoverPages() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let own = try await PageSession(world, world.seed.clientUser)
        let instructor = try await PageSession(world, world.seed.instructor)
        let audited = try await world.service.store.auditLog().count
        try await world.application().test(.router) { http in
            try await http.execute(uri: "/clients/\(client)", method: .get, headers: instructor.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Tee osaamiskooste") && html.contains("name=\"consent\" value=\"yes\" required"))
            }
            try await http.execute(uri: "/my", method: .get, headers: own.headers("sv")) { response in
                #expect(String(buffer: response.body).contains("Ladda ner sammanställningen"))
            }
            // Without the client's agreement: refused, nothing made.
            try await http.execute(
                uri: "/clients/\(client)/handover", method: .post, headers: instructor.headers("fi", form: true), body: ByteBuffer(string: "csrf=\(instructor.csrf)")
            ) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("kysy asiakkaalta ensin"))
            }
            #expect(try await world.service.store.auditLog().count == audited)
            for (session, uri, body) in [
                (instructor, "/clients/\(client)/handover", "consent=yes&csrf=\(instructor.csrf)"), (own, "/my/handover", "csrf=\(own.csrf)"),
            ] {
                try await http.execute(uri: uri, method: .post, headers: session.headers(form: true), body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok, "\(uri)")
                    #expect(response.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"handover-\(client)-") == true)
                    #expect(response.headers[.cacheControl] == "private, no-store")
                    let bytes = Array(buffer: response.body)
                    let payload = response.headers[.contentType] == "application/vc+jwt" ? CompactJWS.payload(of: bytes) : bytes
                    guard case .object(let package)? = try payload.map(StrictJSON.read) else {
                        Issue.record("not a package: \(response.headers[.contentType] ?? "")")
                        return
                    }
                    #expect(package["type"] == ["VerifiableCredential", "ClrCredential"])
                }
            }
            let entries = try await world.service.store.auditLog().dropFirst(audited)
            #expect(entries.map(\.action) == ["handover.make", "handover.make"] && entries.allSatisfy { $0.subject == client })
            // The client's page is the client's; the instructor's is staff's; a forged form is refused.
            try await http.execute(
                uri: "/clients/\(client)/handover", method: .post, headers: own.headers(form: true), body: ByteBuffer(string: "consent=yes&csrf=\(own.csrf)")
            ) { response in #expect(response.status == .forbidden) }
            try await http.execute(
                uri: "/my/handover", method: .post, headers: instructor.headers(form: true), body: ByteBuffer(string: "csrf=\(instructor.csrf)")
            ) { response in #expect(response.status == .forbidden) }
            try await http.execute(uri: "/my/handover", method: .post, headers: own.headers(form: true), body: ByteBuffer(string: "csrf=x")) { response in
                #expect(response.status == .forbidden)
            }
            try await http.execute(uri: "/my/handover", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "")) {
                response in #expect(response.status == .seeOther && response.headers[.location] == "/signin")
            }
        }
    }

    @Test("add to a wallet: the client's badge page offers it, the next page shows the interaction URL as a QR code and links; a wallet gets protocols, a person a page")
    func walletPages() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let own = try await PageSession(world, world.seed.clientUser)
        let instructor = try await PageSession(world, world.seed.instructor)
        let file = try await world.service.clientFile(client)
        let credential = try #require(file.credentials.first { $0.format == .ob3JWT && !file.isRevoked($0.id) })
        let page = "/my/badges/" + credential.pageID
        try await world.application().test(.router) { http in
            try await http.execute(uri: page, method: .get, headers: own.headers("en")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Add the badge to a wallet") && html.contains("action=\"\(page)/wallet\""))
            }
            let url = try await http.execute(uri: page + "/wallet", method: .post, headers: own.headers("fi", form: true), body: ByteBuffer(string: "csrf=\(own.csrf)")) {
                response throws -> String in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && html.contains("<svg") && html.contains("href=\"interaction:http") && html.contains("Koodi toimii 15 minuuttia"))
                #expect(response.headers[.cacheControl] == "private, no-store")
                return try #require(html.firstMatch(of: /value="(http[^"]+\?iuv=1)"/)).output.1.description
            }
            let path = String(url[try #require(url.range(of: "/wallet/")).lowerBound...])
            try await http.execute(uri: path, method: .get, headers: [.accept: "application/json"]) { response in
                let body = String(buffer: response.body)
                #expect(response.status == .ok && body.contains("\"vcapi\"") && body.contains("/exchange"))
            }
            try await http.execute(uri: path, method: .get, headers: [.accept: "text/html", .acceptLanguage: "sv"]) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("plånboksapp"))
            }
            try await http.execute(uri: page + "/wallet", method: .post, headers: instructor.headers(form: true), body: ByteBuffer(string: "csrf=\(instructor.csrf)")) {
                response in #expect(response.status == .forbidden)
            }
        }
        #expect(try await world.service.store.auditLog().last?.action == "exchange.open")
    }

    @Test("a badge the client holds is offered as a replacement: the award page says so, and the old credential is revoked as replaced")
    func replaceOnAwardPage() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let instructor = try await PageSession(world, world.seed.instructor)
        let held = try #require(world.seed.credentials.first { $0.client == client && $0.format == .ob3JWT })
        try await world.application().test(.router) { http in
            try await http.execute(uri: "/clients/\(client)/award?badge=\(held.badge)", method: .get, headers: instructor.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && html.contains("Asiakkaalla on jo tämä merkki") && html.contains("name=\"replace\" value=\"yes\""))
                // The credential's language is offered as the client's own (the layout's language switch is apart from it).
                #expect(html.contains("<option value=\"fi\" selected>"))
            }
            // Without saying so, a second one is refused; replacing it revokes the one held.
            try await http.execute(
                uri: "/clients/\(client)/award", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "badge=\(held.badge)&csrf=\(instructor.csrf)")
            ) { response in #expect(response.status == .conflict) }
            try await http.execute(
                uri: "/clients/\(client)/award", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "badge=\(held.badge)&replace=yes&csrf=\(instructor.csrf)")
            ) { response in #expect(response.headers[.location] == "/clients/\(client)?notice=awarded") }
        }
        #expect(try await world.service.store.revocation(of: held.id)?.reason == "replaced")
        #expect(try await world.service.clientFile(client).credentials.filter { $0.badge == held.badge && $0.format == .ob3JWT }.count == 2)
    }

    @Test("an instructor confirms on the client page after a confirmation step, sees who and when, and withdraws it; a client cannot")
    func attestOnClientPage() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let instructor = try await PageSession(world, world.seed.instructor)
        let own = try await PageSession(world, world.seed.clientUser)
        let badge = "tyonhaku-verkossa"
        #expect(try await world.service.clientFile(client).attestations.filter { $0.badge == badge }.isEmpty)
        let before = try await world.service.clientFile(client).attestations
        try await world.application().test(.router) { http in
            try await http.execute(uri: "/clients/\(client)", method: .get, headers: instructor.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("href=\"/clients/\(client)/attest?badge=\(badge)\""))
                #expect(html.contains("ei vielä vahvistettu"))
            }
            try await http.execute(uri: "/clients/\(client)/attest?badge=\(badge)", method: .get, headers: instructor.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(html.contains("action=\"/clients/\(client)/attest\"") && html.contains("Vahvista vain, jos olet nähnyt sen itse"))
            }
            // A client cannot confirm, not even with their own session's token.
            try await http.execute(
                uri: "/clients/\(client)/attest", method: .post, headers: own.headers(form: true), body: ByteBuffer(string: "badge=\(badge)&csrf=\(own.csrf)")
            ) { response in #expect(response.status == .forbidden) }
            #expect(try await world.service.clientFile(client).attestations == before)
            try await http.execute(
                uri: "/clients/\(client)/attest", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "badge=\(badge)&role=instructor&csrf=\(instructor.csrf)")
            ) { response in #expect(response.headers[.location] == "/clients/\(client)?notice=attested") }
            #expect(try await world.service.clientFile(client).attestations.filter { $0.badge == badge }.map(\.by) == [world.seed.instructor])
            try await http.execute(uri: "/clients/\(client)?notice=attested", method: .get, headers: instructor.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Vahvistus tallennettu.") && html.contains("vahvistanut \(world.seed.instructor)"))
                #expect(html.contains("href=\"/clients/\(client)/attest?badge=\(badge)&amp;withdraw=yes\""))
            }
            // Confirming twice is refused with the page's words; withdrawing has its own step.
            try await http.execute(uri: "/clients/\(client)/attest?badge=\(badge)", method: .get, headers: instructor.headers("fi")) { response in
                #expect(response.status == .conflict)
            }
            try await http.execute(uri: "/clients/\(client)/attest?badge=\(badge)&withdraw=yes", method: .get, headers: instructor.headers("fi")) { response in
                #expect(String(buffer: response.body).contains("action=\"/clients/\(client)/withdraw-attestation\""))
            }
            try await http.execute(
                uri: "/clients/\(client)/withdraw-attestation", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "badge=\(badge)&csrf=\(instructor.csrf)")
            ) { response in #expect(response.headers[.location] == "/clients/\(client)?notice=attestationWithdrawn") }
            #expect(try await world.service.clientFile(client).attestations == before)
        }
    }

    @Test("the admin makes an API token on its page, sees the secret once (it works), and revokes it there; refused forms say why")
    func tokensPage() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let admin = try await PageSession(world, world.seed.admin)
        let instructor = try await PageSession(world, world.seed.instructor)
        try await world.application().test(.router) { http in
            try await http.execute(
                uri: "/admin/tokens", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "user=\(world.seed.instructor)&name=x&scope-read=yes&csrf=\(instructor.csrf)")
            ) { response in #expect(response.status == .forbidden) }
            try await http.execute(
                uri: "/admin/tokens", method: .post, headers: admin.headers("fi", form: true),
                body: ByteBuffer(string: "user=\(world.seed.instructor)&name=portaali&expires=30.6.2027&scope-read=yes&csrf=\(admin.csrf)")
            ) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("Päivämäärä ei kelpaa"))
            }
            let secret = try await http.execute(
                uri: "/admin/tokens", method: .post, headers: admin.headers("fi", form: true),
                body: ByteBuffer(string: "user=\(world.seed.instructor)&name=portaali&expires=2099-06-30&scope-read=yes&scope-record=yes&csrf=\(admin.csrf)")
            ) { response throws in
                let html = String(buffer: response.body)
                #expect(response.status == .created && html.contains("Sitä ei näytetä uudelleen"))
                return try #require(html.firstRange(of: "id=\"made-token\" type=\"text\" class=\"wide\" readonly value=\"").map { String(html[$0.upperBound...].prefix { $0 != "\"" }) })
            }
            let actor = try await world.service.authenticate(token: secret)
            #expect(actor.user.id == world.seed.instructor && actor.scopes == [.read, .record])
            let id = String(secret.split(separator: "_")[1])
            try await http.execute(uri: "/admin/tokens", method: .get, headers: admin.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<code>\(id)</code>") && !html.contains(String(secret.suffix(64))))
            }
            try await http.execute(
                uri: "/admin/tokens/revoke", method: .post, headers: admin.headers(form: true), body: ByteBuffer(string: "token=\(id)&csrf=\(admin.csrf)")
            ) { response in #expect(response.headers[.location] == "/admin/tokens?notice=tokenRevoked") }
            await #expect(throws: CoreError.self) { try await world.service.authenticate(token: secret) }
            // Fifty a page, newest first: the oldest token is on the next page, which links back to the first.
            for number in 0..<50 { _ = try await world.service.createToken(for: world.seed.instructor, name: "n\(number)", scopes: [.read], by: "test") }
            let oldest = try #require(try await world.service.tokens().first?.id)
            let next = try await http.execute(uri: "/admin/tokens", method: .get, headers: admin.headers("fi")) { response throws in
                let html = String(buffer: response.body)
                #expect(!html.contains("<code>\(oldest)</code>") && html.contains("Vanhemmat API-tunnukset"))
                return try #require(Self.nextPage(in: html, of: "/admin/tokens"))
            }
            try await http.execute(uri: next, method: .get, headers: admin.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<code>\(oldest)</code>") && html.contains("<a href=\"/admin/tokens\">") && !html.contains("rel=\"next\""))
            }
        }
    }

    @Test("the admin imports record files on a page: each whole or not at all, refusals located; instructors cannot")
    func importPage() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let admin = try await PageSession(world, world.seed.admin)
        let instructor = try await PageSession(world, world.seed.instructor)
        @Sendable func form(_ session: PageSession, _ files: [(String, String)]) -> (HTTPFields, ByteBuffer) {
            let boundary = "----merkisto"
            var text = "--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(session.csrf)\r\n"
            for (name, content) in files {
                text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\(name)\"\r\nContent-Type: application/json\r\n\r\n\(content)\r\n"
            }
            text += "--\(boundary)--\r\n"
            var headers = session.headers("fi")
            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
            return (headers, ByteBuffer(string: text))
        }
        let good = #"{"client": "tuotu-sivulta"}"#
        let bad = #"{"client": "rikki-sivulta", "assessments": [{"id": "x"}]}"#
        try await world.application().test(.router) { http in
            let (refusedHeaders, refusedBody) = form(instructor, [("hyva.json", good)])
            try await http.execute(uri: "/admin/import", method: .post, headers: refusedHeaders, body: refusedBody) { response in
                #expect(response.status == .forbidden)
            }
            await #expect(throws: CoreError.self) { try await world.service.clientFile("tuotu-sivulta") }
            let (headers, body) = form(admin, [("hyva.json", good), ("rikki.json", bad)])
            try await http.execute(uri: "/admin/import", method: .post, headers: headers, body: body) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(html.contains("Tuotu: 1. Ei tuotu: 1."))
                #expect(html.contains("<a href=\"/clients/tuotu-sivulta\">tuotu-sivulta</a>"))
                #expect(html.contains("<strong>rikki.json</strong>") && html.contains("<code>assessments[0]"))
            }
            let (emptyHeaders, emptyBody) = form(admin, [])
            try await http.execute(uri: "/admin/import", method: .post, headers: emptyHeaders, body: emptyBody) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("Valitse ainakin yksi tiedosto."))
            }
        }
        #expect(try await world.service.clientFile("tuotu-sivulta").client.id == "tuotu-sivulta")
        await #expect(throws: CoreError.self) { try await world.service.clientFile("rikki-sivulta") }
    }

    @Test("the admin uploads a set with an error and sees it located, uploads the fixed set, tries it, puts it in use and rolls back")
    func definitionsVersionsPage() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let admin = try await PageSession(world, world.seed.admin)
        let instructor = try await PageSession(world, world.seed.instructor)
        let folder = try AdministrationTests.definitionsCopy(in: world.directory)
        let badge = folder + "/badges/asiointi-verkossa.xml"
        let original = try String(contentsOfFile: badge, encoding: .utf8)
        let first = world.service.compiled.digest
        @Sendable func form(_ session: PageSession, _ archive: ByteBuffer) -> (HTTPFields, ByteBuffer) {
            let boundary = "----merkisto"
            var body = ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(session.csrf)\r\n")
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"archive\"; filename=\"maarittelyt.tar.gz\"\r\nContent-Type: application/gzip\r\n\r\n")
            var archive = archive
            body.writeBuffer(&archive)
            body.writeString("\r\n--\(boundary)--\r\n")
            var headers = session.headers("fi")
            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
            return (headers, body)
        }
        try await world.application(definitions: folder).test(.router) { http in
            try original.replacingOccurrences(of: #"<competence ref="1.3""#, with: #"<competence ref="9.9""#).write(toFile: badge, atomically: true, encoding: .utf8)
            let (refusedHeaders, refusedBody) = form(instructor, try AdministrationTests.tarGz(folder))
            try await http.execute(uri: "/admin/definitions/upload", method: .post, headers: refusedHeaders, body: refusedBody) { response in
                #expect(response.status == .forbidden)
            }
            let (brokenHeaders, brokenBody) = form(admin, try AdministrationTests.tarGz(folder))
            try await http.execute(uri: "/admin/definitions/upload", method: .post, headers: brokenHeaders, body: brokenBody) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .unprocessableContent)
                #expect(html.contains("Versiota ei tallennettu") && html.contains("<code>badges/asiointi-verkossa.xml:15:"))
            }
            try original.replacingOccurrences(of: "Asiointi verkossa", with: "Asioi verkossa").write(toFile: badge, atomically: true, encoding: .utf8)
            let (headers, body) = form(admin, try AdministrationTests.tarGz(folder))
            try await http.execute(uri: "/admin/definitions/upload", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .seeOther && response.headers[.location]?.hasPrefix("/admin/definitions?notice=versionKept") == true)
            }
            let versions = try await world.service.store.definitionsVersions().map(\.digest)
            #expect(versions.count == 2 && versions.first == first)
            let second = versions[1]
            try await http.execute(
                uri: "/admin/definitions/versions/\(second)/dry-run", method: .post, headers: admin.headers("fi", form: true), body: ByteBuffer(string: "csrf=\(admin.csrf)")
            ) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && html.contains("Versio \(second.prefix(12))") && html.contains("/admin/definitions/versions/\(second)/activate"), "\(response.status) \(html.prefix(600))")
            }
            for digest in [second, first] {
                try await http.execute(
                    uri: "/admin/definitions/versions/\(digest)/activate", method: .post, headers: admin.headers("fi", form: true),
                    body: ByteBuffer(string: "csrf=\(admin.csrf)")
                ) { response in #expect(response.headers[.location] == "/admin/definitions?notice=versionActivated") }
                #expect(try await world.service.store.activeDefinitions() == digest)
            }
            try await http.execute(uri: "/admin/definitions", method: .get, headers: admin.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("id=\"version-\(first.prefix(12))\"") && html.contains("id=\"version-\(second.prefix(12))\""))
            }
            // Fifty a page, newest first: the first set kept is on the next page, which links back to the first.
            for number in 0..<49 {
                try await world.service.store.addDefinitionsVersion(
                    DefinitionsVersion(digest: "d\(number)", files: 1, uploadedBy: "test", uploadedAt: world.service.now), archive: [], by: "test", at: world.service.now)
            }
            let next = try await http.execute(uri: "/admin/definitions", method: .get, headers: admin.headers("fi")) { response throws in
                let html = String(buffer: response.body)
                #expect(!html.contains("id=\"version-\(first.prefix(12))\"") && html.contains("Vanhemmat versiot"))
                return try #require(Self.nextPage(in: html, of: "/admin/definitions"))
            }
            try await http.execute(uri: next, method: .get, headers: admin.headers("fi")) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("id=\"version-\(first.prefix(12))\"") && html.contains("<a href=\"/admin/definitions#versions-heading\">"))
                #expect(!html.contains("Vanhemmat versiot"))
            }
        }
    }

    @Test("the admin erases a client after typing the id; a wrong id erases nothing and says why; instructors cannot")
    func erasePage() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let admin = try await PageSession(world, world.seed.admin)
        let instructor = try await PageSession(world, world.seed.instructor)
        try await world.application().test(.router) { http in
            try await http.execute(uri: "/clients/\(client)", method: .get, headers: admin.headers("fi")) { response in
                #expect(String(buffer: response.body).contains("href=\"/clients/\(client)/erase\""))
            }
            try await http.execute(uri: "/clients/\(client)", method: .get, headers: instructor.headers("fi")) { response in
                #expect(!String(buffer: response.body).contains("/erase\""))
            }
            try await http.execute(
                uri: "/clients/\(client)/erase", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "confirm=\(client)&csrf=\(instructor.csrf)")
            ) { response in #expect(response.status == .forbidden) }
            try await http.execute(
                uri: "/clients/\(client)/erase", method: .post, headers: admin.headers("fi", form: true),
                body: ByteBuffer(string: "confirm=\(client)-x&csrf=\(admin.csrf)")
            ) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("aria-invalid=\"true\""))
            }
            #expect(try await world.service.clientFile(client).client.erasedAt == nil)
            try await http.execute(
                uri: "/clients/\(client)/erase", method: .post, headers: admin.headers(form: true),
                body: ByteBuffer(string: "confirm=\(client)&csrf=\(admin.csrf)")
            ) { response in #expect(response.headers[.location] == "/clients/\(client)?notice=erased") }
            #expect(try await world.service.clientFile(client).client.erasedAt != nil)
        }
    }

    @Test("an instructor suspends a credential and lifts the suspension; meanwhile it does not verify")
    func suspendAndLift() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let instructor = try await PageSession(world, world.seed.instructor)
        let credential = try #require(world.seed.credentials.first { $0.client == client && $0.format == .ob3JWT })
        #expect(credential.status != nil)
        let id = credential.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let admin = try await PageSession(world, world.seed.admin)
        try await world.application().test(.router) { http in
            // With another session's CSRF token: refused, nothing suspended.
            try await http.execute(
                uri: "/clients/\(client)/suspend", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "credential=\(id)&reason=x&csrf=\(admin.csrf)")
            ) { response in #expect(response.status == .forbidden) }
            // Without a reason: the form again, nothing suspended.
            try await http.execute(
                uri: "/clients/\(client)/suspend", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "credential=\(id)&csrf=\(instructor.csrf)")
            ) { response in #expect(response.status == .badRequest) }
            #expect(try await world.service.clientFile(client).isSuspended(credential.id) == false)
            try await http.execute(
                uri: "/clients/\(client)/suspend", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "credential=\(id)&reason=tarkistetaan&csrf=\(instructor.csrf)")
            ) { response in #expect(response.status == .seeOther) }
            #expect(try await world.service.clientFile(client).isSuspended(credential.id))
            #expect(try await world.service.verify(credential.bytes).failures == [.suspended])
            try await http.execute(uri: "/clients/\(client)", method: .get, headers: instructor.headers()) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("action=\"/clients/\(client)/lift\""))
            }
            try await http.execute(
                uri: "/clients/\(client)/lift", method: .post, headers: instructor.headers(form: true),
                body: ByteBuffer(string: "credential=\(id)&csrf=\(instructor.csrf)")
            ) { response in #expect(response.status == .seeOther) }
            #expect(try await world.service.clientFile(client).isSuspended(credential.id) == false)
            #expect(try await world.service.verify(credential.bytes).isValid)
        }
    }

    @Test("the sign-in forms repeat the token of their own cookie: a post without it signs no one in; an over-large one is said to be too large")
    func signInFormToken() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let password = try #require(world.seed.passwords[world.seed.instructor])
        try await world.application().test(.router) { http in
            let (token, cookie) = try await http.execute(uri: "/signin", method: .get) { response throws in
                let html = String(buffer: response.body)
                let token = try #require(html.firstRange(of: "name=\"form_token\" value=\"").map { String(html[$0.upperBound...].prefix(32)) })
                let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix(WebPages.formCookie + "=") })
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
                return (token, String(cookie.split(separator: ";")[0]))
            }
            let body = "user=\(world.seed.instructor)&password=\(password)"
            let attempts: [(HTTPFields, String, HTTPResponse.Status)] = [
                ([.contentType: "application/x-www-form-urlencoded"], body, .forbidden),
                ([.contentType: "application/x-www-form-urlencoded"], body + "&form_token=\(token)", .forbidden),
                ([.contentType: "application/x-www-form-urlencoded", .cookie: cookie], body, .forbidden),
                // One character changed (always to another one: a token may start with "0").
                ([.contentType: "application/x-www-form-urlencoded", .cookie: cookie], body + "&form_token=\(token.first == "0" ? "1" : "0")\(token.dropFirst())", .forbidden),
                // Over the form's 4 kB, with the right token: refused as too large, said as such.
                ([.contentType: "application/x-www-form-urlencoded", .cookie: cookie], body + "&form_token=\(token)&pad=" + String(repeating: "a", count: 5000), .contentTooLarge),
                ([.contentType: "application/x-www-form-urlencoded", .cookie: cookie], body + "&form_token=\(token)", .seeOther),
            ]
            for (headers, body, status) in attempts {
                try await http.execute(uri: "/signin", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == status)
                    let session = response.headers[values: .setCookie].contains { $0.hasPrefix("merkisto_session=") }
                    #expect(session == (status == .seeOther))
                    if status == .contentTooLarge { #expect(String(buffer: response.body).contains("Nimi tai salasana on liian pitkä.")) }
                }
            }
        }
    }

    @Test("pages check roles: anonymous visitors are sent to sign in; clients, instructors and admins see only their pages")
    func roles() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let otherCredential = try #require(world.seed.credentials.first { $0.client != client })
        let decided = try #require(world.seed.credentials.first { $0.client == client })
        let notEarned = try #require(try await world.service.evaluate(client: client).badges.first { !$0.earned }).id
        let sessions: [String: PageSession?] = await [
            "anonymous": nil, "client": try PageSession(world, world.seed.clientUser),
            "instructor": try PageSession(world, world.seed.instructor), "admin": try PageSession(world, world.seed.admin),
        ]
        let expected: [(uri: String, status: [String: HTTPResponse.Status])] = [
            ("/clients", ["anonymous": .seeOther, "client": .forbidden, "instructor": .ok, "admin": .ok]),
            ("/clients/\(client)", ["anonymous": .seeOther, "client": .forbidden, "instructor": .ok, "admin": .ok]),
            ("/clients/ei-ketaan", ["anonymous": .seeOther, "client": .forbidden, "instructor": .notFound, "admin": .notFound]),
            ("/my", ["anonymous": .seeOther, "client": .ok, "instructor": .forbidden, "admin": .forbidden]),
            ("/my/export", ["anonymous": .seeOther, "client": .ok, "instructor": .forbidden, "admin": .forbidden]),
            ("/my/badges/\(otherCredential.pageID)", ["anonymous": .seeOther, "client": .notFound, "instructor": .forbidden, "admin": .forbidden]),
            ("/admin/definitions", ["anonymous": .seeOther, "client": .forbidden, "instructor": .forbidden, "admin": .ok]),
            ("/admin/keys", ["anonymous": .seeOther, "client": .forbidden, "instructor": .forbidden, "admin": .ok]),
            ("/admin/users", ["anonymous": .seeOther, "client": .forbidden, "instructor": .forbidden, "admin": .ok]),
            ("/admin/audit", ["anonymous": .seeOther, "client": .forbidden, "instructor": .forbidden, "admin": .ok]),
            ("/admin/tokens", ["anonymous": .seeOther, "client": .forbidden, "instructor": .forbidden, "admin": .ok]),
            ("/admin/import", ["anonymous": .seeOther, "client": .forbidden, "instructor": .forbidden, "admin": .ok]),
            ("/clients/\(client)/erase", ["anonymous": .seeOther, "client": .forbidden, "instructor": .forbidden, "admin": .ok]),
            ("/clients/\(client)/attest?badge=tyonhaku-verkossa", ["anonymous": .seeOther, "client": .forbidden, "instructor": .ok, "admin": .ok]),
            ("/clients/\(client)/award", ["anonymous": .seeOther, "client": .forbidden, "instructor": .ok, "admin": .ok]),
            ("/clients/\(client)/decision?credential=\(decided.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
             ["anonymous": .seeOther, "client": .forbidden, "instructor": .ok, "admin": .ok]),
            // A badge not earned cannot be awarded; one held is offered as a replacement.
            ("/clients/\(client)/award?badge=\(notEarned)", ["anonymous": .seeOther, "client": .forbidden, "instructor": .conflict, "admin": .conflict]),
            ("/clients/\(client)/award?badge=\(decided.badge)", ["anonymous": .seeOther, "client": .forbidden, "instructor": .ok, "admin": .ok]),
            ("/verify", ["anonymous": .ok, "client": .ok, "instructor": .ok, "admin": .ok]),
            ("/shared/\(String(repeating: "0", count: 32))", ["anonymous": .notFound, "client": .notFound, "instructor": .notFound, "admin": .notFound]),
            ("/wallet/\(String(repeating: "0", count: 32))?iuv=1", ["anonymous": .notFound, "client": .notFound, "instructor": .notFound, "admin": .notFound]),
            // The Open Badges 3.0 API: discovery is public; the read endpoints take OAuth access tokens only (no
            // session); an authorization request for no registered service is refused to everyone, never redirected.
            ("/ims/ob/v3p0/discovery", ["anonymous": .ok, "client": .ok, "instructor": .ok, "admin": .ok]),
            ("/ims/ob/v3p0/credentials", ["anonymous": .unauthorized, "client": .unauthorized, "instructor": .unauthorized, "admin": .unauthorized]),
            ("/ims/ob/v3p0/profile", ["anonymous": .unauthorized, "client": .unauthorized, "instructor": .unauthorized, "admin": .unauthorized]),
            ("/oauth/authorize?client_id=nobody&redirect_uri=https%3A%2F%2Fevil.example%2F", ["anonymous": .badRequest, "client": .badRequest, "instructor": .badRequest, "admin": .badRequest]),
            ("/signin", ["anonymous": .ok, "client": .ok, "instructor": .ok, "admin": .ok]),
        ]
        try await world.application(definitions: DemoWorld.repository + "/BadgeDefinitions").test(.router) { http in
            for page in expected {
                for (who, session) in sessions {
                    try await http.execute(uri: page.uri, method: .get, headers: session?.headers() ?? [:]) { response in
                        #expect(response.status == page.status[who], "\(page.uri) as \(who)")
                        if response.status == .seeOther { #expect(response.headers[.location] == "/signin") }
                    }
                }
            }
        }
    }
}

@Suite("HTML escaping")
struct HTMLEscapingTests {
    /// swift-mustache's own HTML escaping, the independent implementation ours must equal.
    static func mustache(_ text: String) throws -> String {
        try MustacheTemplate(string: "{{x}}").render(["x": text])
    }

    @Test("our escaping equals swift-mustache's, byte for byte, on hostile and generated text")
    func sameAsMustache() throws {
        var samples = [
            "", "plain", "<script>alert('x')</script>", "a & b", "\"quoted\"", "'", "&amp;", "<<>>", "ä ö å – ✓ 🙂",
            "\u{0}", "tab\tand\nnewline", "a<b>c&d\"e'f", String(repeating: "&", count: 1000),
        ]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab<>&\"' äö🙂\n/=;#x".unicodeScalars)
        for _ in 0..<2000 {
            let length = Int.random(in: 0...40, using: &generator)
            samples.append(String(String.UnicodeScalarView((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })))
        }
        for sample in samples {
            #expect(HTMLText.escaped(sample) == (try Self.mustache(sample)), "\(sample.debugDescription)")
            var html = HTMLText()
            html.text(sample)
            #expect(html.html == (try Self.mustache(sample)))
        }
    }

    @Test("the fixed texts written into the templates render as the {{t.…}} tags did, in every template and language")
    func textsWrittenIn() throws {
        let renderer = try PageRenderer()
        MustacheContentTypes.register(PageHTMLContentType(), named: PageHTMLContentType.name)
        var tags = MustacheLibrary()
        for (name, source) in PageRenderer.templateSources() { try tags.register(source, named: name) }
        var replaced = 0
        for language in Language.allCases {
            let written = try #require(renderer.libraries[language])
            for (name, source) in PageRenderer.templateSources() {
                // Sections that are on show their texts too.
                let context: [String: Any] = [
                    "t": renderer.texts.tree(language), "lang": language.rawValue, "title": "x", "hasAssessments": true, "hasCredentials": true,
                    "evaluation": ["hasAwardable": false, "baselines": [["name": "b", "met": true]]],
                ]
                let expected = tags.render(context, withTemplate: name)
                #expect(expected != nil)
                #expect(written.render(context, withTemplate: name) == expected, "\(name) in \(language)")
                replaced += source.components(separatedBy: "{{t.").count - 1
            }
        }
        #expect(replaced > 300)
        // A text with markup is escaped where it is written in; a key the language lacks stays a tag.
        let texts = renderer.texts
        let key = try #require(texts.table.keys.first { texts.table.has($0, in: .en) })
        #expect(PageRenderer.withTexts("a{{t.\(key)}}b{{t.no.such.key}}c{{t.open", .en, texts) == "a" + HTMLText.escaped(texts.text(key, .en)) + "b{{t.no.such.key}}c{{t.open")
    }

    @Test("the templates escape with it: a value with markup is shown as text on a page")
    func templatesEscape() throws {
        let renderer = try PageRenderer()
        let sources = PageRenderer.templateSources()
        for (name, source) in sources {
            #expect(source.hasPrefix("{{% CONTENT_TYPE: \(PageHTMLContentType.name)}}"), "\(name) does not name the pages' escaping")
        }
        let html = renderer.libraries[.fi]?.render(["message": "<b onclick='x'>&</b>", "title": "<i>"], withTemplate: "error") ?? ""
        #expect(html.contains("&lt;b onclick=&#39;x&#39;&gt;&amp;&lt;/b&gt;"))
        #expect(!html.contains("<b onclick"))
        #expect(html.contains("<title>&lt;i&gt;"))
    }
}
