import Basics
public import Definitions
import Evaluation
public import Storage

/// One confirmation a badge's criteria ask for (`<attestation role=…/>`), and whether it is given for a client.
public struct AttestationStanding: Sendable, Hashable {
    public var badge: String
    /// Who must confirm: an instructor or an administrator.
    public var role: Criterion.Role
    /// The confirmation given, if any (the latest in this role).
    public var given: StoredAttestation?
}

extension Actor {
    /// The person at the server's command line: they hold the database and the keys, so they act as an
    /// administrator; the audit log names them `cli`.
    public static let console = Actor(user: User(id: "cli", role: .admin, createdAt: Timestamp(microseconds: 0)))
}

extension BadgeService {
    /// The confirmations a badge's criteria ask for, in the order they first appear (none for most badges).
    public func attestationRoles(of badge: String) -> [Criterion.Role] {
        guard let criteria = compiled.definitions.badge(badge)?.criteria else { return [] }
        var roles: [Criterion.Role] = []
        for node in criteria.allNodes {
            if case .attestation(let role) = node.expression, !roles.contains(role) { roles.append(role) }
        }
        return roles
    }

    /// Every confirmation the badges ask for and who gave it for the client (for the client page).
    public func attestations(of file: ClientFile) -> [AttestationStanding] {
        compiled.definitions.badges.flatMap { badge in
            attestationRoles(of: badge.id).map { role in
                AttestationStanding(
                    badge: badge.id, role: role,
                    given: file.attestations.filter { $0.badge == badge.id && $0.role == role }.max { $0.at < $1.at })
            }
        }
    }

    /// The roles an actor confirms in: an administrator in either, an instructor as an instructor, a client never.
    public static func attestingRoles(of actor: Actor) -> Set<Criterion.Role> {
        switch actor.user.role {
        case .admin: [.admin, .instructor]
        case .instructor: [.instructor]
        case .client: []
        }
    }

    /// Confirms a badge's attestation requirement for a client the actor may record for. The role is the
    /// one asked (`role`), else the first the badge asks that the actor can give and no one has given yet.
    /// Refused when the badge asks for no confirmation, when it asks only for one the actor cannot give
    /// (an instructor cannot confirm for an administrator), and when the confirmation is already given
    /// (`.conflict`: withdraw it first). Audited.
    @discardableResult
    public func attest(client id: String, badge: String, role asked: Criterion.Role? = nil, as actor: Actor) async throws(CoreError) -> StoredAttestation {
        try await authorize(actor, .record(client: id))
        try checkBadge(badge)
        let file = try await liveFile(id)
        let needed = attestationRoles(of: badge)
        guard !needed.isEmpty else { throw CoreError(.invalid, key: "attestation.notAsked", ["badge": badge]) }
        let mine = Self.attestingRoles(of: actor)
        let given = Set(file.attestations.filter { $0.badge == badge }.map(\.role))
        let candidates = needed.filter { role in mine.contains(role) && (asked.map { $0 == role } ?? true) }
        guard let role = candidates.first(where: { !given.contains($0) }) else {
            if candidates.isEmpty {
                if let asked, !needed.contains(asked) {
                    throw CoreError(.invalid, key: "attestation.roleNotAsked", ["badge": badge, "role": asked.rawValue])
                }
                throw CoreError(.forbidden, key: "attestation.roleNeeded", ["badge": badge, "role": (asked ?? needed[0]).rawValue])
            }
            throw CoreError(.conflict, key: "attestation.given", ["badge": badge, "client": id])
        }
        let attestation = StoredAttestation(badge: badge, by: actor.auditName, role: role, at: now)
        try await stored { () async throws(StoreError) in try await store.addAttestation(attestation, client: id, by: actor.auditName, at: attestation.at) }
        return attestation
    }

    /// Withdraws the confirmations of a badge for a client that the actor could have given (an instructor:
    /// an instructor's; an administrator: any). Credentials issued while a confirmation stood stay valid
    /// until revoked. Audited; "not found" when there is none to withdraw.
    @discardableResult
    public func withdrawAttestation(client id: String, badge: String, as actor: Actor) async throws(CoreError) -> [StoredAttestation] {
        try await authorize(actor, .record(client: id))
        try checkBadge(badge)
        _ = try await liveFile(id)
        let withdrawn = try await stored { () async throws(StoreError) in
            try await store.withdrawAttestations(client: id, badge: badge, roles: Self.attestingRoles(of: actor), by: actor.auditName, at: now)
        }
        guard !withdrawn.isEmpty else { throw CoreError(.notFound, key: "attestation.notFound", ["badge": badge, "client": id]) }
        return withdrawn
    }
}
