public import Basics
public import Credentials
public import Definitions
import Evaluation
public import Storage

/// What a share link's public page shows: the badge, who issued it and when, and whether it is valid now
/// — never who holds it.
public struct SharedBadge: Sendable {
    public var badge: Badge
    public var issuer: Issuer?
    public var issuedAt: Timestamp
    public var validUntil: Timestamp?
    /// The credential verified as it stands now (the issuer's keys and status lists).
    public var report: VerificationReport
}

extension BadgeService {
    /// The client's own credential by its id or by the uuid in its page address.
    func ownCredential(_ reference: String, as actor: Actor) async throws(CoreError) -> IssuedCredential {
        guard actor.user.role == .client, let client = actor.user.client else { throw CoreError(.forbidden, key: "holder.clientOnly") }
        let file = try await clientFile(client, as: actor)
        guard let credential = file.credentials.first(where: { $0.id == reference || $0.pageID == reference }) else {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": reference])
        }
        return credential
    }

    /// The address of a share link's public page, under the base URL the public documents are served at.
    public func shareURL(_ share: CredentialShare) throws -> String {
        try publisher().layout.base + "shared/" + share.token
    }

    /// Turns on a share link for one of the client's own credentials (only the client: a client user, or
    /// a token of theirs); a link that is on already is returned as it is. A revoked credential cannot be
    /// shared. Audited.
    public func shareCredential(_ reference: String, as actor: Actor) async throws(CoreError) -> CredentialShare {
        let credential = try await ownCredential(reference, as: actor)
        if let share = try await stored({ () async throws(StoreError) in try await store.shares(client: credential.client) }).first(where: { $0.credential == credential.id }) {
            return share
        }
        if try await stored({ () async throws(StoreError) in try await store.revocation(of: credential.id) }) != nil { throw CoreError(.conflict, key: "share.revoked", ["credential": credential.id]) }
        let share = CredentialShare(token: Self.randomHex(16), credential: credential.id, client: credential.client, createdAt: now)
        try await stored { () async throws(StoreError) in try await store.addShare(share, by: actor.auditName, at: share.createdAt) }
        return share
    }

    /// Turns a credential's share link off: its page stops working at once. Audited.
    public func stopSharing(_ reference: String, as actor: Actor) async throws(CoreError) {
        let credential = try await ownCredential(reference, as: actor)
        try await stored { () async throws(StoreError) in try await store.removeShare(credential: credential.id, by: actor.auditName, at: now) }
    }

    /// The client's share links that are on (only the client).
    public func shares(as actor: Actor) async throws(CoreError) -> [CredentialShare] {
        guard actor.user.role == .client, let client = actor.user.client else { throw CoreError(.forbidden, key: "holder.clientOnly") }
        try await authorize(actor, .readClient(client))
        return try await stored { () async throws(StoreError) in try await store.shares(client: client) }
    }

    /// A share link's page, for anyone: "not found" alike for a token that never was, a link turned off, a
    /// revoked credential and an erased client.
    public func sharedBadge(token: String) async throws -> SharedBadge {
        let gone = CoreError(.notFound, key: "share.notFound")
        guard token.utf8.count == 32, Hex.decode(token) != nil,
            let share = try await stored({ () async throws(StoreError) in try await store.share(token: token) }),
            let credential = try await stored({ () async throws(StoreError) in try await store.credential(id: share.credential) }),
            let badge = compiled.definitions.badge(credential.badge)
        else { throw gone }
        let report = try await verify(credential.bytes)
        if report.failures.contains(where: { if case .revoked = $0 { true } else { false } }) { throw gone }
        return SharedBadge(
            badge: badge, issuer: compiled.definitions.issuers.first, issuedAt: credential.issuedAt, validUntil: credential.validUntil, report: report)
    }
}

extension IssuedCredential {
    /// The uuid of the credential's id (`urn:uuid:…`, or the last part of a hosted assertion's URL), as the
    /// client's pages and the API name it.
    public var pageID: String {
        if id.hasPrefix("urn:uuid:") { return String(id.dropFirst("urn:uuid:".count)) }
        let last = id.split(separator: "/").last.map(String.init) ?? id
        return last.hasSuffix(".json") ? String(last.dropLast(".json".count)) : last
    }
}
