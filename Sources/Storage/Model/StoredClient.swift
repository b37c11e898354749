public import Basics
import Definitions

/// A client as the store keeps them.
///
/// `id` is pseudonymous (`asiakas-3f9d`) and is the only thing about the client that leaves the store:
/// in credentials, logs and the audit log. The display name, contact and preferred language are kept
/// here only, for the instructors who work with the client, and are removed by erasure.
public struct StoredClient: Sendable, Hashable, Codable {
    public var id: String
    /// The work activity place (unit) the client belongs to.
    public var unit: String?
    public var displayName: String?
    public var contact: String?
    /// The language the client is served in; credentials are built in it.
    public var language: Language?
    public var registeredAt: Timestamp
    /// Set when the client's personal data was erased; the row stays so the id is never reused.
    public var erasedAt: Timestamp?
    /// The `$schema` the imported record named, written back on export.
    public var schemaReference: String?

    public init(
        id: String, unit: String? = nil, displayName: String? = nil, contact: String? = nil, language: Language? = nil,
        registeredAt: Timestamp, erasedAt: Timestamp? = nil, schemaReference: String? = nil
    ) {
        self.id = id
        self.unit = unit
        self.displayName = displayName
        self.contact = contact
        self.language = language
        self.registeredAt = registeredAt
        self.erasedAt = erasedAt
        self.schemaReference = schemaReference
    }
}

/// A work activity place; instructors are assigned to units and see the clients of their units.
public struct ActivityUnit: Sendable, Hashable, Codable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// Someone who signs in: an administrator, an instructor or a client.
public struct User: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        case admin
        case instructor
        case client
    }

    public var id: String
    public var role: Role
    public var displayName: String?
    /// For a client user: the client record they may see.
    public var client: String?
    public var createdAt: Timestamp
    /// The units an instructor is assigned to.
    public var units: [String]

    public init(id: String, role: Role, displayName: String? = nil, client: String? = nil, createdAt: Timestamp, units: [String] = []) {
        self.id = id
        self.role = role
        self.displayName = displayName
        self.client = client
        self.createdAt = createdAt
        self.units = units
    }
}
