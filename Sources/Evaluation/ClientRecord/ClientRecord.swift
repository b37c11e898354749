public import Basics
public import Definitions

/// One client's digital-skill record: assessments, attestations and awards already held.
///
/// The client is pseudonymous: `client` is an id such as `asiakas-0f3a`, never a name or a personal
/// identity code. References are bound to one compiled definition set when the record is read (by
/// ``ClientRecordReader`` from JSON, or ``ClientRecordBuilder`` from ids), so the evaluator works with
/// indices, not strings. Only those two make records: every index in a record has been checked against
/// the set it was bound to, and an ``Evaluator`` refuses a record bound to another set.
public struct ClientRecord: Sendable {
    public let client: String
    public let assessments: [Assessment]
    public let attestations: [Attestation]
    public let awards: [Award]
    /// The definition set every index in this record refers to.
    public let compiled: CompiledDefinitions
    /// The same record as flat numbers, built once here so evaluation touches no strings.
    let flat: FlatRecord

    /// Only for records whose indices were checked against `compiled`.
    init(compiled: CompiledDefinitions, client: String, assessments: [Assessment] = [], attestations: [Attestation] = [], awards: [Award] = []) {
        self.compiled = compiled
        self.client = client
        self.assessments = assessments
        self.attestations = attestations
        self.awards = awards
        self.flat = FlatRecord(assessments: assessments, attestations: attestations, awards: awards)
    }

    private init(
        compiled: CompiledDefinitions, client: String, assessments: [Assessment], attestations: [Attestation], awards: [Award], flat: FlatRecord
    ) {
        self.compiled = compiled
        self.client = client
        self.assessments = assessments
        self.attestations = attestations
        self.awards = awards
        self.flat = flat
    }

    /// The same record bound to another definition set, mapping only badges by id, when the two sets'
    /// ``CompiledDefinitions/bindingFingerprint``s are equal (every other index means the same in both);
    /// nil otherwise, or when a badge of the record is not in `other` — bind the record from its ids then.
    public func rebound(to other: CompiledDefinitions) -> ClientRecord? {
        guard other !== compiled else { return self }
        guard other.bindingFingerprint == compiled.bindingFingerprint else { return nil }
        // A badge usually keeps its place in the set: try the same index before the table.
        func mapped(_ badge: Int) -> Int? {
            let id = compiled.badges[badge].id
            return badge < other.badges.count && other.badges[badge].id == id ? badge : other.badge(id)
        }
        var attestations = self.attestations
        var awards = self.awards
        for index in attestations.indices {
            guard let badge = mapped(attestations[index].badge) else { return nil }
            attestations[index].badge = badge
        }
        for index in awards.indices {
            guard let badge = mapped(awards[index].badge) else { return nil }
            awards[index].badge = badge
        }
        // Only badge indices changed: the flat form is this one's with them replaced.
        let flat = flat.withBadges(attestations: attestations.map(\.badge), awards: awards.map(\.badge))
        return ClientRecord(compiled: other, client: client, assessments: assessments, attestations: attestations, awards: awards, flat: flat)
    }

    /// The same client with only the assessments of one kind of evidence (no attestations or awards):
    /// what that evidence alone shows.
    public func only(_ evidence: Evidence) -> ClientRecord {
        ClientRecord(compiled: compiled, client: client, assessments: assessments.filter { $0.evidence == evidence })
    }

    public struct Assessment: Sendable {
        public internal(set) var id: String
        public internal(set) var assessedAt: Timestamp
        public internal(set) var assessor: String
        public internal(set) var evidence: Evidence
        /// Index into ``CompiledDefinitions/instruments``.
        public internal(set) var instrument: Int?
        public internal(set) var checkpoint: String?
        public internal(set) var responses: [Response]
        public internal(set) var levels: [DirectLevel]

        init(
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
        public internal(set) var item: Int
        public internal(set) var value: Int
        init(item: Int, value: Int) {
            self.item = item
            self.value = value
        }
    }

    /// A level an assessor recorded directly (`competence` indexes ``CompiledDefinitions/competenceCodes``).
    public struct DirectLevel: Sendable {
        public internal(set) var competence: Int
        public internal(set) var level: Int
        init(competence: Int, level: Int) {
            self.competence = competence
            self.level = level
        }
    }

    public struct Attestation: Sendable {
        /// Index into ``CompiledDefinitions/badges``.
        public internal(set) var badge: Int
        public internal(set) var by: String
        public internal(set) var role: Criterion.Role
        public internal(set) var at: Timestamp
        init(badge: Int, by: String, role: Criterion.Role, at: Timestamp) {
            self.badge = badge
            self.by = by
            self.role = role
            self.at = at
        }
    }

    public struct Award: Sendable {
        public internal(set) var badge: Int
        public internal(set) var issuedAt: Timestamp
        public internal(set) var validUntil: Timestamp?
        public internal(set) var revoked: Bool
        init(badge: Int, issuedAt: Timestamp, validUntil: Timestamp? = nil, revoked: Bool = false) {
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
