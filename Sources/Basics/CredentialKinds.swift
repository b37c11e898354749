// What a credential is and where its status lives, as the issuer, the verifier and the store all name them:
// here, so that the store does not depend on the module that signs (Credentials).

/// The credential formats Merkisto issues.
public enum CredentialFormat: String, Sendable, Hashable, CaseIterable, Codable {
    /// OB 3.0 OpenBadgeCredential secured as a VC-JWT.
    case ob3JWT = "ob3-jwt"
    /// OB 3.0 OpenBadgeCredential with an embedded Data Integrity proof (`eddsa-rdfc-2022`, Ed25519).
    case ob3LDP = "ob3-ldp"
    /// OB 2.0 assertion signed as a compact JWS (RS256).
    case ob2Signed = "ob2-signed"
    /// OB 2.0 hosted assertion (JSON served at its id).
    case ob2Hosted = "ob2-hosted"

    /// Whether credentials of the format have a place in the status lists (OB 3.0); OB 2.0 assertions are
    /// revoked through the RevocationList.
    public var hasStatus: Bool { self == .ob3JWT || self == .ob3LDP }
}

/// A credential's place in the issuer's status lists: the list's number and the bit's index in it. The
/// same place serves both purposes: bit `index` of revocation list `list` and of suspension list `list`.
public struct StatusListEntry: Sendable, Hashable, Codable {
    public var list: Int
    public var index: Int

    public init(list: Int, index: Int) {
        self.list = list
        self.index = index
    }
}

extension StatusListEntry {
    /// The length in bits of every status list (Bitstring Status List's minimum, 16 KB): the places a list has.
    public static let listLength = 131_072
}

/// The status of every credential placed in a list, as the publisher needs it.
public struct StatusListState: Sendable, Equatable {
    /// The numbers of the lists that have places handed out.
    public var lists: [Int]
    public var revoked: [StatusListEntry]
    public var suspended: [StatusListEntry]
    /// When a status last changed (or a list was first used): the lists' `validFrom` and their proofs'
    /// `created`, so that the same state always gives the same bytes.
    public var changedAt: Timestamp

    public init(lists: [Int], revoked: [StatusListEntry], suspended: [StatusListEntry], changedAt: Timestamp) {
        self.lists = lists
        self.revoked = revoked
        self.suspended = suspended
        self.changedAt = changedAt
    }
}

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
    /// An OB 3.0 credential's place in the status lists (handed out by ``Store/reserveStatusEntries(count:at:)``).
    public var status: StatusListEntry?

    public init(
        id: String, badge: String, client: String, recipient: String, format: CredentialFormat, keyID: String?, issuedAt: Timestamp,
        validUntil: Timestamp?, definitionsDigest: String, language: Language = .fi, bytes: [UInt8], status: StatusListEntry? = nil
    ) {
        self.status = status
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
