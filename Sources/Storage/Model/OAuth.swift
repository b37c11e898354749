public import Basics

/// A service registered through OAuth 2.0 dynamic client registration (RFC 7591) to read clients' badges
/// through the Open Badges 3.0 API, once a client allows it.
public struct OAuthClient: Sendable, Hashable, Codable {
    /// `client_id`.
    public var id: String
    /// SHA-256 (hex) of `client_secret`; the secret itself is shown once, in the registration response.
    public var secretHash: String
    public var name: String
    public var uri: String
    public var logoURI: String
    public var termsURI: String
    public var policyURI: String
    public var softwareID: String
    public var softwareVersion: String
    public var redirectURIs: [String]
    public var scopes: [String]
    public var contacts: [String]
    public var createdAt: Timestamp

    public init(
        id: String, secretHash: String, name: String, uri: String, logoURI: String, termsURI: String, policyURI: String, softwareID: String,
        softwareVersion: String, redirectURIs: [String], scopes: [String], contacts: [String], createdAt: Timestamp
    ) {
        self.id = id
        self.secretHash = secretHash
        self.name = name
        self.uri = uri
        self.logoURI = logoURI
        self.termsURI = termsURI
        self.policyURI = policyURI
        self.softwareID = softwareID
        self.softwareVersion = softwareVersion
        self.redirectURIs = redirectURIs
        self.scopes = scopes
        self.contacts = contacts
        self.createdAt = createdAt
    }
}

/// A client's consent: a registered service may read what `scopes` allow of the client's badges, until
/// the client withdraws it.
public struct OAuthGrant: Sendable, Hashable, Codable {
    public var id: String
    /// The service's `client_id`.
    public var service: String
    /// The Merkisto client whose badges it reads.
    public var client: String
    /// The client user who allowed it.
    public var user: String
    public var scopes: [String]
    public var createdAt: Timestamp
    public var withdrawnAt: Timestamp?

    public init(id: String, service: String, client: String, user: String, scopes: [String], createdAt: Timestamp, withdrawnAt: Timestamp? = nil) {
        self.id = id
        self.service = service
        self.client = client
        self.user = user
        self.scopes = scopes
        self.createdAt = createdAt
        self.withdrawnAt = withdrawnAt
    }
}

/// An authorization code, access token or refresh token of a grant, kept by the SHA-256 of its secret.
public struct OAuthToken: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case code
        case access
        case refresh
    }

    /// SHA-256 (hex) of the token.
    public var hash: String
    public var kind: Kind
    public var grant: String
    public var scopes: [String]
    public var expiresAt: Timestamp
    /// A code: the redirect URI it was issued for and the PKCE challenge (S256).
    public var redirectURI: String?
    public var codeChallenge: String?
    /// The code (hash) the token descends from: a code used twice revokes them all.
    public var origin: String?
    /// A code: when it was exchanged; a refresh token: when it was used (it is replaced).
    public var usedAt: Timestamp?
    public var revokedAt: Timestamp?

    public init(
        hash: String, kind: Kind, grant: String, scopes: [String], expiresAt: Timestamp, redirectURI: String? = nil, codeChallenge: String? = nil,
        origin: String? = nil, usedAt: Timestamp? = nil, revokedAt: Timestamp? = nil
    ) {
        self.hash = hash
        self.kind = kind
        self.grant = grant
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
        self.origin = origin
        self.usedAt = usedAt
        self.revokedAt = revokedAt
    }

    /// Whether the token works at `time` (not used, revoked or expired).
    public func isLive(at time: Timestamp) -> Bool { usedAt == nil && revokedAt == nil && expiresAt > time }
}
