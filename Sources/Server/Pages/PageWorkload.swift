import Basics
import Foundation
import HTTPTypes
import Hummingbird
public import MerkistoCore
import NIOCore
public import Storage

/// The instructor's client page made without a network, as the server makes it for a signed-in visitor:
/// the fixed workload that `merkisto bench --workload client-page` runs (its instruction count is guarded
/// in CI, `benchmarks/callgrind.py`).
public enum PageWorkload {
    /// Makes `client`'s page `count` times for `user` (in Finnish); returns the bytes of the last one.
    public static func clientPages(service: BadgeService, client: String, as user: User, count: Int) async throws -> Int {
        let pages = WebPages(
            live: LiveService(service, definitionsDirectory: nil), renderer: try PageRenderer(), site: try HostedSite(service: service), revoked: {})
        let actor = Actor(user: user)
        let session = StoredSession(id: "workload", user: user.id, csrf: "workload", createdAt: service.now, expiresAt: service.now)
        let visitor = Visitor(language: .fi, chosenLanguage: false, actor: actor, session: session, sessionToken: nil)
        var bytes = 0
        for _ in 0..<count {
            let request = Request(
                head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/clients/" + client), body: RequestBody(buffer: ByteBuffer()))
            let response = try await pages.clientPage(client, request, visitor, actor)
            guard response.status == .ok else { throw CoreError(.failure, "the client page answered \(response.status)") }
            bytes = response.headers[.contentLength].flatMap(Int.init) ?? 0
        }
        return bytes
    }
}
