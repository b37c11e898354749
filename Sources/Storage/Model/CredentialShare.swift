public import Basics

/// A share link a client turned on for one of their credentials: anyone with its token sees a public
/// page of the badge (never the client's pseudonym). Turned off, the row is gone.
public struct CredentialShare: Sendable, Hashable, Codable {
    /// The link's secret part (random, 32 hex digits): the link is the capability, so whoever has it sees
    /// the page. Kept as it is so the client can see their link again.
    public var token: String
    public var credential: String
    public var client: String
    public var createdAt: Timestamp

    public init(token: String, credential: String, client: String, createdAt: Timestamp) {
        self.token = token
        self.credential = credential
        self.client = client
        self.createdAt = createdAt
    }
}
