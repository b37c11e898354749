public import Basics
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

    /// The table's columns in its order (a test holds them to the database's): `SELECT *` reads them by
    /// position, which the dry run over every client needs, under their names.
    public enum Columns: Int, CaseIterable {
        case id, unit, displayName, contact, language, registeredAt, erasedAt, schemaReference
        /// For lists only (see ``SQLiteStore/setListing(client:phase:decisionEnd:_:)``): not part of the record.
        case openPhase, openDue
    }

    public init(row: Row) {
        self.init(
            id: row[Columns.id.rawValue], unit: row[Columns.unit.rawValue], displayName: row[Columns.displayName.rawValue],
            contact: row[Columns.contact.rawValue], language: row[Columns.language.rawValue], registeredAt: row[Columns.registeredAt.rawValue],
            erasedAt: row[Columns.erasedAt.rawValue], schemaReference: row[Columns.schemaReference.rawValue])
    }

    func insertCached(_ db: Database) throws {
        try db.cachedStatement(
            sql: "INSERT INTO client (id, unit, displayName, contact, language, registeredAt, erasedAt, schemaReference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [id, unit, displayName, contact, language, registeredAt, erasedAt, schemaReference])
    }
}

extension ActivityUnit: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "unit"
}

extension Revocation: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "revocation"

    /// The table's columns in its order (a test holds them to the database's).
    public enum Columns: Int, CaseIterable { case credentialID, reason, revokedAt, by }

    public init(row: Row) {
        self.init(
            credentialID: row[Columns.credentialID.rawValue], reason: row[Columns.reason.rawValue], revokedAt: row[Columns.revokedAt.rawValue],
            by: row[Columns.by.rawValue])
    }
}

extension Suspension: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "suspension"

    public init(row: Row) {
        self.init(credentialID: row["credentialID"], reason: row["reason"], suspendedAt: row["suspendedAt"], by: row["by"])
    }
}

extension AuditEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audit"

    public init(row: Row) {
        self.init(
            stored: row["sequence"], at: row["at"], actor: row["actor"], action: row["action"], subject: row["subject"], detail: row["detail"],
            detailDigest: row["detailDigest"], redacted: row["redacted"], previous: row["previous"], hash: row["hash"])
    }

    /// Inserts the entry with its mentions (``mentions``), or without them (`mentions: false`) in a migration
    /// older than the table that holds them, which indexes every entry when it comes.
    func insertCached(_ db: Database, mentions indexed: Bool = true) throws {
        try db.cachedStatement(
            sql: "INSERT INTO audit (sequence, at, actor, action, subject, detail, detailDigest, redacted, previous, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [sequence, at, actor, action, subject, detail, detailDigest, redacted, previous, hash])
        guard indexed else { return }
        let mention = try db.cachedStatement(sql: "INSERT OR IGNORE INTO auditMention (name, sequence) VALUES (?, ?)")
        for name in mentions { try mention.execute(arguments: [name, sequence]) }
    }
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

extension StoredSession: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "session"
}

extension SignInCode: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "signInCode"
}

/// An API token row: the scopes as one space-separated column.
struct TokenRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "apiToken"
    var id: String
    var user: String
    var name: String
    var scopes: String
    var secretHash: String
    var createdAt: Timestamp
    var expiresAt: Timestamp?
    var revokedAt: Timestamp?

    init(_ token: APIToken) {
        id = token.id
        user = token.user
        name = token.name
        scopes = token.scopes.map(\.rawValue).joined(separator: " ")
        secretHash = token.secretHash
        createdAt = token.createdAt
        expiresAt = token.expiresAt
        revokedAt = token.revokedAt
    }

    var token: APIToken {
        APIToken(
            id: id, user: user, name: name, scopes: scopes.split(separator: " ").compactMap { APIToken.Scope(rawValue: String($0)) },
            secretHash: secretHash, createdAt: createdAt, expiresAt: expiresAt, revokedAt: revokedAt)
    }
}

struct DefinitionsVersionRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "definitionsVersion"
    enum Columns {
        static let digest = Column(CodingKeys.digest)
        static let files = Column(CodingKeys.files)
        static let uploadedBy = Column(CodingKeys.uploadedBy)
        static let uploadedAt = Column(CodingKeys.uploadedAt)
    }
    var digest: String
    var files: Int
    var uploadedBy: String
    var uploadedAt: Timestamp
    var archive: Data

    init(_ version: DefinitionsVersion, archive: [UInt8]) {
        digest = version.digest
        files = version.files
        uploadedBy = version.uploadedBy
        uploadedAt = version.uploadedAt
        self.archive = Data(archive)
    }
}

struct ShareRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "share"
    enum Columns {
        static let token = Column(CodingKeys.token)
        static let credential = Column(CodingKeys.credential)
        static let client = Column(CodingKeys.client)
        static let createdAt = Column(CodingKeys.createdAt)
    }
    var token: String
    var credential: String
    var client: String
    var createdAt: Timestamp

    init(_ share: CredentialShare) {
        token = share.token
        credential = share.credential
        client = share.client
        createdAt = share.createdAt
    }

    var share: CredentialShare { CredentialShare(token: token, credential: credential, client: client, createdAt: createdAt) }
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

    /// The table's columns in its order (a test holds them to the database's): `SELECT *` reads them by
    /// position, under their names.
    enum Columns: Int, CaseIterable { case id, client, pathway, decisionStart, decisionEnd, closedAt, outcome }

    init(row: Row) {
        id = row[Columns.id.rawValue]
        client = row[Columns.client.rawValue]
        pathway = row[Columns.pathway.rawValue]
        decisionStart = row[Columns.decisionStart.rawValue]
        decisionEnd = row[Columns.decisionEnd.rawValue]
        closedAt = row[Columns.closedAt.rawValue]
        outcome = row[Columns.outcome.rawValue]
    }

    func insertCached(_ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO period (id, client, pathway, decisionStart, decisionEnd, closedAt, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(arguments: [id, client, pathway, decisionStart, decisionEnd, closedAt, outcome])
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

    /// The table's columns in its order (a test holds them to the database's): `SELECT *` reads them by
    /// position, under their names.
    enum Columns: Int, CaseIterable { case period, sequence, phase, at, by }

    init(row: Row) {
        period = row[Columns.period.rawValue]
        sequence = row[Columns.sequence.rawValue]
        phase = row[Columns.phase.rawValue]
        at = row[Columns.at.rawValue]
        by = row[Columns.by.rawValue]
    }

    func insertCached(_ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO phaseChange (period, sequence, phase, at, by) VALUES (?, ?, ?, ?, ?)").execute(arguments: [period, sequence, phase, at, by])
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
            period: period, responses: PairText.read(responses) { .init(item: $0, value: $1) },
            levels: PairText.read(levels) { .init(competence: $0, level: $1) }, note: note)
    }

    /// The table's columns in its order (a test holds them to the database's): `SELECT *` reads them by
    /// position, under their names.
    enum Columns: Int, CaseIterable { case client, id, position, assessedAt, assessor, evidence, instrument, checkpoint, period, responses, levels, note }

    init(row: Row) {
        client = row[Columns.client.rawValue]
        id = row[Columns.id.rawValue]
        position = row[Columns.position.rawValue]
        assessedAt = row[Columns.assessedAt.rawValue]
        assessor = row[Columns.assessor.rawValue]
        evidence = row[Columns.evidence.rawValue]
        instrument = row[Columns.instrument.rawValue]
        checkpoint = row[Columns.checkpoint.rawValue]
        period = row[Columns.period.rawValue]
        responses = row[Columns.responses.rawValue]
        levels = row[Columns.levels.rawValue]
        note = row[Columns.note.rawValue]
    }

    func insertCached(_ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO assessment (client, id, position, assessedAt, assessor, evidence, instrument, checkpoint, period, responses, levels, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").execute(arguments: [client, id, position, assessedAt, assessor, evidence, instrument, checkpoint, period, responses, levels, note])
    }
}

/// `key=value` pairs separated by spaces; keys are definition ids (no spaces or `=`), values integers.
enum PairText {
    static func write(_ pairs: [(String, Int)]) -> String {
        pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    static func read<Element>(_ text: String, _ make: (String, Int) -> Element) -> [Element] {
        var text = text
        return text.withUTF8 { bytes in read(bytes, make) }
    }

    /// The pairs of UTF-8 text, each made into an element by `make`.
    static func read<Element>(_ bytes: UnsafeBufferPointer<UInt8>, _ make: (String, Int) -> Element) -> [Element] {
        var pairs: [Element] = []
        pairs.reserveCapacity(bytes.count / 8)
        var start = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: " ") {
            defer { start = index + 1 }
            guard index > start else { continue }
            var equals = index - 1
            while equals > start, bytes[equals] != UInt8(ascii: "=") { equals -= 1 }
            guard equals > start else { continue }
            var value = 0
            var negative = false
            var position = equals + 1
            if position < index, bytes[position] == UInt8(ascii: "-") {
                negative = true
                position += 1
            }
            guard position < index else { continue }
            var valid = true
            while position < index {
                let digit = bytes[position] &- 48
                guard digit < 10, value < Int.max / 10 - 10 else {
                    valid = false
                    break
                }
                value = value * 10 + Int(digit)
                position += 1
            }
            guard valid else { continue }
            pairs.append(make(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<equals]), as: UTF8.self), negative ? -value : value))
        }
        return pairs
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

    /// The table's columns in its order (a test holds them to the database's): `SELECT *` reads them by
    /// position, under their names.
    enum Columns: Int, CaseIterable { case client, position, badge, by, role, at }

    init(row: Row) {
        client = row[Columns.client.rawValue]
        position = row[Columns.position.rawValue]
        badge = row[Columns.badge.rawValue]
        by = row[Columns.by.rawValue]
        role = row[Columns.role.rawValue]
        at = row[Columns.at.rawValue]
    }

    func insertCached(_ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO attestation (client, position, badge, by, role, at) VALUES (?, ?, ?, ?, ?, ?)").execute(arguments: [client, position, badge, by, role, at])
    }
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

    /// The table's columns in its order (a test holds them to the database's): `SELECT *` reads them by
    /// position, under their names.
    enum Columns: Int, CaseIterable { case client, position, badge, issuedAt, validUntil, revoked, credential }

    init(row: Row) {
        client = row[Columns.client.rawValue]
        position = row[Columns.position.rawValue]
        badge = row[Columns.badge.rawValue]
        issuedAt = row[Columns.issuedAt.rawValue]
        validUntil = row[Columns.validUntil.rawValue]
        revoked = row[Columns.revoked.rawValue]
        credential = row[Columns.credential.rawValue]
    }

    func insertCached(_ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO heldAward (client, position, badge, issuedAt, validUntil, revoked, credential) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(arguments: [client, position, badge, issuedAt, validUntil, revoked, credential])
    }
}

/// A credential row: `bytes` holds the whole credential, or, when `prefix` names a shared prefix, the
/// part after it. Read with ``selection``, which joins the prefix back on.
struct CredentialRow: FetchableRecord {
    static let selection =
        "SELECT credential.id, badge, client, recipient, format, keyID, issuedAt, validUntil, definitionsDigest, credential.bytes, language, prefix, credentialPrefix.bytes, statusPlace.list, statusPlace.idx FROM credential LEFT JOIN credentialPrefix ON credentialPrefix.id = credential.prefix LEFT JOIN statusPlace ON statusPlace.credential = credential.id"

    /// The columns of ``selection`` in its order (a test holds them to the statement's).
    enum Columns: Int, CaseIterable {
        case id, badge, client, recipient, format, keyID, issuedAt, validUntil, definitionsDigest, bytes, language, prefix, prefixBytes, list, idx
    }

    var credential: IssuedCredential

    init(row: Row) {
        var bytes: [UInt8] = []
        if let prefix = row[Columns.prefixBytes.rawValue] as Data? { bytes += prefix }
        bytes += (row[Columns.bytes.rawValue] as Data?) ?? Data()
        credential = IssuedCredential(
            id: row[Columns.id.rawValue], badge: row[Columns.badge.rawValue], client: row[Columns.client.rawValue],
            recipient: row[Columns.recipient.rawValue], format: row[Columns.format.rawValue], keyID: row[Columns.keyID.rawValue],
            issuedAt: row[Columns.issuedAt.rawValue], validUntil: row[Columns.validUntil.rawValue],
            definitionsDigest: row[Columns.definitionsDigest.rawValue], language: row[Columns.language.rawValue], bytes: bytes,
            status: (row[Columns.list.rawValue] as Int?).flatMap { list in (row[Columns.idx.rawValue] as Int?).map { StatusListEntry(list: list, index: $0) } })
    }

    /// The credentials that share a prefix: same badge, format, key and language.
    static func groupKey(_ credential: IssuedCredential) -> String {
        "\(credential.badge) \(credential.format.rawValue) \(credential.keyID ?? "-") \(credential.language.rawValue)"
    }

    /// Stores a credential, after the prefix when it starts with it.
    static func insert(_ credential: IssuedCredential, prefix: SharedPrefix?, _ db: Database) throws {
        let shared = prefix.flatMap { $0.isPrefix(of: credential.bytes) ? $0 : nil }
        let stored = Data(credential.bytes[(shared?.bytes.count ?? 0)...])
        try db.cachedStatement(
            sql: """
                INSERT INTO credential (id, badge, client, recipient, format, keyID, issuedAt, validUntil, definitionsDigest, bytes, language, prefix)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            credential.id, credential.badge, credential.client, credential.recipient, credential.format, credential.keyID, credential.issuedAt,
            credential.validUntil, credential.definitionsDigest, stored, credential.language, shared?.id,
        ])
        if let place = credential.status {
            try db.cachedStatement(sql: "UPDATE statusPlace SET credential = ? WHERE list = ? AND idx = ? AND credential IS NULL")
                .execute(arguments: [credential.id, place.list, place.index])
            guard db.changesCount == 1 else {
                throw StoreError(
                    .conflict, "status list place \(place.list)/\(place.index) is not a free reserved place", key: "status.placeTaken",
                    ["list": "\(place.list)", "index": "\(place.index)"])
            }
        }
    }
}

/// A stored prefix that credentials of one group share.
struct SharedPrefix: Sendable {
    var id: Int64
    var bytes: [UInt8]

    /// Whether `bytes` starts with this prefix (compared with memcmp: credentials are long).
    func isPrefix(of bytes: [UInt8]) -> Bool {
        guard bytes.count >= self.bytes.count else { return false }
        return self.bytes.withUnsafeBufferPointer { prefix in
            bytes.withUnsafeBufferPointer { whole in memcmp(prefix.baseAddress!, whole.baseAddress!, prefix.count) == 0 }
        }
    }

    /// Below this many bytes in common, a prefix is not worth a row.
    static let minimumLength = 1024

    /// The group's newest prefix.
    static func current(_ group: String, _ db: Database) throws -> SharedPrefix? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT id, bytes FROM credentialPrefix WHERE groupKey = ? ORDER BY id DESC LIMIT 1"), arguments: [group])
            .map { SharedPrefix(id: $0[0], bytes: [UInt8]($0[1] as Data)) }
    }

    /// A new prefix for the group, when `credential` does not start with the current one: the bytes it has
    /// in common with the current prefix (which so shrinks to what the group really shares), or, for a
    /// group without one, with the group's latest credential stored whole — when there are enough of them.
    static func make(_ group: String, for credential: IssuedCredential, current: SharedPrefix?, _ db: Database) throws -> SharedPrefix? {
        let other: [UInt8]
        if let current {
            other = current.bytes
        } else {
            let latest = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT bytes FROM credential WHERE badge = ? AND format = ? AND keyID IS ? AND language = ? AND prefix IS NULL ORDER BY rowid DESC LIMIT 1"),
                arguments: [credential.badge, credential.format, credential.keyID, credential.language])
            guard let latest else { return nil }
            other = [UInt8](latest[0] as Data)
        }
        var length = 0
        let limit = min(other.count, credential.bytes.count)
        while length < limit, other[length] == credential.bytes[length] { length += 1 }
        guard length >= minimumLength else { return nil }
        let bytes = Array(credential.bytes[..<length])
        try db.cachedStatement(sql: "INSERT INTO credentialPrefix (groupKey, bytes) VALUES (?, ?)").execute(arguments: [group, Data(bytes)])
        return SharedPrefix(id: db.lastInsertedRowID, bytes: bytes)
    }
}
