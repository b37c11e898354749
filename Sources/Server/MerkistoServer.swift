import Basics
public import Hummingbird
public import NIOCore
public import Logging
public import MerkistoCore
import Credentials
import Definitions
import Foundation
import OpenAPIHummingbird
import Metrics
public import Prometheus
import ServiceLifecycle
import Storage

/// The context of a request: Hummingbird's, and the address it came from.
public struct MerkistoRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Where the server listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// How often the server reads whether another process (such as `merkisto revoke`) has revoked a
    /// credential; until then it serves what it has. Zero: on every request.
    public var revocationCheck: Duration
    /// The server runs behind a reverse proxy that appends the client's address to `X-Forwarded-For`:
    /// sign-in throttling counts by that address (the header's last entry, the one the proxy wrote)
    /// instead of the proxy's own.
    public var behindProxy: Bool
    /// A connection that sends nothing for this long while its request is being read, or between requests,
    /// is closed: a slow client cannot hold a connection open (a request being answered is not cut).
    public var idleTimeout: Duration

    /// Where /metrics reads from (the registry the program's metrics system writes to); nil: no /metrics.
    public var metrics: PrometheusCollectorRegistry?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, revocationCheck: Duration = .milliseconds(200), behindProxy: Bool = false,
        idleTimeout: Duration = .seconds(20), metrics: PrometheusCollectorRegistry? = nil
    ) {
        self.metrics = metrics
        self.host = host
        self.port = port
        self.revocationCheck = revocationCheck
        self.behindProxy = behindProxy
        self.idleTimeout = idleTimeout
    }
}

/// The Merkisto server: a thin HTTP front end over the application core.
public enum MerkistoServer {
    public typealias App = Application<RouterResponder<MerkistoRequestContext>>

    /// The largest request body the server reads (a client record, a definitions dry run or a baked image
    /// to verify); a longer one is refused with 413.
    public static let bodyLimit = 8 << 20

    /// The application for `service` (not yet running): run it with `runService()`, which ends, after letting
    /// the requests in flight finish, on SIGTERM or SIGINT.
    ///
    /// - Parameters:
    ///   - definitions: the folder `service`'s definitions were read from, which an admin may reload through
    ///     the API, and which becomes the first kept version when the database has none; nil: they cannot be
    ///     reloaded.
    ///   - versionsFolder: where kept definition sets are unpacked to be read (default: a temporary folder).
    public static func application(
        service: BadgeService, definitions: String? = nil, versionsFolder: String? = nil, configuration: ServerConfiguration = ServerConfiguration(),
        logger: Logger,
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) async throws -> App {
        let site = try HostedSite(service: service)
        // The password-check threads start now and make the unknown user's hash before the first sign-in.
        _ = PasswordChecks.shared
        let live = LiveService(service, definitionsDirectory: definitions, versionsFolder: versionsFolder)
        // The documents that come from the definitions and keys follow their changes.
        live.observe { try site.reload(service: $0) }
        // The definition set in use is the database's (the folder's is kept as the first version).
        let start = try await live.startDefinitions(by: "merkisto")
        if start.fromDatabase {
            logger.info("definitions: version \(start.digest.prefix(16)) from the database (activate another with merkisto definitions activate)")
        }
        let service = live.current
        let router = Router(context: MerkistoRequestContext.self)
        router.add(middleware: AccessLogMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware(factory: configuration.metrics.map { PrometheusMetricsFactory(registry: $0) } ?? MetricsSystem.factory))
        router.add(middleware: RequestFactsMiddleware(behindProxy: configuration.behindProxy))
        router.add(middleware: ProblemMiddleware(logger: logger))
        router.add(middleware: ProblemAcceptMiddleware())
        router.add(middleware: BodyLimitMiddleware(limit: MerkistoServer.bodyLimit))
        let health: @Sendable (Request, MerkistoRequestContext) -> Response = { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        let stored = StoredDocuments(service: service, layout: site.layout, revocationCheck: configuration.revocationCheck)
        let documents = PublicDocuments(site: site, stored: stored)
        // The JSON API, generated from openapi.json, and the document itself.
        let api = MerkistoAPI(live: live, layout: site.layout, revoked: { stored.invalidate() })
        try api.registerHandlers(on: router, serverURL: try Servers.Server1.url(), middlewares: [APIAuthentication(live: live), DownloadMiddleware()])
        // The web pages, over the same core.
        WebPages(live: live, renderer: try PageRenderer(), site: site, revoked: { stored.invalidate() }).register(on: router)
        let contract = try openAPIDocument()
        router.get("/openapi.json") { request, _ in PublicDocuments.send(contract, to: request) }
        router.get("/healthz", use: health)
        router.head("/healthz") { request, context in headOnly(health(request, context)) }
        // Ready: the database answers and its schema is this program's (a proxy sends requests here only then).
        let store = service.store
        router.get("/readyz") { request, context in
            guard await store.isReady() else { throw CoreError(.unavailable, key: "store.notReady") }
            return health(request, context)
        }
        if let registry = configuration.metrics {
            router.get("/metrics") { request, context in
                // For the operator's scraper on this machine: not through a proxy, not from elsewhere.
                guard Self.isLocalDirect(request, context) else { return Problem.notFound(RequestCredentials.language ?? .en).response }
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
            }
        }
        router.get("**") { request, _ in try await documents.respond(to: request) }
        router.head("**") { request, _ in await headOnly(try documents.respond(to: request)) }
        // Public documents are answered on the I/O thread when they can be (see HostedFastPath).
        let serverName = "merkisto"
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [HostedFastPath(documents: documents, serverName: serverName, logger: logger)],
                    idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.components.seconds) * 1_000_000_000
                        + configuration.idleTimeout.components.attoseconds / 1_000_000_000))),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: serverName),
            services: [ChangeFollower(live: live, stored: stored, logger: logger)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}

extension MerkistoServer {
    /// Whether a request came straight from this machine (a loopback peer, no proxy's forwarding headers).
    static func isLocalDirect(_ request: Request, _ context: MerkistoRequestContext) -> Bool {
        guard request.headers[.init("X-Forwarded-For")!] == nil, request.headers[.init("Forwarded")!] == nil,
            let address = context.remoteAddress?.ipAddress
        else { return false }
        return address == "127.0.0.1" || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}

/// Counts requests and their times by route group (api, pages, documents, operations) and status class,
/// for /metrics. Paths are not labels: they hold ids.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = MerkistoRequestContext
    static let groups = ["api", "pages", "documents", "operations"]
    private let durations: [String: Metrics.Timer]
    private let counters: [String: Metrics.Counter]

    /// Counts through `factory`: the registry /metrics reads.
    init(factory: any MetricsFactory) {
        durations = Dictionary(uniqueKeysWithValues: Self.groups.map {
            ($0, Metrics.Timer(label: "merkisto_http_request_duration_seconds", dimensions: [("group", $0)], factory: factory))
        })
        counters = Dictionary(uniqueKeysWithValues: Self.groups.flatMap { group in
            ["2xx", "3xx", "4xx", "5xx"].map { ("\(group) \($0)", Metrics.Counter(label: "merkisto_http_requests_total", dimensions: [("group", group), ("status", $0)], factory: factory)) }
        })
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let group = Self.group(request.uri.path)
        do {
            let response = try await next(request, context)
            record(group, status: response.status.code, since: start)
            return response
        } catch {
            record(group, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }

    static func group(_ path: String) -> String {
        if path.hasPrefix("/api/") { return "api" }
        if path == "/healthz" || path == "/readyz" || path == "/metrics" { return "operations" }
        for prefix in ["/signin", "/signout", "/clients", "/my", "/admin", "/verify", "/shared", "/assets", "/code", "/award", "/report"] where path.hasPrefix(prefix) {
            return "pages"
        }
        return path == "/" ? "pages" : "documents"
    }

    private func record(_ group: String, status: Int, since start: ContinuousClock.Instant) {
        durations[group]?.record(duration: ContinuousClock.now - start)
        counters["\(group) \(min(max(status / 100, 2), 5))xx"]?.increment()
    }
}

/// Keeps what this server holds in memory in step with what other servers sharing the database change: the
/// store's change notices (PostgreSQL's LISTEN/NOTIFY) as they commit, and a check every few seconds in
/// case a notice was missed or the store sends none. Status changes drop the stored documents' answers
/// (the status version is also checked on each request, at most every `revocationCheck`); a definition
/// set put in use or a signing key made or retired elsewhere renews the service.
struct ChangeFollower: Service {
    let live: LiveService
    let stored: StoredDocuments
    let logger: Logger
    /// How often the definitions in use and the keys are checked without a notice.
    static let period: Duration = .seconds(5)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    try? await live.current.store.followChanges { action in await changed(action) }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: Self.period)
                        if !Task.isCancelled { await follow() }
                    }
                }
                await group.waitForAll()
            }
        }
    }

    private func changed(_ action: String) async {
        switch action {
        case "credential.revoke", "credential.suspend", "credential.unsuspend": stored.invalidate()
        case "definitions.activate", "key.generate", "key.retire", "*":
            stored.invalidate()
            await follow()
        default: break
        }
    }

    private func follow() async {
        do {
            if try await live.follow() { logger.info("definitions or keys changed elsewhere: renewed") }
        } catch {
            logger.warning("cannot follow a change made elsewhere: \(error)")
        }
    }
}

/// The OpenAPI document the API is generated from, as it is in the repository.
func openAPIDocument() throws -> HostedEntry {
    guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let bytes = FileManager.default.contents(atPath: url.path) else {
        throw CoreError(.failure, "the OpenAPI document is missing from the server's resources")
    }
    return HostedEntry(bytes: bytes, path: "openapi.json", cacheControl: "public, max-age=300")
}

/// Logs each request at debug level: method, path, status and time taken. Never the query (a sign-in
/// link carries its one-time code there), headers (tokens, cookies) or bodies.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = MerkistoRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard logger.logLevel <= .debug else { return try await next(request, context) }
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let taken = ContinuousClock.now - start
        let milliseconds = Double(taken.components.seconds) * 1000 + Double(taken.components.attoseconds) / 1e15
        logger.debug("\(request.method) \(request.uri.path) \(response.status.code) \(String(format: "%.1f", milliseconds)) ms")
        return response
    }
}

/// The answer to HEAD: the GET answer's status and headers (its length included), without the body.
func headOnly(_ response: Response) -> Response {
    var headers = response.headers
    if let length = response.body.contentLength { headers[.contentLength] = String(length) }
    return Response(status: response.status, headers: headers)
}

extension MerkistoServer {
    /// Runs the application until SIGTERM or SIGINT; then stops taking connections, lets the requests in
    /// flight finish and returns.
    public static func run(_ application: App) async throws {
        try await application.runService()  // SIGTERM and SIGINT by default
    }
}

/// The public documents at the URLs credentials name: no sign-in, the same bytes as `merkisto publish`.
struct PublicDocuments: Sendable {
    let site: HostedSite
    let stored: StoredDocuments

    /// An answer: status, headers (all but the date and server name) and body (none for 304).
    struct Document {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer?

        var response: Response {
            Response(status: status, headers: headers, body: body.map { ResponseBody(byteBuffer: $0) } ?? ResponseBody())
        }
    }

    func respond(to request: Request) async throws -> Response {
        guard let document = try await document(at: request.uri.path, ifNoneMatch: request.headers[.ifNoneMatch]) else {
            return Problem.notFound(RequestCredentials.language ?? .en).response
        }
        return document.response
    }

    /// The document at `full` (the request's path), or nil when there is none.
    func document(at full: String, ifNoneMatch: String?) async throws -> Document? {
        guard full.hasPrefix(site.basePath) else { return nil }
        let path = String(full.dropFirst(site.basePath.count))
        if let entry = site.entry(path) { return Self.document(entry, ifNoneMatch: ifNoneMatch) }
        guard let answer = try await stored.answer(path) else { return nil }
        return Self.document(answer.entry, ifNoneMatch: ifNoneMatch, status: answer.status)
    }

    /// The document at `full` if it can be answered from memory alone (no store read): for the event loop's
    /// fast path; nil: pass the request on.
    func cachedDocument(at full: String, ifNoneMatch: String?) -> Document? {
        guard full.hasPrefix(site.basePath) else { return nil }
        let path = String(full.dropFirst(site.basePath.count))
        if let entry = site.entry(path) { return Self.document(entry, ifNoneMatch: ifNoneMatch) }
        guard let answer = stored.cachedAnswer(path) else { return nil }
        return Self.document(answer.entry, ifNoneMatch: ifNoneMatch, status: answer.status)
    }

    /// The entry, or `304 Not Modified` when the request already has it.
    static func send(_ entry: HostedEntry, to request: Request) -> Response {
        Self.document(entry, ifNoneMatch: request.headers[.ifNoneMatch]).response
    }

    static func document(_ entry: HostedEntry, ifNoneMatch: String?, status: HTTPResponse.Status = .ok) -> Document {
        if status == .ok, let tags = ifNoneMatch, Self.matches(tags, entry.etag) {
            return Document(status: .notModified, headers: entry.notModifiedHeaders, body: nil)
        }
        return Document(status: status, headers: entry.headers, body: entry.body)
    }

    /// Whether an `If-None-Match` value names `etag` (or is `*`); weak tags compare by their opaque part.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { part in
            let tag = part.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
