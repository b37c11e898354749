public import Basics
public import Definitions

/// An assessment as recorded: by whom, when, with what evidence, at which checkpoint, and the answers
/// and/or levels. References are definition ids (strings), so a stored assessment outlives a change of
/// definitions; they are bound to a compiled definition set when the client is evaluated.
public struct StoredAssessment: Sendable, Hashable, Codable {
    public var id: String
    public var assessedAt: Timestamp
    public var assessor: String
    public var evidence: Evidence
    public var instrument: String?
    public var checkpoint: String?
    /// The pathway period the assessment belongs to, when it was recorded in one.
    public var period: String?
    public var responses: [Response]
    public var levels: [Level]
    public var note: String?

    public struct Response: Sendable, Hashable, Codable {
        public var item: String
        public var value: Int
        public init(item: String, value: Int) {
            self.item = item
            self.value = value
        }
    }

    public struct Level: Sendable, Hashable, Codable {
        public var competence: String
        public var level: Int
        public init(competence: String, level: Int) {
            self.competence = competence
            self.level = level
        }
    }

    public init(
        id: String, assessedAt: Timestamp, assessor: String, evidence: Evidence, instrument: String? = nil, checkpoint: String? = nil,
        period: String? = nil, responses: [Response] = [], levels: [Level] = [], note: String? = nil
    ) {
        self.id = id
        self.assessedAt = assessedAt
        self.assessor = assessor
        self.evidence = evidence
        self.instrument = instrument
        self.checkpoint = checkpoint
        self.period = period
        self.responses = responses
        self.levels = levels
        self.note = note
    }
}

/// A confirmation by an instructor or an administrator that a badge's requirement holds for the client.
public struct StoredAttestation: Sendable, Hashable, Codable {
    public var badge: String
    public var by: String
    public var role: Criterion.Role
    public var at: Timestamp

    public init(badge: String, by: String, role: Criterion.Role, at: Timestamp) {
        self.badge = badge
        self.by = by
        self.role = role
        self.at = at
    }
}

/// A badge the client held before Merkisto recorded it (imported from a client record), as opposed to
/// a credential Merkisto issued (``IssuedCredential``).
public struct HeldAward: Sendable, Hashable, Codable {
    public var badge: String
    public var issuedAt: Timestamp
    public var validUntil: Timestamp?
    public var revoked: Bool
    /// The credential id, when the record named one.
    public var credential: String?

    public init(badge: String, issuedAt: Timestamp, validUntil: Timestamp? = nil, revoked: Bool = false, credential: String? = nil) {
        self.badge = badge
        self.issuedAt = issuedAt
        self.validUntil = validUntil
        self.revoked = revoked
        self.credential = credential
    }
}
