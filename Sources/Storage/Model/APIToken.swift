public import Basics

/// An API token for an integration (the county's client information system, a portal): it acts as one
/// user, within its scopes. Only the SHA-256 of its secret is stored; the secret is shown once, when made.
public struct APIToken: Sendable, Hashable, Codable {
    /// What a token may do, on top of what its user's role allows.
    public enum Scope: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        /// Read clients, evaluations, reports and credentials.
        case read
        /// Record assessments and attestations, register clients, move pathways.
        case record
        /// Issue and revoke credentials.
        case award
        /// Users, tokens, keys, definitions and the audit log.
        case admin

        public static func < (lhs: Scope, rhs: Scope) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// The public part of the token (it names the token in lists and in the audit log).
    public var id: String
    public var user: String
    /// What the token is for, in the admin's words.
    public var name: String
    public var scopes: [Scope]
    /// Lower-case hex SHA-256 of the secret part.
    public var secretHash: String
    public var createdAt: Timestamp
    public var expiresAt: Timestamp?
    public var revokedAt: Timestamp?

    public init(
        id: String, user: String, name: String, scopes: [Scope], secretHash: String, createdAt: Timestamp, expiresAt: Timestamp? = nil,
        revokedAt: Timestamp? = nil
    ) {
        self.id = id
        self.user = user
        self.name = name
        self.scopes = scopes
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}
