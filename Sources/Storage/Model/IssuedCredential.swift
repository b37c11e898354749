public import Basics
public import Credentials
public import Definitions

/// One issued credential exactly as it left Merkisto.
public struct IssuedCredential: Sendable, Hashable, Codable {
    /// The credential id (`urn:uuid:…` or the hosted assertion URL).
    public var id: String
    public var badge: String
    /// The client's pseudonymous id.
    public var client: String
    /// The recipient as it appears in the credential: a salted hash or a pseudonymous subject id.
    public var recipient: String
    public var format: CredentialFormat
    public var keyID: String?
    public var issuedAt: Timestamp
    public var validUntil: Timestamp?
    public var definitionsDigest: String
    /// The language the credential's texts are in.
    public var language: Language
    /// The exact bytes issued (compact JWS or JSON).
    public var bytes: [UInt8]

    public init(
        id: String, badge: String, client: String, recipient: String, format: CredentialFormat, keyID: String?, issuedAt: Timestamp,
        validUntil: Timestamp?, definitionsDigest: String, language: Language = .fi, bytes: [UInt8]
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
        self.language = language
        self.bytes = bytes
    }
}

public struct Revocation: Sendable, Hashable, Codable {
    public var credentialID: String
    public var reason: String
    public var revokedAt: Timestamp
    public var by: String

    public init(credentialID: String, reason: String, revokedAt: Timestamp, by: String) {
        self.credentialID = credentialID
        self.reason = reason
        self.revokedAt = revokedAt
        self.by = by
    }
}

/// Everything the store holds about one client, read in one transaction.
public struct ClientFile: Sendable, Hashable {
    public var client: StoredClient
    public var periods: [PathwayPeriod]
    /// In the order recorded.
    public var assessments: [StoredAssessment]
    public var attestations: [StoredAttestation]
    /// Badges held from before (imported).
    public var heldAwards: [HeldAward]
    /// Credentials Merkisto issued to the client, oldest first.
    public var credentials: [IssuedCredential]
    /// Revocations of those credentials.
    public var revocations: [Revocation]

    public init(
        client: StoredClient, periods: [PathwayPeriod] = [], assessments: [StoredAssessment] = [], attestations: [StoredAttestation] = [],
        heldAwards: [HeldAward] = [], credentials: [IssuedCredential] = [], revocations: [Revocation] = []
    ) {
        self.client = client
        self.periods = periods
        self.assessments = assessments
        self.attestations = attestations
        self.heldAwards = heldAwards
        self.credentials = credentials
        self.revocations = revocations
    }

    public var openPeriod: PathwayPeriod? { periods.last { $0.isOpen } }

    public func isRevoked(_ credentialID: String) -> Bool { revocations.contains { $0.credentialID == credentialID } }
}
