public import Basics

/// A wallet exchange (VC-API / VCALM, issue side): one credential of a badge for a client, delivered to the
/// DID of the wallet that completes it first, before it expires. Its secret (the last part of the
/// interaction URL) is the capability; only the SHA-256 of the secret is stored.
public struct WalletExchange: Sendable, Hashable, Codable {
    /// SHA-256 (hex) of the exchange's secret.
    public var id: String
    public var client: String
    public var badge: String
    /// The DID authentication challenge the holder's proof must carry.
    public var challenge: String
    public var createdAt: Timestamp
    public var expiresAt: Timestamp
    /// When a wallet completed it; a completed exchange issues nothing more.
    public var completedAt: Timestamp?

    public init(id: String, client: String, badge: String, challenge: String, createdAt: Timestamp, expiresAt: Timestamp, completedAt: Timestamp? = nil) {
        self.id = id
        self.client = client
        self.badge = badge
        self.challenge = challenge
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.completedAt = completedAt
    }
}
