public import Basics

/// A person's signed-in session. The cookie holds a random token; the store keeps only its SHA-256
/// (`id`), so a copy of the database signs no one in.
public struct StoredSession: Sendable, Hashable, Codable {
    /// Lower-case hex SHA-256 of the session token.
    public var id: String
    public var user: String
    /// The token every state-changing request of the session must repeat (`X-CSRF-Token` or a form field).
    public var csrf: String
    public var createdAt: Timestamp
    public var expiresAt: Timestamp

    public init(id: String, user: String, csrf: String, createdAt: Timestamp, expiresAt: Timestamp) {
        self.id = id
        self.user = user
        self.csrf = csrf
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A one-time sign-in code an instructor makes for a client user: used once, before it expires. The store
/// keeps only the SHA-256 of the code.
public struct SignInCode: Sendable, Hashable, Codable {
    /// Lower-case hex SHA-256 of the code (in its plain form: capitals, no dashes).
    public var id: String
    public var user: String
    public var createdBy: String
    public var createdAt: Timestamp
    public var expiresAt: Timestamp
    public var usedAt: Timestamp?

    public init(id: String, user: String, createdBy: String, createdAt: Timestamp, expiresAt: Timestamp, usedAt: Timestamp? = nil) {
        self.id = id
        self.user = user
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// Failed sign-ins under one throttle key within a window (microseconds since 1970).
public struct FailureCount: Sendable, Hashable {
    public var failures: Int
    /// When the window started: the first failure in it.
    public var first: Int64
    public var last: Int64

    public init(failures: Int, first: Int64, last: Int64) {
        self.failures = failures
        self.first = first
        self.last = last
    }
}
