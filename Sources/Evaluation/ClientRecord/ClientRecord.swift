public import Definitions

/// One client's digital-skill record: assessments, attestations and awards already held.
///
/// The client is pseudonymous: `client` is an id such as `asiakas-0f3a`, never a name or a personal
/// identity code. References are bound to the compiled definitions when the record is read, so the
/// evaluator works with indices, not strings.
public struct ClientRecord: Sendable {
    public let client: String
    public let assessments: [Assessment]
    public let attestations: [Attestation]
    public let awards: [Award]
    /// The same record as flat numbers, built once here so evaluation touches no strings.
    let flat: FlatRecord

    public init(client: String, assessments: [Assessment] = [], attestations: [Attestation] = [], awards: [Award] = []) {
        self.client = client
        self.assessments = assessments
        self.attestations = attestations
        self.awards = awards
        self.flat = FlatRecord(assessments: assessments, attestations: attestations, awards: awards)
    }

    public struct Assessment: Sendable {
        public var id: String
        public var assessedAt: Timestamp
        public var assessor: String
        public var evidence: Evidence
        /// Index into ``CompiledDefinitions/instruments``.
        public var instrument: Int?
        public var checkpoint: String?
        public var responses: [Response]
        public var levels: [DirectLevel]

        public init(
            id: String, assessedAt: Timestamp, assessor: String, evidence: Evidence, instrument: Int? = nil,
            checkpoint: String? = nil, responses: [Response] = [], levels: [DirectLevel] = []
        ) {
            self.id = id
            self.assessedAt = assessedAt
            self.assessor = assessor
            self.evidence = evidence
            self.instrument = instrument
            self.checkpoint = checkpoint
            self.responses = responses
            self.levels = levels
        }
    }

    /// An answer to an item of the assessment's instrument (`item` indexes the instrument's items).
    public struct Response: Sendable {
        public var item: Int
        public var value: Int
        public init(item: Int, value: Int) {
            self.item = item
            self.value = value
        }
    }

    /// A level an assessor recorded directly (`competence` indexes ``CompiledDefinitions/competenceCodes``).
    public struct DirectLevel: Sendable {
        public var competence: Int
        public var level: Int
        public init(competence: Int, level: Int) {
            self.competence = competence
            self.level = level
        }
    }

    public struct Attestation: Sendable {
        /// Index into ``CompiledDefinitions/badges``.
        public var badge: Int
        public var by: String
        public var role: Criterion.Role
        public var at: Timestamp
        public init(badge: Int, by: String, role: Criterion.Role, at: Timestamp) {
            self.badge = badge
            self.by = by
            self.role = role
            self.at = at
        }
    }

    public struct Award: Sendable {
        public var badge: Int
        public var issuedAt: Timestamp
        public var validUntil: Timestamp?
        public var revoked: Bool
        public init(badge: Int, issuedAt: Timestamp, validUntil: Timestamp? = nil, revoked: Bool = false) {
            self.badge = badge
            self.issuedAt = issuedAt
            self.validUntil = validUntil
            self.revoked = revoked
        }

        /// Held and valid at an instant: issued by then, not expired, not revoked.
        public func isValid(at time: Timestamp) -> Bool {
            !revoked && issuedAt <= time && (validUntil.map { time < $0 } ?? true)
        }
    }
}
