import Basics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MerkistoCore
import Rendering
import NIOCore
import Server
import Storage
import Testing

@Suite("Sign-in")
struct SignInTests {
    static func signIn(_ user: String, _ password: String) -> ByteBuffer {
        body(["user": .string(user), "password": .string(password)])
    }

    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    /// The session cookie's value in a Set-Cookie header.
    static func cookie(_ response: TestResponse) -> String? {
        response.headers[.setCookie]?.split(separator: ";").first.map(String.init)
    }

    @Test("a person signs in with a password: an HttpOnly, SameSite=Strict cookie; changes need the CSRF token; sign-out ends it")
    func session() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let password = try #require(world.seed.passwords[world.seed.instructor])
        let own = try #require(world.seed.client)
        try await world.application().test(.router) { client in
            let (cookie, csrf) = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: Self.jsonHeaders, body: Self.signIn(world.seed.instructor, password)
            ) { response throws in
                #expect(response.status == .created)
                let header = try #require(response.headers[.setCookie])
                for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] { #expect(header.contains(attribute), "\(attribute)") }
                #expect(!header.contains("Secure"), "an http base URL: the cookie must also work without TLS")
                let csrf = try #require(try json(response)["csrfToken"] as? String)
                return (try #require(Self.cookie(response)), csrf)
            }
            #expect(cookie.hasPrefix("merkisto_session=") && cookie.count == "merkisto_session=".count + 64)
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: cookie]) { response throws in
                #expect(response.status == .ok)
                #expect(try json(response)["role"] as? String == "instructor")
            }
            let change = "/api/v1/clients/\(own)/pathway/phase"
            let phase = body(["phase": "aktivointisuunnitelma"])
            // Without the CSRF token, or with another, a change is refused; with it, it is done.
            for token in [nil, "0123"] as [String?] {
                var headers: HTTPFields = [.cookie: cookie, .contentType: "application/json"]
                if let token { headers[HTTPField.Name("X-CSRF-Token")!] = token }
                try await client.execute(uri: change, method: .post, headers: headers, body: phase) { response in
                    #expect(response.status == .forbidden)
                }
            }
            var headers: HTTPFields = [.cookie: cookie, .contentType: "application/json"]
            headers[HTTPField.Name("X-CSRF-Token")!] = csrf
            try await client.execute(uri: change, method: .post, headers: headers, body: phase) { response in #expect(response.status == .ok) }
            #expect(try await world.service.ledger.auditLog().last?.actor == world.seed.instructor)
            // Sign out: the cookie is cleared and the session no longer works.
            try await client.execute(uri: "/api/v1/session", method: .delete, headers: headers) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("a wrong password and an unknown user are refused alike; repeated failures slow down the address that made them")
    func refusalsAndThrottling() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let password = try #require(world.seed.passwords[world.seed.admin])
        try await world.application().test(.router) { client in
            var details: Set<String> = []
            for (user, attempt) in [(world.seed.admin, "wrong-password"), ("ei-ketaan", "wrong-password")] {
                try await client.execute(uri: "/api/v1/session", method: .post, headers: Self.jsonHeaders, body: Self.signIn(user, attempt)) {
                    response throws in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.setCookie] == nil)
                    details.insert(try json(response)["detail"] as? String ?? "")
                }
            }
            #expect(details.count == 1)
            // Three more failures from the same address: the fourth one after the free three; then this address
            // waits before it may try the account again, even with the right password.
            for _ in 0..<3 {
                try await client.execute(uri: "/api/v1/session", method: .post, headers: Self.jsonHeaders, body: Self.signIn(world.seed.admin, "wrong-again")) {
                    response in #expect(response.status == .unauthorized)
                }
            }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: Self.jsonHeaders, body: Self.signIn(world.seed.admin, password)) {
                response throws in
                #expect(response.status == .tooManyRequests)
                let wait = try #require(response.headers[.retryAfter].flatMap { Int($0) })
                #expect(wait > 0 && wait <= 900)
            }
            // Another account is not locked by it.
            let instructor = try #require(world.seed.passwords[world.seed.instructor])
            try await client.execute(uri: "/api/v1/session", method: .post, headers: Self.jsonHeaders, body: Self.signIn(world.seed.instructor, instructor)) {
                response in #expect(response.status == .created)
            }
        }
        // Only a bcrypt hash is stored.
        let stored = try #require(try await world.service.store.passwordHash(user: world.seed.admin))
        #expect(stored.hasPrefix("$2") && !stored.contains(password))
    }

    @Test("with an https base URL the cookie is Secure; a new password ends the user's sessions")
    func secureCookieAndPasswordChange() async throws {
        let world = try await DemoWorld(base: "https://badges.example.org/")
        defer { world.cleanup() }
        let password = try #require(world.seed.passwords[world.seed.clientUser])
        try await world.application().test(.router) { client in
            let cookie = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: Self.jsonHeaders, body: Self.signIn(world.seed.clientUser, password)
            ) { response throws in
                #expect(response.headers[.setCookie]?.contains("; Secure") == true)
                return try #require(Self.cookie(response))
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: cookie]) { response in #expect(response.status == .ok) }
            try await world.service.setPassword(user: world.seed.clientUser, password: "uusi-salasana-123", by: "test")
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .unauthorized)
            }
        }
        await #expect(throws: CoreError.self) { try await world.service.setPassword(user: world.seed.clientUser, password: "lyhyt", by: "test") }
    }

    @Test("a client signs in once with the one-time code their instructor made; the code then and after a day works no more")
    func oneTimeCodes() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let service = world.service
        let token = try await service.createToken(for: world.seed.instructor, name: "t", scopes: [.read, .record], by: "test").text
        let client = try await service.createToken(for: world.seed.clientUser, name: "t", scopes: [.read], by: "test").text
        let session = try await service.signInNow(user: world.seed.instructor, password: try #require(world.seed.passwords[world.seed.instructor]), address: nil)
        let instructor: HTTPFields = [.cookie: "merkisto_session=" + session.token, HTTPField.Name("X-CSRF-Token")!: session.session.csrf]
        try await world.application().test(.router) { http in
            let uri = "/api/v1/users/\(world.seed.clientUser)/signin-codes"
            try await http.execute(uri: uri, method: .post, headers: [.authorization: "Bearer " + client]) { response in
                #expect(response.status == .forbidden)
            }
            // A token, even with the record scope, makes no code: a code acts as the client.
            try await http.execute(uri: uri, method: .post, headers: [.authorization: "Bearer " + token]) { response in
                #expect(response.status == .forbidden)
            }
            try await http.execute(uri: "/api/v1/users/\(world.seed.instructor)/signin-codes", method: .post, headers: instructor) {
                response in #expect(response.status == .notFound, "codes are for client users only")
            }
            let code = try await http.execute(uri: uri, method: .post, headers: instructor) { response throws in
                #expect(response.status == .created)
                let body = try json(response)
                #expect((body["qrSvg"] as? String)?.hasPrefix("<svg") == true)
                #expect((body["link"] as? String)?.hasSuffix("signin?code=" + ((body["code"] as? String) ?? "").replacingOccurrences(of: "-", with: "")) == true)
                return try #require(body["code"] as? String)
            }
            #expect(code.count == 9 && code.dropFirst(4).first == "-")
            // Typed in lower case without the dash: signed in, as the client.
            try await http.execute(
                uri: "/api/v1/session/code", method: .post, headers: Self.jsonHeaders,
                body: body(["code": .string(code.lowercased().replacingOccurrences(of: "-", with: ""))])
            ) { response throws in
                #expect(response.status == .created)
                #expect(try json(response)["role"] as? String == "client")
                #expect(response.headers[.setCookie]?.contains("HttpOnly") == true)
            }
            // Used up.
            try await http.execute(uri: "/api/v1/session/code", method: .post, headers: Self.jsonHeaders, body: body(["code": .string(code)])) {
                response in #expect(response.status == .unauthorized)
            }
        }
        // A new code cancels the older unused one.
        let older = try await service.createSignInCode(for: world.seed.clientUser, by: "test")
        let newer = try await service.createSignInCode(for: world.seed.clientUser, by: "test")
        await #expect(throws: CoreError.self) { try await service.signIn(code: older.code, address: nil) }
        #expect(try await service.signIn(code: newer.code, address: nil).user.id == world.seed.clientUser)
        // A code not used within a day works no more.
        let late = try await service.createSignInCode(for: world.seed.clientUser, by: "test")
        let dayLater = BadgeService(
            store: service.store, compiled: service.compiled, keys: service.keys, baseURL: world.base,
            clock: { Timestamp(microseconds: DemoWorld.now.microseconds + BadgeService.codeLifetime + 1) })
        await #expect(throws: CoreError.self) { try await dayLater.signIn(code: late.code, address: nil) }
        #expect(try await service.signIn(code: late.code, address: nil).user.id == world.seed.clientUser)
        // Only the hash of a code is kept.
        #expect(try await service.store.auditLog().allSatisfy { !$0.detail.contains(late.code) && !$0.subject.contains(late.code) })
    }

    @Test("behind a proxy, sign-ins are throttled by the address the proxy appends to X-Forwarded-For, not by entries a client forged")
    func forwardedAddress() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let application = try await MerkistoServer.application(
            service: world.service, configuration: ServerConfiguration(behindProxy: true), logger: Logger(label: "test"))
        try await application.test(.router) { client in
            func attempt(_ forwarded: String) async throws -> HTTPResponse.Status {
                var headers = Self.jsonHeaders
                headers[HTTPField.Name("X-Forwarded-For")!] = forwarded
                return try await client.execute(uri: "/api/v1/session/code", method: .post, headers: headers, body: body(["code": "ABCD-EFGH"])) {
                    $0.status
                }
            }
            // Ten wrong codes from one address, each with a different forged first entry.
            for index in 0..<SignInThrottle.codesPerAddress {
                let status = try await attempt("10.0.0.\(index), 192.0.2.7")
                #expect(status == .unauthorized)
            }
            let throttled = try await attempt("192.0.2.7")
            #expect(throttled == .tooManyRequests)
            let other = try await attempt("192.0.2.7, 198.51.100.1")
            #expect(other == .unauthorized)
        }
    }

    @Test("no one is locked out: six wrong passwords from one address, then the right one from another signs in at once")
    func noLockout() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let application = try await MerkistoServer.application(
            service: world.service, configuration: ServerConfiguration(behindProxy: true), logger: Logger(label: "test"))
        let password = try #require(world.seed.passwords[world.seed.instructor])
        try await application.test(.router) { client in
            func attempt(_ secret: String, from address: String) async throws -> HTTPResponse.Status {
                var headers = Self.jsonHeaders
                headers[HTTPField.Name("X-Forwarded-For")!] = address
                return try await client.execute(uri: "/api/v1/session", method: .post, headers: headers, body: Self.signIn(world.seed.instructor, secret)) {
                    $0.status
                }
            }
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<6 { statuses.append(try await attempt("wrong-password", from: "203.0.113.9")) }
            #expect(statuses.prefix(4).allSatisfy { $0 == .unauthorized } && statuses.suffix(2).allSatisfy { $0 == .tooManyRequests })
            #expect(try await attempt(password, from: "203.0.113.9") == .tooManyRequests)
            #expect(try await attempt(password, from: "198.51.100.20") == .created)
            // Past the account's budget (failures from many addresses), a new address still gets the right password through.
            for index in 0..<12 { _ = try await attempt("wrong-password", from: "192.0.2.\(index)") }
            #expect(try await attempt(password, from: "2001:db8:1:2:3:4:5:6") == .created)
            // An IPv6 /64 is one place: its other addresses share its count.
            for index in 0..<5 { _ = try await attempt("wrong-password", from: "2001:db8:aa:bb::\(index + 1)") }
            #expect(try await attempt(password, from: "2001:db8:aa:bb::99") == .tooManyRequests)
        }
    }

    @Test("names that cannot be user ids are refused before anything is kept; the throttle's memory is bounded")
    func throttleMemory() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let huge = String(repeating: "a", count: 1 << 20)
        for index in 0..<50 {
            await #expect(throws: CoreError.self) { try await world.service.signInNow(user: huge + "\(index)", password: "x", address: "10.0.0.\(index)") }
        }
        // Nothing was counted for them either.
        #expect(try await world.service.store.failureCounts((0..<50).map { "address:10.0.0.\($0)" }, windowStart: 0).isEmpty)
        let store = MemoryStore()
        let throttle = SignInThrottle(store: store)
        let now = DemoWorld.now
        for index in 0..<(MemoryStore.maximumFailureKeys * 2) {
            try await throttle.passwordFailed(user: "u\(index)", address: "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)", now: now)
        }
        #expect(await store.failureKeyCount <= MemoryStore.maximumFailureKeys)
        #expect(SignInThrottle.place("2001:db8:aa:bb:1:2:3:4") == SignInThrottle.place("2001:db8:aa:bb::ffff"))
        #expect(SignInThrottle.place("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(SignInThrottle.place(String(repeating: "x", count: 1000)) == "?")
    }

    @Test("the QR code has the link's modules, as libqrencode makes them, drawn one rectangle per run")
    func qrCode() throws {
        let link = "https://badges.example.org/signin?code=ABCDEFGH"
        let modules = try #require(QRCode.modules(link))
        #expect(modules.count >= 21 && modules.allSatisfy { $0.count == modules.count })
        // The three finder patterns: 7 x 7 dark borders in three corners.
        for (row, column) in [(0, 0), (0, modules.count - 7), (modules.count - 7, 0)] {
            #expect((0..<7).allSatisfy { modules[row][column + $0] && modules[row + 6][column + $0] && modules[row + $0][column] && modules[row + $0][column + 6] })
        }
        let svg = try #require(QRCode.svg(link, title: "Kirjautumislinkki"))
        let dark = modules.joined().filter { $0 }.count
        let drawn = svg.components(separatedBy: "h").count - 1  // every run draws "h" twice
        #expect(drawn % 2 == 0 && drawn / 2 <= dark)
        #expect(svg.contains("<title id=\"qr-title\">Kirjautumislinkki</title>"))
    }
}
