import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import HTTPTypes
import Hummingbird
import MerkistoCore
import Rendering
import NIOCore
import OpenAPIRuntime
import Storage

/// Who a request acts as, and its session token when it came with the session cookie: set by
/// ``APIAuthentication`` before any handler runs.
struct RequestCredentials: Sendable {
    var actor: Result<Actor, CoreError>
    var sessionToken: String?

    @TaskLocal static var current: RequestCredentials?
    /// Where a handler leaves the session cookie to set: the generated layer would percent-encode a
    /// Set-Cookie header, so ``APIAuthentication`` writes it into the response as it is.
    @TaskLocal static var cookie: CookieBox?
    /// The address the request came from (for sign-in throttling), set by ``RequestFactsMiddleware``.
    @TaskLocal static var address: String?
    /// The language the request asks for (`Accept-Language`), set by ``RequestFactsMiddleware``.
    @TaskLocal static var language: Language?
}

/// The Set-Cookie value a handler wants sent.
final class CookieBox: @unchecked Sendable {
    // `lock` guards `value`.
    private let lock = NSLock()
    private var stored: String?

    var value: String? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// The session cookie: its name, and the header that sets it.
enum SessionCookie {
    static let name = "merkisto_session"

    /// The Set-Cookie value (Hummingbird's cookie): HttpOnly, SameSite=Strict, on every path; Secure over https.
    static func header(token: String, maxAge: Int, secure: Bool) -> String {
        Cookie(name: name, value: token, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict).description
    }

    /// The session token in a `Cookie` header, if there is one (read by Hummingbird's cookie parser).
    static func token(in header: String?) -> String? {
        header.flatMap { Cookies(from: [$0])[name]?.value }
    }
}

/// Authenticates a request through the core: an API token (`Authorization: Bearer mrk_…`) or a person's
/// session cookie, whose state-changing requests must repeat the session's CSRF token (`X-CSRF-Token`).
/// Handlers then ask ``RequestCredentials/current``; a request without valid credentials is refused by
/// the handler (401) — not here, so that the refusal is the API's own problem document.
struct APIAuthentication: ServerMiddleware {
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    let live: LiveService

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let service = live.current
        var credentials = RequestCredentials(actor: .failure(CoreError(.unauthenticated, key: "auth.required")))
        do throws(CoreError) {
            if let header = request.headerFields[.authorization], header.lowercased().hasPrefix("bearer ") {
                credentials.actor = await .success(
                    try service.authenticate(token: String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)))
            } else if let token = SessionCookie.token(in: request.headerFields[.cookie]) {
                credentials.sessionToken = token
                let (actor, session) = try await service.actor(session: token)
                let changes = request.method != .get && request.method != .head
                if changes, operationID != "signIn", operationID != "signInWithCode", !WebPages.sameToken(request.headerFields[Self.csrfHeader], session.csrf) {
                    throw CoreError(.forbidden, key: "auth.csrf")
                }
                credentials.actor = .success(actor)
            }
        } catch {
            credentials.actor = .failure(error)
        }
        let cookie = CookieBox()
        var (response, responseBody) = try await RequestCredentials.$cookie.withValue(cookie) {
            try await RequestCredentials.$current.withValue(credentials) { try await next(request, body, metadata) }
        }
        if let value = cookie.value { response.headerFields[.setCookie] = value }
        return (response, responseBody)
    }
}

/// Sends downloads and links as they are. swift-openapi-generator writes a header parameter as a URI component
/// (`attachment%3B%20filename…`, which no browser reads as a file name) and a string body of a `+json` media
/// type as a JSON string (the document quoted and escaped); a download's `Content-Disposition` and a list's
/// `Link` go as written, and a Data Integrity document (`application/vc+ld+json`) as the bytes the core signed.
struct DownloadMiddleware: ServerMiddleware {
    /// The largest document taken back out of its JSON string.
    static let limit = 64 << 20
    static let link = HTTPField.Name("Link")!

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, responseBody) = try await next(request, body, metadata)
        // The generator percent-encodes header values as if they were URI parts: these two go as written.
        for name in [HTTPField.Name.contentDisposition, Self.link] {
            if let value = response.headerFields[name], let written = value.removingPercentEncoding { response.headerFields[name] = written }
        }
        if response.status == .ok, response.headerFields[.contentType]?.hasPrefix("application/vc+ld+json") == true, let quoted = responseBody {
            let text = try JSONDecoder().decode(String.self, from: try await Data(collecting: quoted, upTo: Self.limit))
            response.headerFields[.contentType] = "application/vc+ld+json"
            response.headerFields[.contentLength] = nil
            responseBody = HTTPBody(Array(text.utf8))
        }
        return (response, responseBody)
    }
}

/// Keeps the request's remote address (for sign-in throttling) and the language it asks for (for problem
/// documents) where the handlers find them.
struct RequestFactsMiddleware: RouterMiddleware {
    typealias Context = MerkistoRequestContext
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// Read the address from the last `X-Forwarded-For` entry (see ``ServerConfiguration/behindProxy``).
    var behindProxy = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let language = AcceptLanguage.preferred(request.headers[.acceptLanguage], fallback: .en)
        return try await RequestCredentials.$language.withValue(language) {
            try await RequestCredentials.$address.withValue(address(request, context)) { try await next(request, context) }
        }
    }

    /// The peer's address, or behind a proxy the address the proxy says it serves (the last entry of the
    /// last `X-Forwarded-For` field: entries before it may be forged by the client).
    func address(_ request: Request, _ context: Context) -> String? {
        if behindProxy, let forwarded = request.headers[values: Self.forwardedFor].last,
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return last
        }
        return context.remoteAddress?.ipAddress
    }
}

/// The JSON API: each handler reads its input, calls one use case of the core as the request's actor, and
/// renders the answer or the refusal (a problem document).
struct MerkistoAPI: APIProtocol {
    let live: LiveService
    let layout: PublishLayout
    /// Told after a revocation, so that the public documents show it at once.
    let revoked: @Sendable () -> Void

    /// The service as it is now (an admin may reload its definitions and change its keys).
    var service: BadgeService { live.current }

    private func actor() throws(CoreError) -> Actor {
        guard let current = RequestCredentials.current else { throw CoreError(.unauthenticated, key: "auth.required") }
        return try current.actor.get()
    }

    private var secureCookies: Bool { layout.base.hasPrefix("https://") }

    func signIn(_ input: Operations.SignIn.Input) async throws -> Operations.SignIn.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let signedIn = try await service.signIn(user: request.user, password: request.password, address: RequestCredentials.address)
            RequestCredentials.cookie?.value = SessionCookie.header(
                token: signedIn.token, maxAge: Int(BadgeService.sessionLength / 1_000_000), secure: secureCookies)
            return .created(.init(body: .json(Self.sessionInfo(signedIn))))
        } catch let error as CoreError where error.code == .throttled {
            return .tooManyRequests(.init(headers: .init(retryAfter: Self.retryAfter(error)), body: .applicationProblemJson(Problem(error, language: RequestCredentials.language ?? .en).schema)))
        } catch {
            return .refused(error)
        }
    }

    func signInWithCode(_ input: Operations.SignInWithCode.Input) async throws -> Operations.SignInWithCode.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let signedIn = try await service.signIn(code: request.code, address: RequestCredentials.address)
            RequestCredentials.cookie?.value = SessionCookie.header(
                token: signedIn.token, maxAge: Int(BadgeService.sessionLength / 1_000_000), secure: secureCookies)
            return .created(.init(body: .json(Self.sessionInfo(signedIn))))
        } catch let error as CoreError where error.code == .throttled {
            return .tooManyRequests(.init(headers: .init(retryAfter: Self.retryAfter(error)), body: .applicationProblemJson(Problem(error, language: RequestCredentials.language ?? .en).schema)))
        } catch {
            return .refused(error)
        }
    }

    func createSignInCode(_ input: Operations.CreateSignInCode.Input) async throws -> Operations.CreateSignInCode.Output {
        do {
            let code = try await service.createSignInCode(for: input.path.user, as: try actor())
            return .created(
                .init(body: .json(.init(code: code.code, link: code.link, user: code.user, expiresAt: Self.date(code.expiresAt), qrSvg: QRCode.svg(code.link, title: code.link) ?? ""))))
        } catch {
            return .refused(error)
        }
    }

    func signOut(_ input: Operations.SignOut.Input) async throws -> Operations.SignOut.Output {
        do {
            _ = try actor()
            if let token = RequestCredentials.current?.sessionToken { try await service.signOut(session: token) }
            RequestCredentials.cookie?.value = SessionCookie.header(token: "", maxAge: 0, secure: secureCookies)
            return .noContent(.init())
        } catch {
            return .refused(error)
        }
    }

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        do {
            let actor = try actor()
            let user = actor.user
            return .ok(
                .init(
                    body: .json(
                        .init(
                            id: user.id, role: .init(rawValue: user.role.rawValue)!, units: user.units, client: user.client,
                            scopes: (actor.scopes.map { Array($0).sorted() } ?? APIToken.Scope.allCases).map { .init(rawValue: $0.rawValue)! }))))
        } catch {
            return .refused(error)
        }
    }

    func listClients(_ input: Operations.ListClients.Input) async throws -> Operations.ListClients.Output {
        do {
            let query = input.query
            let request = ClientListRequest(
                unit: query.unit, search: query.q ?? "", phase: query.phase, overdue: query.overdue ?? false,
                order: query.order.flatMap { ClientQuery.Order(rawValue: $0.rawValue) } ?? .id, after: query.after,
                limit: query.limit ?? ClientListRequest.defaultLimit)
            let page = try await service.clientList(request, as: try actor())
            // The next page keeps the filters and order: the same query with `after` moved on.
            let link = page.next.map { next -> String in
                var items: [URLQueryItem] = []
                func add(_ name: String, _ value: String?) { if let value { items.append(URLQueryItem(name: name, value: value)) } }
                add("unit", query.unit)
                add("q", query.q)
                add("phase", query.phase)
                add("overdue", query.overdue.map { String($0) })
                add("order", query.order?.rawValue)
                add("after", next)
                add("limit", query.limit.map { String($0) })
                var components = URLComponents()
                components.path = "/api/v1/clients"
                components.queryItems = items
                return "<\(components.string ?? "/api/v1/clients")>; rel=\"next\""
            }
            return .ok(
                .init(
                    headers: .init(link: link),
                    body: .json(.init(clients: page.clients.map(Self.summary), next: page.next, total: page.total, totalExact: page.exact))))
        } catch {
            return .refused(error)
        }
    }

    func getClient(_ input: Operations.GetClient.Input) async throws -> Operations.GetClient.Output {
        do {
            let file = try await service.clientFile(input.path.client, as: try actor())
            return .ok(.init(body: .json(detail(file))))
        } catch {
            return .refused(error)
        }
    }

    func issueCredential(_ input: Operations.IssueCredential.Input) async throws -> Operations.IssueCredential.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let issued = try await service.issue(
                client: input.path.client, badge: request.badge, format: Self.format(request.format),
                language: Self.language(request.language), replacing: request.replace ?? false, as: try actor())
            // A replaced credential is revoked: the public documents show it at once.
            if request.replace == true { revoked() }
            return .created(.init(body: .json(credential(issued, revoked: false))))
        } catch {
            return .refused(error)
        }
    }

    func revokeCredential(_ input: Operations.RevokeCredential.Input) async throws -> Operations.RevokeCredential.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let revocation = try await service.revoke(credential: request.credential, reason: request.reason, as: try actor())
            revoked()
            return .created(
                .init(
                    body: .json(.init(credential: revocation.credentialID, reason: revocation.reason, revokedAt: Self.date(revocation.revokedAt), by: revocation.by))))
        } catch {
            return .refused(error)
        }
    }

    func suspendCredential(_ input: Operations.SuspendCredential.Input) async throws -> Operations.SuspendCredential.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let suspension = try await service.suspend(credential: request.credential, reason: request.reason, as: try actor())
            revoked()
            return .created(
                .init(
                    body: .json(
                        .init(credential: suspension.credentialID, reason: suspension.reason, suspendedAt: Self.date(suspension.suspendedAt), by: suspension.by))))
        } catch {
            return .refused(error)
        }
    }

    func liftSuspension(_ input: Operations.LiftSuspension.Input) async throws -> Operations.LiftSuspension.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            try await service.liftSuspension(credential: request.credential, as: try actor())
            revoked()
            return .noContent(.init())
        } catch {
            return .refused(error)
        }
    }

    func getAuditLog(_ input: Operations.GetAuditLog.Input) async throws -> Operations.GetAuditLog.Output {
        do {
            let page = try await service.auditLog(after: input.query.after ?? 0, limit: input.query.limit ?? 100, as: try actor())
            let (entries, intact) = (page.entries, page.intact)
            return .ok(
                .init(
                    body: .json(
                        .init(
                            entries: entries.map {
                                .init(
                                    sequence: $0.sequence, at: Self.date($0.at), actor: $0.actor, action: $0.action, subject: $0.subject,
                                    detail: $0.detail, hash: $0.hash)
                            }, intact: intact))))
        } catch {
            return .refused(error)
        }
    }

    func registerClient(_ input: Operations.RegisterClient.Input) async throws -> Operations.RegisterClient.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let file = try await service.registerClient(
                id: request.id, unit: request.unit, language: Self.language(request.language), as: try actor())
            return .created(.init(body: .json(detail(file))))
        } catch {
            return .refused(error)
        }
    }

    func exportMine(_ input: Operations.ExportMine.Input) async throws -> Operations.ExportMine.Output {
        do {
            let archive = try await service.holderArchive(language: input.query.lang.flatMap { Self.language($0) }, as: try actor())
            return .ok(.init(headers: .init(contentDisposition: "attachment; filename=\"\(archive.fileName)\""), body: .applicationZip(HTTPBody(archive.bytes))))
        } catch {
            return .refused(error)
        }
    }

    func shareCredential(_ input: Operations.ShareCredential.Input) async throws -> Operations.ShareCredential.Output {
        do {
            let share = try await service.shareCredential(input.path.credential, as: try actor())
            return .created(.init(body: .json(.init(url: try service.shareURL(share), credential: share.credential, createdAt: Self.date(share.createdAt)))))
        } catch {
            return .refused(error)
        }
    }

    func stopSharing(_ input: Operations.StopSharing.Input) async throws -> Operations.StopSharing.Output {
        do {
            try await service.stopSharing(input.path.credential, as: try actor())
            return .noContent(.init())
        } catch {
            return .refused(error)
        }
    }

    /// At most this many records in one import request, and bytes in one record file.
    static let importLimits = (files: 1000, fileBytes: 4 << 20)

    func importClients(_ input: Operations.ImportClients.Input) async throws -> Operations.ImportClients.Output {
        do {
            let actor = try actor()
            var files: [(name: String, bytes: [UInt8])] = []
            switch input.body {
            case .json(let records):
                // The generated decoder has read the array; each record is written back out for the record reader,
                // which reports problems by their JSON paths in the record.
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                for (index, record) in records.prefix(Self.importLimits.files).enumerated() {
                    files.append(("[\(index)]", Array(try encoder.encode(record.additionalProperties))))
                }
            case .multipartForm(let parts):
                var iterator = parts.makeAsyncIterator()
                while true {
                    let next: Operations.ImportClients.Input.Body.MultipartFormPayload?
                    do {
                        next = try await iterator.next()
                    } catch {
                        // The form itself is malformed (the runtime's multipart reader says how).
                        throw CoreError(.invalid, key: "import.form", problems: [String(describing: error)])
                    }
                    guard let part = next else { break }
                    guard case .file(let file) = part else { continue }
                    guard files.count < Self.importLimits.files else { throw CoreError(.invalid, key: "import.tooMany", ["limit": String(Self.importLimits.files)]) }
                    let bytes: [UInt8]
                    do {
                        bytes = try await [UInt8](collecting: file.payload.body, upTo: Self.importLimits.fileBytes)
                    } catch {
                        throw CoreError(.invalid, key: "import.tooLarge", ["file": file.filename ?? "", "limit": "4 MB"])
                    }
                    files.append((file.filename ?? "[\(files.count)]", bytes))
                }
            }
            guard !files.isEmpty else { throw CoreError(.invalid, key: "import.empty") }
            let language = RequestCredentials.language ?? .en
            var result = Components.Schemas.ImportResult(imported: [], refused: [])
            for file in try await service.importRecords(files, as: actor) {
                switch file.result {
                case .success(let client):
                    result.imported.append(.init(file: file.name, client: client.client.id, assessments: client.assessments.count))
                case .failure(let error):
                    result.refused.append(.init(file: file.name, detail: error.message(in: language), problems: error.problems))
                }
            }
            return .ok(.init(body: .json(result)))
        } catch {
            return .refused(error)
        }
    }

    func getEvaluation(_ input: Operations.GetEvaluation.Input) async throws -> Operations.GetEvaluation.Output {
        do {
            let result = try await service.evaluate(client: input.path.client, as: try actor())
            let language = Self.language(input.query.lang) ?? .fi
            let document = EvaluationJSON(compiled: service.compiled, language: language).document(result)
            return .ok(.init(body: .json(try Self.container(document))))
        } catch {
            return .refused(error)
        }
    }

    func getReport(_ input: Operations.GetReport.Input) async throws -> Operations.GetReport.Output {
        do {
            let report = try await service.progressReport(client: input.path.client, as: try actor())
            let language = Self.language(input.query.lang) ?? .fi
            let document = ProgressReportJSON(compiled: service.compiled, language: language).document(report)
            return .ok(.init(body: .json(try Self.container(document))))
        } catch {
            return .refused(error)
        }
    }

    func recordAssessment(_ input: Operations.RecordAssessment.Input) async throws -> Operations.RecordAssessment.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            var assessedAt: Timestamp?
            if let text = request.assessedAt {
                guard case .success(let time) = Timestamp.parse(text) else { throw CoreError(.invalid, key: "assessment.time", ["time": text]) }
                assessedAt = time
            }
            let assessment = try await service.recordAssessment(
                AssessmentInput(
                    id: request.id, assessedAt: assessedAt, assessor: request.assessor, evidence: request.evidence.flatMap { Evidence(rawValue: $0.rawValue) },
                    instrument: request.instrument, checkpoint: request.checkpoint,
                    responses: (request.responses ?? []).map { .init(item: $0.item, value: $0.value) },
                    levels: (request.levels ?? []).map { .init(competence: $0.competence, level: $0.level) }, note: request.note),
                client: input.path.client, as: try actor())
            return .created(
                .init(
                    body: .json(
                        .init(
                            id: assessment.id, assessedAt: Self.date(assessment.assessedAt), assessor: assessment.assessor,
                            evidence: assessment.evidence.rawValue, instrument: assessment.instrument, checkpoint: assessment.checkpoint,
                            period: assessment.period))))
        } catch {
            return .refused(error)
        }
    }

    func recordAttestation(_ input: Operations.RecordAttestation.Input) async throws -> Operations.RecordAttestation.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let attestation = try await service.attest(
                client: input.path.client, badge: request.badge, role: request.role.flatMap { Criterion.Role(rawValue: $0.rawValue) }, as: try actor())
            return .created(
                .init(
                    body: .json(
                        .init(badge: attestation.badge, role: .init(rawValue: attestation.role.rawValue)!, by: attestation.by, at: Self.date(attestation.at)))))
        } catch {
            return .refused(error)
        }
    }

    func withdrawAttestation(_ input: Operations.WithdrawAttestation.Input) async throws -> Operations.WithdrawAttestation.Output {
        do {
            try await service.withdrawAttestation(client: input.path.client, badge: input.path.badge, as: try actor())
            return .noContent(.init())
        } catch {
            return .refused(error)
        }
    }

    func startPathway(_ input: Operations.StartPathway.Input) async throws -> Operations.StartPathway.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let period = try await service.startPathway(
                client: input.path.client, phase: request.phase, decisionStart: request.decisionStart.map(Self.timestamp),
                decisionEnd: request.decisionEnd.map(Self.timestamp), as: try actor())
            return .created(.init(body: .json(Self.period(period))))
        } catch {
            return .refused(error)
        }
    }

    func advancePathway(_ input: Operations.AdvancePathway.Input) async throws -> Operations.AdvancePathway.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            return await .ok(.init(body: .json(Self.period(try service.advancePathway(client: input.path.client, to: request.phase, as: try actor())))))
        } catch {
            return .refused(error)
        }
    }

    func closePathway(_ input: Operations.ClosePathway.Input) async throws -> Operations.ClosePathway.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            return await .ok(.init(body: .json(Self.period(try service.closePathway(client: input.path.client, outcome: request.outcome, as: try actor())))))
        } catch {
            return .refused(error)
        }
    }

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        do {
            let page = try await service.userPage(after: input.query.after, limit: input.query.limit ?? 50, as: try actor())
            let link = Self.nextLink("/api/v1/users", after: page.next, limit: input.query.limit)
            return .ok(.init(headers: .init(link: link), body: .json(.init(users: page.users.map(Self.user), next: page.next))))
        } catch {
            return .refused(error)
        }
    }

    /// The `Link` header of a page with a next one (`after` its `next`, the same `limit`).
    static func nextLink(_ path: String, after next: String?, limit: Int?) -> String? {
        next.map { next in
            var components = URLComponents()
            components.path = path
            components.queryItems = [URLQueryItem(name: "after", value: next)] + (limit.map { [URLQueryItem(name: "limit", value: String($0))] } ?? [])
            return "<\(components.string ?? path)>; rel=\"next\""
        }
    }

    func addUser(_ input: Operations.AddUser.Input) async throws -> Operations.AddUser.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            guard let role = User.Role(rawValue: request.role.rawValue) else { throw CoreError(.invalid, key: "request.json") }
            let user = try await service.addUser(
                id: request.id, role: role, displayName: request.displayName, client: request.client, units: request.units ?? [], as: try actor())
            return .created(.init(body: .json(Self.user(user))))
        } catch {
            return .refused(error)
        }
    }

    func exportClient(_ input: Operations.ExportClient.Input) async throws -> Operations.ExportClient.Output {
        do {
            let export = try await service.exportClient(input.path.client, as: try actor())
            let credentials = export.credentials.map { credential in
                Components.Schemas.ExportedCredential(
                    id: credential.id, badge: credential.badge, format: .init(rawValue: credential.format.rawValue)!, issuedAt: Self.date(credential.issuedAt),
                    revoked: export.revoked.contains(credential.id), document: String(decoding: credential.bytes, as: UTF8.self))
            }
            let record: OpenAPIObjectContainer = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(export.record))
            return .ok(.init(body: .json(.init(record: .init(additionalProperties: record), credentials: credentials))))
        } catch {
            return .refused(error)
        }
    }

    func makeHandover(_ input: Operations.MakeHandover.Input) async throws -> Operations.MakeHandover.Output {
        do {
            var request: Components.Schemas.HandoverRequest?
            if case .json(let body)? = input.body { request = body }
            let handover = try await service.handover(
                client: input.path.client, format: request?.format.flatMap { CredentialFormat(rawValue: $0.rawValue) },
                language: request?.lang.flatMap { Self.language($0) }, clientAgreed: request?.clientAgreed ?? false, as: try actor())
            let headers = Operations.MakeHandover.Output.Ok.Headers(contentDisposition: "attachment; filename=\"\(handover.fileName)\"")
            let bytes = handover.package.bytes
            return .ok(
                .init(
                    headers: headers,
                    body: handover.package.format == .ob3JWT ? .applicationVcJwt(HTTPBody(bytes)) : .applicationVcLdJson(String(decoding: bytes, as: UTF8.self))))
        } catch {
            return .refused(error)
        }
    }

    func eraseClient(_ input: Operations.EraseClient.Input) async throws -> Operations.EraseClient.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            try await service.eraseClient(input.path.client, confirm: request.confirm, as: try actor())
            return .noContent(.init())
        } catch {
            return .refused(error)
        }
    }

    func listTokens(_ input: Operations.ListTokens.Input) async throws -> Operations.ListTokens.Output {
        do {
            let page = try await service.tokenPage(after: input.query.after, limit: input.query.limit ?? 50, as: try actor())
            let link = Self.nextLink("/api/v1/tokens", after: page.next, limit: input.query.limit)
            return .ok(.init(headers: .init(link: link), body: .json(.init(tokens: page.tokens.map(Self.token), next: page.next))))
        } catch {
            return .refused(error)
        }
    }

    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let made = try await service.createToken(
                for: request.user, name: request.name, scopes: request.scopes.compactMap { APIToken.Scope(rawValue: $0.rawValue) },
                expiresAt: request.expires.map(Self.timestamp), as: try actor())
            return .created(.init(body: .json(.init(token: Self.token(made.token), secret: made.text))))
        } catch {
            return .refused(error)
        }
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        do {
            try await service.revokeToken(input.path.token, as: try actor())
            return .noContent(.init())
        } catch {
            return .refused(error)
        }
    }

    static func token(_ token: APIToken) -> Components.Schemas.Token {
        .init(
            id: token.id, user: token.user, name: token.name, scopes: token.scopes.compactMap { .init(rawValue: $0.rawValue) },
            createdAt: date(token.createdAt), expiresAt: token.expiresAt.map(date), revokedAt: token.revokedAt.map(date))
    }

    func issueEarned(_ input: Operations.IssueEarned.Input) async throws -> Operations.IssueEarned.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, key: "request.json") }
            let bulk = try await service.issueAllEarned(
                clients: request.clients, unit: request.unit, badge: request.badge, format: Self.format(request.format), as: try actor())
            return .created(
                .init(
                    body: .json(
                        .init(
                            issued: bulk.issued.map { .init(id: $0.id, client: $0.client, badge: $0.badge, language: Self.language($0.language)) },
                            skipped: bulk.skipped.map { .init(client: $0.client, reason: $0.reason) }, failure: bulk.failure))))
        } catch {
            return .refused(error)
        }
    }

    func getDefinitions(_ input: Operations.GetDefinitions.Input) async throws -> Operations.GetDefinitions.Output {
        do {
            return await .ok(.init(body: .json(Self.definitions(try live.definitions(as: try actor())))))
        } catch {
            return .refused(error)
        }
    }

    func dryRunDefinitions(_ input: Operations.DryRunDefinitions.Input) async throws -> Operations.DryRunDefinitions.Output {
        do {
            let (state, changes, clients) = try await live.dryRunDefinitions(as: try actor())
            return .ok(
                .init(
                    body: .json(
                        .init(
                            definitions: Self.definitions(state), clients: clients,
                            changes: changes.map { .init(client: $0.client, gained: $0.gained, lost: $0.lost, unbindable: $0.unbindable) }))))
        } catch {
            return .refused(error)
        }
    }

    func listDefinitionsVersions(_ input: Operations.ListDefinitionsVersions.Input) async throws -> Operations.ListDefinitionsVersions.Output {
        do {
            let page = try await live.definitionsVersionPage(after: input.query.after, limit: input.query.limit ?? 50, as: try actor())
            let link = Self.nextLink("/api/v1/definitions/versions", after: page.next, limit: input.query.limit)
            return .ok(.init(headers: .init(link: link), body: .json(.init(versions: page.versions.map(Self.version), next: page.next))))
        } catch {
            return .refused(error)
        }
    }

    func uploadDefinitions(_ input: Operations.UploadDefinitions.Input) async throws -> Operations.UploadDefinitions.Output {
        do {
            let actor = try actor()
            let body: HTTPBody
            switch input.body {
            case .applicationZip(let zip): body = zip
            case .applicationGzip(let gzip): body = gzip
            }
            let upload = try await live.uploadDefinitions(try await [UInt8](collecting: body, upTo: MerkistoServer.bodyLimit), as: actor)
            let diagnostics = upload.diagnostics.map(Self.diagnostic)
            guard let digest = upload.digest else {
                let language = RequestCredentials.language ?? .en
                let errors = upload.diagnostics.filter { $0.severity == .error }.count
                return .unprocessableContent(
                    .init(
                        body: .applicationProblemJson(
                            .init(
                                _type: "about:blank", title: CoreError.table.text("definitions.refused", language, [:]), status: 422,
                                detail: CoreError.table.text("definitions.refused.detail", language, ["count": String(errors)]), diagnostics: diagnostics))))
            }
            return .created(.init(body: .json(.init(digest: digest, diagnostics: diagnostics))))
        } catch {
            return .refused(error)
        }
    }

    func dryRunDefinitionsVersion(_ input: Operations.DryRunDefinitionsVersion.Input) async throws -> Operations.DryRunDefinitionsVersion.Output {
        do {
            let (changes, clients) = try await live.dryRunDefinitions(version: input.path.digest, as: try actor())
            return .ok(
                .init(
                    body: .json(
                        .init(
                            digest: input.path.digest, clients: clients,
                            changes: changes.map { .init(client: $0.client, gained: $0.gained, lost: $0.lost, unbindable: $0.unbindable) }))))
        } catch {
            return .refused(error)
        }
    }

    func activateDefinitionsVersion(_ input: Operations.ActivateDefinitionsVersion.Input) async throws -> Operations.ActivateDefinitionsVersion.Output {
        do {
            let version = try await live.activateDefinitions(input.path.digest, as: try actor())
            return .ok(.init(body: .json(Self.version(DefinitionsVersionState(version: version, active: true)))))
        } catch {
            return .refused(error)
        }
    }

    static func version(_ state: DefinitionsVersionState) -> Components.Schemas.DefinitionsVersion {
        .init(
            digest: state.version.digest, files: state.version.files, uploadedBy: state.version.uploadedBy, uploadedAt: date(state.version.uploadedAt),
            active: state.active)
    }

    func reloadDefinitions(_ input: Operations.ReloadDefinitions.Input) async throws -> Operations.ReloadDefinitions.Output {
        do {
            let (state, reloaded) = try await live.reloadDefinitions(as: try actor())
            return .ok(.init(body: .json(.init(definitions: Self.definitions(state), reloaded: reloaded))))
        } catch {
            return .refused(error)
        }
    }

    func listKeys(_ input: Operations.ListKeys.Input) async throws -> Operations.ListKeys.Output {
        do {
            return await .ok(.init(body: .json(.init(keys: try live.keys(as: try actor()).map(Self.key)))))
        } catch {
            return .refused(error)
        }
    }

    func generateKey(_ input: Operations.GenerateKey.Input) async throws -> Operations.GenerateKey.Output {
        do {
            guard case .json(let request) = input.body, let algorithm = SigningAlgorithm(rawValue: request.algorithm.rawValue) else {
                throw CoreError(.invalid, key: "request.json")
            }
            return await .created(.init(body: .json(try Self.key(try live.generateKey(algorithm, kid: request.kid, as: try actor())))))
        } catch {
            return .refused(error)
        }
    }

    func retireKey(_ input: Operations.RetireKey.Input) async throws -> Operations.RetireKey.Output {
        do {
            return await .ok(.init(body: .json(try Self.key(try live.retireKey(input.path.kid, as: try actor())))))
        } catch {
            return .refused(error)
        }
    }

    // MARK: Rendering

    static func format(_ format: Components.Schemas.Format?) -> CredentialFormat {
        format.flatMap { CredentialFormat(rawValue: $0.rawValue) } ?? .ob3JWT
    }

    static func language(_ language: Components.Schemas.Language?) -> Language? {
        language.flatMap { Language(rawValue: $0.rawValue) }
    }

    static func language(_ language: Language) -> Components.Schemas.Language { .init(rawValue: language.rawValue)! }

    static func definitions(_ state: DefinitionsState) -> Components.Schemas.DefinitionsState {
        .init(
            directory: state.directory, liveDigest: state.liveDigest, diskDigest: state.diskDigest, changed: state.changed, files: state.files,
            diagnostics: state.diagnostics.map(diagnostic))
    }

    static func diagnostic(_ diagnostic: Diagnostic) -> Components.Schemas.Diagnostic {
        .init(
            severity: diagnostic.severity == .error ? .error : .warning, code: diagnostic.code.rawValue, message: diagnostic.message,
            file: diagnostic.location.file, line: diagnostic.location.line, column: diagnostic.location.column)
    }

    static func key(_ key: StoredKey) throws -> Components.Schemas.Key {
        .init(
            kid: key.kid, algorithm: .init(rawValue: key.algorithm.rawValue)!, created: date(key.created), retired: key.retired.map(date),
            active: key.isActive, jwk: try container(key.publicJWK))
    }

    static func sessionInfo(_ signedIn: SignedIn) -> Components.Schemas.SessionInfo {
        .init(
            user: signedIn.user.id, role: .init(rawValue: signedIn.user.role.rawValue)!, csrfToken: signedIn.session.csrf,
            expiresAt: date(signedIn.session.expiresAt))
    }

    /// The seconds a throttled sign-in must wait (the core says it in its problems).
    static func retryAfter(_ error: CoreError) -> Int {
        error.problems.first.flatMap { Int($0.dropFirst("retry-after: ".count)) } ?? 900
    }

    static func timestamp(_ date: Date) -> Timestamp { Timestamp(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded())) }

    /// A document of our own JSON writer as the generated free-form object.
    static func container<T: Decodable>(_ document: JSONValue) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(document.jsonBytes()))
    }

    static func user(_ user: User) -> Components.Schemas.User {
        .init(id: user.id, role: .init(rawValue: user.role.rawValue)!, units: user.units, client: user.client)
    }

    func detail(_ file: ClientFile) -> Components.Schemas.ClientDetail {
        .init(
            client: Self.summary(ClientSummary(file, at: service.now)), periods: file.periods.map(Self.period),
            credentials: file.credentials.map { credential($0, revoked: file.isRevoked($0.id)) })
    }

    static func date(_ time: Timestamp) -> Date { Date(timeIntervalSince1970: Double(time.microseconds) / 1_000_000) }

    static func summary(_ summary: ClientSummary) -> Components.Schemas.ClientSummary {
        .init(
            id: summary.client.id, unit: summary.client.unit, phase: summary.phase, decisionEnd: summary.decisionEnd.map(date),
            overdue: summary.overdue, assessments: summary.assessments, credentials: summary.credentials, erased: summary.client.erasedAt != nil)
    }

    static func period(_ period: PathwayPeriod) -> Components.Schemas.Period {
        .init(
            id: period.id, startedAt: date(period.phases.first?.at ?? period.decisionStart ?? Timestamp(microseconds: 0)),
            decisionStart: period.decisionStart.map(date), decisionEnd: period.decisionEnd.map(date),
            phases: period.phases.map { .init(phase: $0.phase, at: date($0.at), by: $0.by) }, closedAt: period.closedAt.map(date),
            outcome: period.outcome)
    }

    func credential(_ credential: IssuedCredential, revoked: Bool) -> Components.Schemas.Credential {
        let url: String? =
            switch credential.format {
            case .ob2Hosted: credential.id
            case .ob3JWT, .ob3LDP: credential.id.hasPrefix("urn:uuid:") ? layout.credential(String(credential.id.dropFirst("urn:uuid:".count))) : nil
            case .ob2Signed: nil
            }
        return .init(
            id: credential.id, badge: credential.badge, format: .init(rawValue: credential.format.rawValue)!, issuedAt: Self.date(credential.issuedAt),
            validUntil: credential.validUntil.map(Self.date), language: Self.language(credential.language), revoked: revoked, url: url)
    }
}

/// An operation's answer that can be a problem document (every operation has one as its `default`).
protocol ProblemOutput {
    static func problem(_ problem: Problem) -> Self
}

extension ProblemOutput {
    /// The problem document for a refusal or failure.
    static func refused(_ error: any Error) -> Self { problem(Problem(error, language: RequestCredentials.language ?? .en)) }
}

extension Operations.SignIn.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.SignOut.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.GetMe.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ListClients.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.GetClient.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.IssueCredential.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.RevokeCredential.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.SuspendCredential.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.LiftSuspension.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.GetAuditLog.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.RegisterClient.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.GetEvaluation.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.GetReport.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.RecordAssessment.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.RecordAttestation.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.WithdrawAttestation.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ListTokens.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.CreateToken.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.RevokeToken.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ExportClient.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.EraseClient.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.StartPathway.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.AdvancePathway.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ClosePathway.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ListUsers.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.AddUser.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.SignInWithCode.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.CreateSignInCode.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.IssueEarned.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.GetDefinitions.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.DryRunDefinitions.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ReloadDefinitions.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ListKeys.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.GenerateKey.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.RetireKey.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ImportClients.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.MakeHandover.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ExportMine.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ShareCredential.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.StopSharing.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ListDefinitionsVersions.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.UploadDefinitions.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.DryRunDefinitionsVersion.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
extension Operations.ActivateDefinitionsVersion.Output: ProblemOutput {
    static func problem(_ problem: Problem) -> Self { .default(statusCode: problem.status.code, .init(body: .applicationProblemJson(problem.schema))) }
}
