/// One issued credential exactly as it left Merkisto.
public struct IssuedCredential: Sendable, Equatable {
    /// The credential id (`urn:uuid:…` or the hosted assertion URL).
    public var id: String
    public var badge: String
    /// The client's pseudonymous id.
    public var client: String
    /// The recipient as it appears in the credential: a salted hash or a pseudonymous subject id.
    public var recipient: String
    /// `ob3-jwt`, `ob2-signed` or `ob2-hosted`.
    public var format: String
    public var keyID: String?
    /// RFC 3339.
    public var issuedAt: String
    public var validUntil: String?
    public var definitionsDigest: String
    /// The exact bytes issued (compact JWS or JSON).
    public var bytes: [UInt8]

    public init(
        id: String, badge: String, client: String, recipient: String, format: String, keyID: String?, issuedAt: String,
        validUntil: String?, definitionsDigest: String, bytes: [UInt8]
    ) {
        self.id = id
        self.badge = badge
        self.client = client
        self.recipient = recipient
        self.format = format
        self.keyID = keyID
        self.issuedAt = issuedAt
        self.validUntil = validUntil
        self.definitionsDigest = definitionsDigest
        self.bytes = bytes
    }
}

public struct Revocation: Sendable, Equatable {
    public var credentialID: String
    public var reason: String
    /// RFC 3339.
    public var revokedAt: String

    public init(credentialID: String, reason: String, revokedAt: String) {
        self.credentialID = credentialID
        self.reason = reason
        self.revokedAt = revokedAt
    }
}

/// One line of the append-only audit log: who did what, when.
public struct AuditEntry: Sendable, Equatable {
    public var at: String
    public var actor: String
    public var action: String
    public var subject: String
    public var detail: String
}

/// A problem with the ledger; messages never include credential contents.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case duplicate
        case notFound
        case alreadyRevoked
        case database
    }

    public var code: Code
    public var message: String
    public var description: String { message }
}

/// Where issued credentials, revocations and the audit log live.
///
/// Implementations must make a recorded credential durable before `record` returns; issuing reports
/// success only after that. SQLite (``SQLiteLedger``) is the embedded default; the protocol keeps the
/// door open for a PostgreSQL ledger serving several instances.
public protocol AwardLedger: Sendable {
    /// Stores an issued credential and its audit entry in one transaction.
    func record(_ credential: IssuedCredential, actor: String) throws(LedgerError)
    func credential(id: String) throws(LedgerError) -> IssuedCredential?
    func credentials() throws(LedgerError) -> [IssuedCredential]
    /// Revokes a credential with a reason; revoking twice is an error.
    func revoke(id: String, reason: String, at time: String, actor: String) throws(LedgerError) -> Revocation
    func revocations() throws(LedgerError) -> [Revocation]
    func auditLog() throws(LedgerError) -> [AuditEntry]
}
