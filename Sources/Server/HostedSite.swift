import Basics
import Credentials
import Crypto
import Hummingbird
import Foundation
import MerkistoCore
import NIOCore

/// A public document ready to send: its bytes, content type, validator and caching rule, and the headers
/// of its answers, made once.
struct HostedEntry: Sendable {
    let body: ByteBuffer
    let contentType: String
    let etag: String
    let cacheControl: String
    /// The headers of a `200` (or `410`) answer, its length included, and of a `304` answer.
    let headers: HTTPFields
    let notModifiedHeaders: HTTPFields

    init(bytes: some Collection<UInt8>, path: String, cacheControl: String, contentType: String? = nil) {
        body = ByteBuffer(bytes: bytes)
        self.contentType = contentType ?? HostedEntry.contentType(of: path)
        etag = HostedEntry.etag(of: bytes)
        self.cacheControl = cacheControl
        notModifiedHeaders = [.eTag: etag, .cacheControl: cacheControl, .accessControlAllowOrigin: "*", .xContentTypeOptions: "nosniff"]
        var headers = notModifiedHeaders
        headers[.contentType] = self.contentType
        headers[.contentLength] = String(body.readableBytes)
        if self.contentType == "image/svg+xml" { headers[.contentSecurityPolicy] = Self.imagePolicy }
        self.headers = headers
    }

    /// An SVG is a document that can hold scripts: a badge image opened on its own runs none, loads nothing
    /// and is sandboxed.
    static let imagePolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

    /// A strong validator: the first 16 bytes of the SHA-256 of the body, in hex.
    static func etag(of bytes: some Collection<UInt8>) -> String {
        "\"" + Hex.encode(SHA256.hash(data: Array(bytes)).prefix(16)) + "\""
    }

    static func contentType(of path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "json": "application/json"
        case "png": "image/png"
        case "svg": "image/svg+xml"
        case "css": "text/css; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}

/// The public documents that change only with the definitions and keys (issuer profiles, achievements,
/// badge classes, images, keys), made once by the same code `merkisto publish` writes with, and made
/// again on `reload`.
final class HostedSite: @unchecked Sendable {
    // `lock` guards `entries`: relative paths (under the base URL) to entries.
    private let lock = NSLock()
    private var entries: [String: HostedEntry]
    /// The base URL's path, with a trailing slash ("/" or "/merkisto/").
    let basePath: String
    let layout: PublishLayout

    init(service: BadgeService) throws {
        let publisher = try service.publisher()
        layout = publisher.layout
        basePath = Self.path(ofBaseURL: publisher.layout.base)
        entries = try Self.makeEntries(publisher)
    }

    /// Makes the documents again from `service` (after its keys or definitions changed).
    func reload(service: BadgeService) throws {
        let fresh = try Self.makeEntries(try service.publisher())
        lock.withLock { entries = fresh }
    }

    func entry(_ path: String) -> HostedEntry? { lock.withLock { entries[path] } }

    private static func makeEntries(_ publisher: CredentialPublisher) throws -> [String: HostedEntry] {
        var entries: [String: HostedEntry] = [:]
        for document in try publisher.lastingDocuments() {
            let image = HostedEntry.contentType(of: document.path).hasPrefix("image/")
            // Images change with a badge's definition only; the rest may change with a key: check after 5 minutes.
            entries[document.path] = HostedEntry(bytes: document.bytes, path: document.path, cacheControl: image ? "public, max-age=86400" : "public, max-age=300")
        }
        return entries
    }

    /// "https://host/a/b/" → "/a/b/"; "https://host" → "/".
    static func path(ofBaseURL base: String) -> String {
        guard let components = URLComponents(string: base), !components.path.isEmpty else { return "/" }
        return components.path.hasSuffix("/") ? components.path : components.path + "/"
    }
}

/// What the store-backed public URLs answer (hosted OB 2.0 assertions, OB 3.0 credentials by id, the two
/// revocation lists), kept in memory: a credential's bytes never change, and what a revocation changes is
/// made again when the number of revocations changes. That number is read at most once per
/// `revocationCheck` (a revocation made by another process, such as `merkisto revoke`, is served within
/// that time; `invalidate()` makes one made through this server visible at once).
final class StoredDocuments: @unchecked Sendable {
    /// An answer: its status (200, or 410 for a revoked hosted assertion) and its entry; nil: not found.
    typealias Answer = (status: HTTPResponse.Status, entry: HostedEntry)

    private let service: BadgeService
    private let layout: PublishLayout
    private let revocationCheck: Duration
    /// At most this many answers are kept; when full, they are all dropped and made again as asked.
    private let capacity = 100_000
    // `lock` guards the fields below.
    private let lock = NSLock()
    private var answers: [String: Answer] = [:]
    private var revocations = -1
    private var checked: ContinuousClock.Instant?

    init(service: BadgeService, layout: PublishLayout, revocationCheck: Duration) {
        self.service = service
        self.layout = layout
        self.revocationCheck = revocationCheck
    }

    /// Forgets every answer (after a revocation through this server).
    func invalidate() {
        lock.withLock {
            answers.removeAll()
            checked = nil
        }
    }

    /// The answer kept for `path`, while the status version was checked less than `revocationCheck` ago;
    /// nil otherwise (``answer(_:)`` reads the store). Never waits.
    func cachedAnswer(_ path: String) -> Answer? {
        let now = ContinuousClock.now
        return lock.withLock {
            guard let checked, now - checked < revocationCheck else { return nil }
            return answers[path]
        }
    }

    func answer(_ path: String) async throws -> Answer? {
        try await checkRevocations()
        if let answer = lock.withLock({ answers[path] }) { return answer }
        guard let answer = try await make(path) else { return nil }
        lock.withLock {
            if answers.count >= capacity { answers.removeAll() }
            answers[path] = answer
        }
        return answer
    }

    private func make(_ path: String) async throws -> Answer? {
        if path == layout.revocationListPath || path == layout.ob2RevocationListPath || layout.statusList(atPath: path) != nil {
            guard let list = try await service.revocationLists().first(where: { $0.path == path }) else { return nil }
            return (.ok, HostedEntry(bytes: list.bytes, path: path, cacheControl: "no-cache"))
        }
        switch try await service.hostedCredential(atPath: path, layout: layout) {
        case .assertion(let bytes):
            return (.ok, HostedEntry(bytes: bytes, path: path, cacheControl: "no-cache"))
        case .revokedAssertion(let bytes):
            // OB 2.0: a revoked hosted assertion answers 410 Gone, saying why.
            return (.gone, HostedEntry(bytes: bytes, path: path, cacheControl: "no-cache"))
        case .token(let bytes):
            // A VC-JWT by URL is served as text/plain (what the OB 3.0 specification says and validators
            // accept); it is the holder's credential: no shared cache keeps it.
            return (.ok, HostedEntry(bytes: bytes, path: path, cacheControl: "private, no-store", contentType: "text/plain; charset=utf-8"))
        case .signedDocument(let bytes):
            return (.ok, HostedEntry(bytes: bytes, path: path, cacheControl: "private, no-store", contentType: "application/json"))
        case nil:
            return nil
        }
    }

    /// Drops the answers when a credential's status (revoked, suspended, lifted) has changed since it was
    /// last read.
    private func checkRevocations() async throws {
        let now = ContinuousClock.now
        let due = lock.withLock {
            guard checked.map({ now - $0 >= revocationCheck }) ?? true else { return false }
            checked = now
            return true
        }
        guard due else { return }
        let count = try await service.statusVersion()
        lock.withLock {
            if count != revocations {
                answers.removeAll()
                revocations = count
            }
        }
    }
}
