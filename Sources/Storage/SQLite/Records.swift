public import Basics
public import Credentials
public import Definitions
import Foundation
public import GRDB

// How the store's values sit in SQLite columns: instants as RFC 3339 text in the offset they were
// written with (so an export gives back the same text), enums as their raw values.

extension Timestamp: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { description.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Timestamp? {
        guard let text = String.fromDatabaseValue(dbValue), case .success(let timestamp) = Timestamp.parse(text) else { return nil }
        return timestamp
    }
}

extension Evidence: DatabaseValueConvertible {}
extension Language: DatabaseValueConvertible {}
extension Criterion.Role: DatabaseValueConvertible {}
extension CredentialFormat: DatabaseValueConvertible {}
extension User.Role: DatabaseValueConvertible {}

extension StoredClient: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "client"
}

extension Unit: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "unit"
}

extension Revocation: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "revocation"
}

extension AuditEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audit"
}

struct UserRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "user"
    var id: String
    var role: User.Role
    var displayName: String?
    var client: String?
    var createdAt: Timestamp

    init(_ user: User) {
        id = user.id
        role = user.role
        displayName = user.displayName
        client = user.client
        createdAt = user.createdAt
    }

    func user(units: [String]) -> User {
        User(id: id, role: role, displayName: displayName, client: client, createdAt: createdAt, units: units)
    }
}

struct UnitMember: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "unitMember"
    var unit: String
    var user: String
}

struct PeriodRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "period"
    var id: String
    var client: String
    var pathway: String
    var decisionStart: Timestamp?
    var decisionEnd: Timestamp?
    var closedAt: Timestamp?
    var outcome: String?

    init(_ period: PathwayPeriod) {
        id = period.id
        client = period.client
        pathway = period.pathway
        decisionStart = period.decisionStart
        decisionEnd = period.decisionEnd
        closedAt = period.closedAt
        outcome = period.outcome
    }

    func period(phases: [PhaseRow]) -> PathwayPeriod {
        PathwayPeriod(
            id: id, client: client, pathway: pathway, decisionStart: decisionStart, decisionEnd: decisionEnd,
            phases: phases.map { PhaseChange(phase: $0.phase, at: $0.at, by: $0.by) }, closedAt: closedAt, outcome: outcome)
    }
}

struct PhaseRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "phaseChange"
    var period: String
    var sequence: Int
    var phase: String
    var at: Timestamp
    var by: String

    init(_ change: PhaseChange, period: String, sequence: Int) {
        self.period = period
        self.sequence = sequence
        phase = change.phase
        at = change.at
        by = change.by
    }
}

/// An assessment row; responses and levels are compact text (`item=value item=value`), which reads
/// much faster than JSON when a dry run goes through every client.
struct AssessmentRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "assessment"
    var client: String
    var id: String
    var position: Int
    var assessedAt: Timestamp
    var assessor: String
    var evidence: Evidence
    var instrument: String?
    var checkpoint: String?
    var period: String?
    var responses: String
    var levels: String
    var note: String?

    init(_ assessment: StoredAssessment, client: String, position: Int) {
        self.client = client
        self.position = position
        id = assessment.id
        assessedAt = assessment.assessedAt
        assessor = assessment.assessor
        evidence = assessment.evidence
        instrument = assessment.instrument
        checkpoint = assessment.checkpoint
        period = assessment.period
        responses = PairText.write(assessment.responses.map { ($0.item, $0.value) })
        levels = PairText.write(assessment.levels.map { ($0.competence, $0.level) })
        note = assessment.note
    }

    var assessment: StoredAssessment {
        StoredAssessment(
            id: id, assessedAt: assessedAt, assessor: assessor, evidence: evidence, instrument: instrument, checkpoint: checkpoint,
            period: period, responses: PairText.read(responses).map { .init(item: $0.0, value: $0.1) },
            levels: PairText.read(levels).map { .init(competence: $0.0, level: $0.1) }, note: note)
    }
}

/// `key=value` pairs separated by spaces; keys are definition ids (no spaces or `=`), values integers.
enum PairText {
    static func write(_ pairs: [(String, Int)]) -> String {
        pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    static func read(_ text: String) -> [(String, Int)] {
        text.split(separator: " ").compactMap { pair in
            guard let equals = pair.lastIndex(of: "="), let value = Int(pair[pair.index(after: equals)...]) else { return nil }
            return (String(pair[..<equals]), value)
        }
    }
}

struct AttestationRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "attestation"
    var client: String
    var position: Int
    var badge: String
    var by: String
    var role: Criterion.Role
    var at: Timestamp

    init(_ attestation: StoredAttestation, client: String, position: Int) {
        self.client = client
        self.position = position
        badge = attestation.badge
        by = attestation.by
        role = attestation.role
        at = attestation.at
    }

    var attestation: StoredAttestation { StoredAttestation(badge: badge, by: by, role: role, at: at) }
}

struct HeldAwardRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "heldAward"
    var client: String
    var position: Int
    var badge: String
    var issuedAt: Timestamp
    var validUntil: Timestamp?
    var revoked: Bool
    var credential: String?

    init(_ award: HeldAward, client: String, position: Int) {
        self.client = client
        self.position = position
        badge = award.badge
        issuedAt = award.issuedAt
        validUntil = award.validUntil
        revoked = award.revoked
        credential = award.credential
    }

    var award: HeldAward {
        HeldAward(badge: badge, issuedAt: issuedAt, validUntil: validUntil, revoked: revoked, credential: credential)
    }
}

struct CredentialRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "credential"
    var id: String
    var badge: String
    var client: String
    var recipient: String
    var format: CredentialFormat
    var keyID: String?
    var issuedAt: Timestamp
    var validUntil: Timestamp?
    var definitionsDigest: String
    var language: Language
    var bytes: Data

    init(_ credential: IssuedCredential) {
        id = credential.id
        badge = credential.badge
        client = credential.client
        recipient = credential.recipient
        format = credential.format
        keyID = credential.keyID
        issuedAt = credential.issuedAt
        validUntil = credential.validUntil
        definitionsDigest = credential.definitionsDigest
        language = credential.language
        bytes = Data(credential.bytes)
    }

    var credential: IssuedCredential {
        IssuedCredential(
            id: id, badge: badge, client: client, recipient: recipient, format: format, keyID: keyID, issuedAt: issuedAt,
            validUntil: validUntil, definitionsDigest: definitionsDigest, language: language, bytes: [UInt8](bytes))
    }
}
