import Credentials
import Crypto
import Foundation
import MerkistoCore
import NIOCore

/// A public document ready to send: its bytes, content type, validator and caching rule.
struct HostedEntry: Sendable {
    var body: ByteBuffer
    var contentType: String
    var etag: String
    var cacheControl: String

    init(bytes: some Collection<UInt8>, path: String, cacheControl: String) {
        body = ByteBuffer(bytes: bytes)
        contentType = HostedEntry.contentType(of: path)
        etag = HostedEntry.etag(of: bytes)
        self.cacheControl = cacheControl
    }

    /// A strong validator: the first 16 bytes of the SHA-256 of the body, in hex.
    static func etag(of bytes: some Collection<UInt8>) -> String {
        "\"" + SHA256.hash(data: Array(bytes)).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
    }

    static func contentType(of path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "json": "application/json"
        case "png": "image/png"
        case "svg": "image/svg+xml"
        default: "application/octet-stream"
        }
    }
}

/// The public documents that change only with the definitions and keys (issuer profiles, achievements,
/// badge classes, images, keys), made once by the same code `merkisto publish` writes with, and made
/// again on `reload`.
final class HostedSite: @unchecked Sendable {
    private let service: BadgeService
    // `lock` guards `entries`: relative paths (under the base URL) to entries.
    private let lock = NSLock()
    private var entries: [String: HostedEntry]
    /// The base URL's path, with a trailing slash ("/" or "/merkisto/").
    let basePath: String
    let layout: PublishLayout

    init(service: BadgeService) throws {
        self.service = service
        let publisher = try service.publisher()
        layout = publisher.layout
        basePath = Self.path(ofBaseURL: publisher.layout.base)
        entries = try Self.makeEntries(publisher)
    }

    /// Makes the documents again (after the keys or the definitions changed).
    func reload() throws {
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
