public import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import Crypto
public import Storage

/// API tokens for integrations: made and revoked by administrators, and what a presented token stands for.
extension BadgeService {
    /// Makes an API token for a user (administrators); returns it with the whole token text, which is shown
    /// this once (only the SHA-256 of its secret is kept). Audited.
    public func createToken(
        for user: String, name: String, scopes: [APIToken.Scope], expiresAt: Timestamp? = nil, as actor: Actor
    ) async throws(CoreError) -> (token: APIToken, text: String) {
        try await authorize(actor, .administer)
        return try await createToken(for: user, name: name, scopes: scopes, expiresAt: expiresAt, by: actor.auditName)
    }

    /// Every API token (administrators): ids, users, names, scopes and times, never secrets.
    public func tokens(as actor: Actor) async throws(CoreError) -> [APIToken] {
        try await authorize(actor, .administer)
        return try await tokens()
    }

    /// One page of the API tokens (administrators), newest first, and where the next page starts.
    public func tokenPage(after: String? = nil, limit: Int = 50, as actor: Actor) async throws(CoreError) -> (tokens: [APIToken], next: String?) {
        try await authorize(actor, .administer)
        try ClientListRequest.check(limit: limit)
        let read = try await stored { () async throws(StoreError) in try await store.tokenPage(after: after, limit: limit + 1) }
        let page = Array(read.prefix(limit))
        return (page, read.count > limit ? page.last?.id : nil)
    }

    /// Revokes an API token (administrators): it works no more at once. Audited.
    public func revokeToken(_ id: String, as actor: Actor) async throws(CoreError) {
        try await authorize(actor, .administer)
        try await revokeToken(id, by: actor.auditName)
    }

    package func createToken(
        for user: String, name: String, scopes: [APIToken.Scope], expiresAt: Timestamp? = nil, by actor: String
    ) async throws(CoreError) -> (token: APIToken, text: String) {
        guard !scopes.isEmpty else { throw CoreError(.invalid, key: "token.noScope") }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw CoreError(.invalid, key: "token.noName") }
        guard let owner = try await stored({ () async throws(StoreError) in try await store.user(id: user) }) else { throw CoreError(.notFound, key: "user.notFound", ["user": user]) }
        if scopes.contains(.admin), owner.role != .admin { throw CoreError(.invalid, key: "token.adminScope") }
        let time = now
        if let expiresAt, expiresAt <= time { throw CoreError(.invalid, key: "token.expiresAtOnce") }
        let id = Self.randomHex(8)
        let secret = Self.randomHex(32)
        let token = APIToken(
            id: id, user: user, name: name, scopes: Array(Set(scopes)).sorted(), secretHash: Self.hexString(Array(SHA256.hash(data: Array(secret.utf8)))),
            createdAt: time, expiresAt: expiresAt)
        try await stored { () async throws(StoreError) in try await store.addToken(token, by: actor, at: time) }
        return (token, "mrk_\(id)_\(secret)")
    }

    package func tokens() async throws(CoreError) -> [APIToken] {
        try await stored { () async throws(StoreError) in try await store.tokens() }
    }

    package func revokeToken(_ id: String, by actor: String) async throws(CoreError) {
        try await stored { () async throws(StoreError) in try await store.revokeToken(id: id, by: actor, at: now) }
    }

    /// The actor an API token (`mrk_ID_SECRET`) stands for; refused (`.unauthenticated`, one message for
    /// every reason) when it is malformed, unknown, wrong, revoked or expired, or its user is gone.
    public func authenticate(token text: String) async throws(CoreError) -> Actor {
        let refused = CoreError(.unauthenticated, key: "token.invalid")
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "mrk", parts[1].utf8.count == 16, parts[2].utf8.count == 64 else { throw refused }
        guard let token = try await stored({ () async throws(StoreError) in try await store.token(id: String(parts[1])) }) else { throw refused }
        let presented = Array(Self.hexString(Array(SHA256.hash(data: Array(parts[2].utf8)))).utf8)
        guard ConstantTime.equal(presented, token.secretHash.utf8) else { throw refused }
        guard token.revokedAt == nil, token.expiresAt.map({ $0 > now }) ?? true,
            let user = try await stored({ () async throws(StoreError) in try await store.user(id: token.user) })
        else { throw refused }
        return Actor(user: user, scopes: Set(token.scopes), tokenID: token.id)
    }
}
