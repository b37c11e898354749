import Basics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MerkistoCore
import NIOCore
import Server
import Storage
import Testing

/// Keeps every log record (every level, with its metadata) in memory.
final class LogCapture: @unchecked Sendable {
    // `lock` guards `lines`.
    private let lock = NSLock()
    private var lines: [String] = []

    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    var logger: Logger {
        Logger(label: "capture") { label in Handler(label: label, capture: self) }
    }

    struct Handler: LogHandler {
        let label: String
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(label) \(event.message) \(merged) \(event.source) \(event.error.map { "\($0)" } ?? "")")
        }
    }
}

@Suite("Logs")
struct LogPrivacyTests {
    @Test("at trace level, the server's logs hold no password, token, session, CSRF token, one-time code, name or contact")
    func noSecrets() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let service = world.service
        let name = "Maija Meikäläinen"
        let contact = "maija.meikalainen@example.fi"
        try await service.registerClient(id: "nimetty-asiakas", unit: world.seed.unit, displayName: name, contact: contact, by: "test")
        let password = try #require(world.seed.passwords[world.seed.instructor])
        let token = try await service.createToken(for: world.seed.admin, name: "integration", scopes: APIToken.Scope.allCases, by: "test").text
        let capture = LogCapture()
        let secrets = [password, token, String(token.split(separator: "_").last!), name, contact]
        let made = try await world.application(logger: capture.logger).test(.router) { client in
            let (cookie, csrf) = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: SignInTests.jsonHeaders, body: SignInTests.signIn(world.seed.instructor, password)
            ) { response throws in (try #require(SignInTests.cookie(response)), try #require(try json(response)["csrfToken"] as? String)) }
            var headers: HTTPFields = [.cookie: cookie, .contentType: "application/json"]
            headers[HTTPField.Name("X-CSRF-Token")!] = csrf
            let code = try await client.execute(uri: "/api/v1/users/\(world.seed.clientUser)/signin-codes", method: .post, headers: headers) {
                response throws in try #require(try json(response)["code"] as? String)
            }
            // Successes and refusals alike: a wrong password, a wrong and a right code, a bad token, bad JSON.
            try await client.execute(uri: "/api/v1/session", method: .post, headers: SignInTests.jsonHeaders, body: SignInTests.signIn(world.seed.admin, password + "x")) { _ in }
            try await client.execute(uri: "/api/v1/session/code", method: .post, headers: SignInTests.jsonHeaders, body: body(["code": .string(code + "X")])) { _ in }
            try await client.execute(uri: "/api/v1/session/code", method: .post, headers: SignInTests.jsonHeaders, body: body(["code": .string(code)])) { _ in }
            try await client.execute(uri: "/api/v1/clients/nimetty-asiakas", method: .get, headers: [.authorization: "Bearer " + token]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer " + token + "0"]) { _ in }
            try await client.execute(uri: "/api/v1/me?code=\(code)&password=\(password)", method: .get, headers: [.cookie: cookie]) { _ in }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: SignInTests.jsonHeaders, body: ByteBuffer(string: "{\"user\": \"\(password)\"")) { _ in }
            try await client.execute(uri: "/api/v1/clients", method: .post, headers: headers, body: body(["id": .string(name)])) { _ in }
            return [String(cookie.dropFirst("merkisto_session=".count)), csrf, code]
        }
        let logged = capture.text
        // The log is there: one line per request, with its path and status.
        #expect(logged.contains("POST /api/v1/session 201") && logged.contains("GET /api/v1/clients/nimetty-asiakas 200"), "\(logged)")
        for secret in secrets + made { #expect(!logged.contains(secret), "the logs hold \(secret.prefix(4))…") }
        #expect(!logged.contains("Meikäläinen") && !logged.contains("meikalainen"))
    }
}
