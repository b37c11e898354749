public import Basics
import Foundation
public import Credentials
public import Definitions
public import Evaluation
public import Storage

/// Merkisto's use cases over typed values: the one place where the rules live.
///
/// The command-line tool and the server parse their input, call one of these and render the answer.
/// Every change goes through the ``Store``, which makes it durable — together with its audit entry —
/// before the call returns, so whatever a front end reports as done is done.
public struct BadgeService: Sendable {
    public let store: any Store
    public private(set) var compiled: CompiledDefinitions
    public let keys: KeyStore
    /// Where hosted documents live; nil: the issuer's base-url.
    public let baseURL: String?
    private let clock: @Sendable () -> Timestamp
    /// Issuers per language, kept for the service's life: each remembers its badges' payload templates.
    private var issuers = LanguageIssuers()
    /// The signed status and revocation lists, and a verifier over them, for one status version.
    var hosting = VersionedCache<HostedState>()
    /// Failed sign-ins, for throttling.
    let throttle: any SignInThrottling = MemorySignInThrottle()
    /// bcrypt's cost for new password hashes (2^cost rounds).
    public let passwordCost: UInt8

    public init(
        store: any Store, compiled: CompiledDefinitions, keys: KeyStore, baseURL: String? = nil,
        clock: @escaping @Sendable () -> Timestamp = { Timestamp.now }, passwordCost: UInt8 = 12
    ) {
        self.passwordCost = passwordCost
        self.store = store
        self.compiled = compiled
        self.keys = keys
        self.baseURL = baseURL
        self.clock = clock
    }

    public var now: Timestamp { clock() }

    /// The same service over other definitions, or over the same ones after the keys changed: new issuers
    /// (their payload templates come from both), the same store, keys, clock and sign-in throttle.
    public func renewed(compiled: CompiledDefinitions? = nil) -> BadgeService {
        var copy = self
        if let compiled { copy.compiled = compiled }
        copy.issuers = LanguageIssuers()
        copy.hosting = VersionedCache()
        return copy
    }

    // MARK: Units, users

    package func addUnit(id: String, name: String, by actor: String) throws(CoreError) {
        try checkID(id, "id.unit")
        try stored { () throws(StoreError) in try store.addUnit(ActivityUnit(id: id, name: name), by: actor, at: now) }
    }

    package func addUser(id: String, role: User.Role, displayName: String? = nil, client: String? = nil, units: [String] = [], by actor: String) throws(CoreError) {
        try checkID(id, "id.user")
        if role == .client, client == nil { throw CoreError(.invalid, key: "user.clientNeeded") }
        if role != .client, client != nil { throw CoreError(.invalid, key: "user.clientOnly") }
        if role != .instructor, !units.isEmpty { throw CoreError(.invalid, key: "user.unitsOnly") }
        let time = now
        try stored { () throws(StoreError) in
            try store.addUser(
                User(id: id, role: role, displayName: displayName, client: client, createdAt: time, units: units), by: actor, at: time)
        }
    }

    public func units() throws(CoreError) -> [ActivityUnit] {
        try stored { () throws(StoreError) in try store.units() }
    }

    public func users() throws(CoreError) -> [User] {
        try stored { () throws(StoreError) in try store.users() }
    }

    // MARK: Clients

    /// Registers a client under a pseudonymous id.
    package func registerClient(
        id: String, unit: String? = nil, displayName: String? = nil, contact: String? = nil, language: Language? = nil, by actor: String
    ) throws(CoreError) {
        try checkPseudonym(id)
        let client = StoredClient(id: id, unit: unit, displayName: displayName, contact: contact, language: language, registeredAt: now)
        try stored { () throws(StoreError) in try store.addClient(client, by: actor, at: client.registeredAt) }
    }

    /// Everything stored about a client; erased clients are found (with nothing left but the id).
    public func clientFile(_ id: String) throws(CoreError) -> ClientFile {
        guard let file = try stored({ () throws(StoreError) in try store.clientFile(id) }) else {
            throw CoreError(.notFound, key: "client.notFound", ["client": id])
        }
        return file
    }

    /// One line per client for lists: unit, pathway phase, decision end and whether it has passed.
    public func clientSummaries(at time: Timestamp? = nil) throws(CoreError) -> [ClientSummary] {
        let time = time ?? now
        var summaries: [ClientSummary] = []
        try stored { () throws(StoreError) in
            try store.forEachClientFile { file in summaries.append(ClientSummary(file, at: time)) }
        }
        return summaries
    }

    /// Reads client-record files into the store, each in one transaction; a file with any error is
    /// refused whole, and the others still go in.
    package func importRecord(_ data: [UInt8], unit: String? = nil, by actor: String) throws(CoreError) -> ClientFile {
        var file = try ClientRecordFormat.read(Data(data), compiled: compiled, registeredAt: now)
        if let unit { file.client.unit = unit }
        try stored { () throws(StoreError) in try store.importClient(file, by: actor, at: now) }
        return file
    }

    /// The client's record in the client-record format.
    public func exportRecord(_ id: String) throws(CoreError) -> [UInt8] {
        let file = try clientFile(id)
        guard file.client.erasedAt == nil else { throw CoreError(.conflict, key: "client.erasedExport", ["client": id]) }
        return ClientRecordFormat.write(file)
    }

    /// Erases the client's personal data, the reasons their credentials were revoked or suspended and the audit
    /// details that describe them (docs/decisions/0007); the credentials, their revocations and status bits
    /// stay (verifiers need them).
    package func eraseClient(_ id: String, by actor: String) throws(CoreError) {
        try stored { () throws(StoreError) in try store.eraseClient(id, by: actor, at: now) }
    }

    // MARK: Pathway

    /// The pathway model of the definitions.
    public func pathwayModel() throws(CoreError) -> Pathway {
        guard let pathway = compiled.definitions.pathways.first else {
            throw CoreError(.conflict, key: "pathway.none")
        }
        return pathway
    }

    /// Starts a pathway period in the model's first phase (or `phase`).
    @discardableResult
    package func startPathway(
        client id: String, phase: String? = nil, decisionStart: Timestamp? = nil, decisionEnd: Timestamp? = nil, at time: Timestamp? = nil,
        by actor: String
    ) throws(CoreError) -> PathwayPeriod {
        let model = try pathwayModel()
        let file = try liveFile(id)
        let first = phase ?? model.phases.first?.id ?? ""
        guard model.phase(first) != nil else {
            throw CoreError(.invalid, key: "pathway.noPhase", ["pathway": model.id, "phase": first, "phases": model.phases.map(\.id).joined(separator: ", ")])
        }
        if let decisionStart, let decisionEnd, decisionEnd < decisionStart {
            throw CoreError(.invalid, key: "pathway.decisionOrder", ["end": "\(decisionEnd)", "start": "\(decisionStart)"])
        }
        if let open = file.openPeriod {
            throw CoreError(.conflict, key: "pathway.open", ["client": id, "period": open.id, "phase": open.currentPhase ?? "?"])
        }
        let time = try checkedTime(time, after: file.periods.last?.closedAt)
        let period = PathwayPeriod(
            id: "\(id)-\(file.periods.count + 1)", client: id, pathway: model.id, decisionStart: decisionStart, decisionEnd: decisionEnd,
            phases: [PhaseChange(phase: first, at: time, by: actor)])
        try stored { () throws(StoreError) in try store.startPeriod(period, by: actor, at: time) }
        return period
    }

    /// Moves the client's open period to the next phase; only transitions the model allows.
    @discardableResult
    package func advancePathway(client id: String, to phase: String, at time: Timestamp? = nil, by actor: String) throws(CoreError) -> PathwayPeriod {
        let model = try pathwayModel()
        var period = try openPeriod(of: id)
        let current = period.currentPhase ?? ""
        let allowed = model.phase(current)?.next.map(\.phase) ?? []
        guard allowed.contains(phase) else {
            let key = (model.phase(phase) == nil ? "pathway.unknown" : "pathway.move") + (allowed.isEmpty ? ".last" : ".next")
            throw CoreError(.invalid, key: key, ["pathway": model.id, "phase": phase, "from": current, "next": allowed.joined(separator: ", ")])
        }
        let change = PhaseChange(phase: phase, at: try checkedTime(time, after: period.phases.last?.at), by: actor)
        try stored { () throws(StoreError) in try store.changePhase(period: period.id, from: current, to: change) }
        period.phases.append(change)
        return period
    }

    /// Closes the client's open period with an outcome of the model.
    @discardableResult
    package func closePathway(client id: String, outcome: String, at time: Timestamp? = nil, by actor: String) throws(CoreError) -> PathwayPeriod {
        let model = try pathwayModel()
        guard model.outcomes.contains(where: { $0.id == outcome }) else {
            throw CoreError(.invalid, key: "pathway.noOutcome", ["pathway": model.id, "outcome": outcome, "outcomes": model.outcomes.map(\.id).joined(separator: ", ")])
        }
        var period = try openPeriod(of: id)
        let time = try checkedTime(time, after: period.phases.last?.at)
        try stored { () throws(StoreError) in
            try store.closePeriod(period: period.id, from: period.currentPhase ?? "", outcome: outcome, by: actor, at: time)
        }
        period.closedAt = time
        period.outcome = outcome
        return period
    }

    // MARK: Evidence

    /// Records an assessment after checking every reference against the definitions; an assessment at a
    /// checkpoint joins the client's open pathway period.
    package func recordAssessment(_ assessment: StoredAssessment, client id: String, by actor: String) throws(CoreError) {
        let file = try liveFile(id)
        var assessment = assessment
        if assessment.period == nil, assessment.checkpoint != nil { assessment.period = file.openPeriod?.id }
        var builder = ClientRecordBuilder(compiled: compiled, client: id)
        add(assessment, path: "assessment \(assessment.id)", to: &builder)
        if !builder.errors.isEmpty {
            throw CoreError(.invalid, key: "assessment.errors", problems: builder.errors.map(\.description))
        }
        try stored { () throws(StoreError) in try store.addAssessment(assessment, client: id, by: actor, at: now) }
    }

    // MARK: Evaluation

    /// The client's stored record bound to the definitions.
    public func record(of file: ClientFile) throws(CoreError) -> ClientRecord {
        var builder = ClientRecordBuilder(compiled: compiled, client: file.client.id)
        for (index, assessment) in file.assessments.enumerated() { add(assessment, path: "assessments[\(index)]", to: &builder) }
        for (index, attestation) in file.attestations.enumerated() {
            builder.addAttestation(badge: attestation.badge, by: attestation.by, role: attestation.role, at: attestation.at, path: "attestations[\(index)]")
        }
        for (index, award) in file.heldAwards.enumerated() {
            builder.addAward(badge: award.badge, issuedAt: award.issuedAt, validUntil: award.validUntil, revoked: award.revoked, path: "awards[\(index)]")
        }
        for credential in file.credentials {
            builder.addAward(
                badge: credential.badge, issuedAt: credential.issuedAt, validUntil: credential.validUntil, revoked: file.isRevoked(credential.id),
                path: "credential \(credential.id)")
        }
        do {
            return try builder.build()
        } catch {
            throw CoreError(
                .invalid, key: "record.unfit", ["client": file.client.id], problems: error.errors.map(\.description))
        }
    }

    /// Evaluates a stored client at an instant (default now).
    public func evaluate(client id: String, at time: Timestamp? = nil) throws(CoreError) -> EvaluationResult {
        let record = try record(of: try clientFile(id))
        return Evaluator(compiled).evaluate(record, at: time ?? now)
    }

    // MARK: Credentials

    /// The language a client's credentials are built in: the one asked for, else the client's own, else Finnish.
    public func credentialLanguage(for client: StoredClient, requested: Language?) -> Language {
        requested ?? client.language ?? .fi
    }

    /// Evaluates, builds, signs and records a credential durably, then returns it; a badge that is not
    /// earned is refused with ``NotEarned`` and nothing is written. A badge the client holds in this format
    /// is refused (`.conflict`, naming the credential held) unless `replacing`: then the one held is revoked
    /// (reason "replaced") in the transaction that records the new one, whose audit entry names it.
    package func issue(
        client id: String, badge: String, format: CredentialFormat = .ob3JWT, recipient: Recipient = .anonymous, language: Language? = nil,
        kid: String? = nil, algorithm: SigningAlgorithm? = nil, replacing: Bool = false, by actor: String
    ) throws -> IssuedCredential {
        let file = try liveFile(id)
        let replaced = try held(file, badge: badge, formats: [format], at: now, replacing: replacing)
        return try issue(
            record: try record(of: file), badge: badge, format: format, recipient: recipient,
            language: credentialLanguage(for: file.client, requested: language), kid: kid, algorithm: algorithm, replacing: replaced, by: actor)
    }

    /// Issues one badge to a stored client in several formats at once (an OB 3.0 credential and its OB 2.0
    /// twin for services that read only OB 2.0): every document is built and signed first, then all are
    /// committed in one transaction, so that either all are issued or none.
    package func issue(
        client id: String, badge: String, formats: [CredentialFormat], language: Language? = nil, replacing: Bool = false, by actor: String
    ) throws -> [IssuedCredential] {
        try checkBadge(badge)
        let file = try liveFile(id)
        let time = now
        let replaced = try held(file, badge: badge, formats: formats, at: time, replacing: replacing)
        let record = try record(of: file)
        let language = credentialLanguage(for: file.client, requested: language)
        let issuer = try self.issuer(language)
        // Not earned: refused before anything, places in the status lists included, is written.
        _ = try issuer.requireEarned(record, badge: badge, now: time)
        var places = try statusPlaces(formats.filter(\.hasStatus).count, at: time)
        let credentials = try formats.map { format in
            IssuedCredential(
                try issuer.issue(
                    record, badge: badge, format: format, recipient: .anonymous, kid: nil, algorithm: nil,
                    status: format.hasStatus ? places.popFirst() : nil, now: time),
                client: record.client, language: language)
        }
        try stored { () throws(StoreError) in try store.recordCredentials(credentials, replacing: replaced, by: actor, at: time) }
        return credentials
    }

    /// The same for a record that is not stored (read from a file): evaluate, build, sign, commit, return.
    package func issue(
        record: ClientRecord, badge: String, format: CredentialFormat = .ob3JWT, recipient: Recipient = .anonymous, language: Language = .fi,
        kid: String? = nil, algorithm: SigningAlgorithm? = nil, replacing replaced: [String] = [], by actor: String
    ) throws -> IssuedCredential {
        try checkBadge(badge)
        let issuer = try self.issuer(language)
        let time = now
        // Not earned: refused before anything, places in the status lists included, is written.
        _ = try issuer.requireEarned(record, badge: badge, now: time)
        let status = format.hasStatus ? try statusPlaces(1, at: time).first : nil
        let document = try issuer.issue(
            record, badge: badge, format: format, recipient: recipient, kid: kid, algorithm: algorithm, status: status, now: time)
        let credential = IssuedCredential(document, client: record.client, language: language)
        try stored { () throws(StoreError) in try store.recordCredentials([credential], replacing: replaced, by: actor, at: time) }
        return credential
    }

    /// One award per client, badge and format: the credentials the client holds validly (not revoked, not
    /// past their `validUntil`; a suspended one is still held) of the badge in these formats. Any refuses a
    /// new one (`.conflict`, naming it) unless `replacing`: then they are returned, to be revoked as replaced.
    func held(_ file: ClientFile, badge: String, formats: [CredentialFormat], at time: Timestamp, replacing: Bool) throws(CoreError) -> [String] {
        let held = file.credentials.filter { credential in
            credential.badge == badge && formats.contains(credential.format) && !file.isRevoked(credential.id)
                && (credential.validUntil.map { $0 > time } ?? true)
        }
        if let first = held.first, !replacing {
            throw CoreError(
                .conflict, key: "credential.held", ["client": file.client.id, "badge": badge, "format": first.format.rawValue, "credential": first.id])
        }
        return held.map(\.id)
    }

    /// `count` new places in the status lists, durable before any credential that uses one is signed. The
    /// lists are signed with an active Ed25519 key; without one nothing is issued (a credential without a
    /// status entry could never be known to be revoked), and the error says how to make one.
    func statusPlaces(_ count: Int, at time: Timestamp) throws -> ArraySlice<StatusListEntry> {
        guard count > 0 else { return [] }
        guard try keys.list().contains(where: { $0.algorithm == .edDSA && $0.isActive }) else {
            throw CoreError(.conflict, key: "keys.noStatusKey")
        }
        return try stored { () throws(StoreError) in try store.reserveStatusEntries(count: count, at: time) }[...]
    }

    /// Credential lookup, revocation and the audit log.
    public var ledger: Ledger { Ledger(store: store, clock: clock) }

    /// The issuer for credentials in a language (made once per service).
    func issuer(_ language: Language) throws -> CredentialIssuer {
        try issuers.issuer(language) { try CredentialIssuer(compiled: compiled, keys: keys, baseURL: baseURL, language: language) }
    }

    // MARK: Helpers

    func liveFile(_ id: String) throws(CoreError) -> ClientFile {
        let file = try clientFile(id)
        guard file.client.erasedAt == nil else { throw CoreError(.conflict, key: "client.erased", ["client": id]) }
        return file
    }

    private func openPeriod(of id: String) throws(CoreError) -> PathwayPeriod {
        guard let period = try liveFile(id).openPeriod else {
            throw CoreError(.conflict, key: "pathway.noPeriod", ["client": id])
        }
        return period
    }

    /// A time for a pathway event (default now): not in the future, not before the event it follows.
    private func checkedTime(_ time: Timestamp?, after previous: Timestamp?) throws(CoreError) -> Timestamp {
        let current = now
        let time = time ?? current
        guard time <= current else { throw CoreError(.invalid, key: "time.future", ["time": "\(time)"]) }
        if let previous, time < previous {
            throw CoreError(.invalid, key: "time.order", ["time": "\(time)", "previous": "\(previous)"])
        }
        return time
    }

    func checkBadge(_ id: String) throws(CoreError) {
        guard compiled.badge(id) != nil else { throw CoreError(.notFound, key: "badge.notFound", ["badge": id]) }
    }

    private func checkID(_ id: String, _ key: String) throws(CoreError) {
        guard !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) else {
            throw CoreError(.invalid, key: key, ["id": id])
        }
    }

    private func checkPseudonym(_ id: String) throws(CoreError) {
        try checkID(id, "id.client")
    }

    private func add(_ assessment: StoredAssessment, path: @autoclosure () -> String, to builder: inout ClientRecordBuilder) {
        builder.addAssessment(
            id: assessment.id, assessedAt: assessment.assessedAt, assessor: assessment.assessor, evidence: assessment.evidence,
            instrument: assessment.instrument, checkpoint: assessment.checkpoint, responses: assessment.responses.map { ($0.item, $0.value) },
            levels: assessment.levels.map { ($0.competence, $0.level) }, path: path())
    }
}

extension IssuedCredential {
    /// The ledger's record of a document just issued.
    public init(_ document: IssuedDocument, client: String, language: Language) {
        self.init(
            id: document.id, badge: document.badge, client: client, recipient: document.recipient, format: document.format, keyID: document.keyID,
            issuedAt: document.issuedAt, validUntil: document.validUntil, definitionsDigest: document.definitionsDigest, language: language,
            bytes: document.bytes, status: document.status)
    }
}

/// The credential issuer of each language, made on first use; shared by copies of a service and safe across
/// threads. (Each issuer keeps its own memory of badge texts and templates.)
final class LanguageIssuers: @unchecked Sendable {
    // Every access goes through `lock`.
    private let lock = NSLock()
    private var issuers: [Language: CredentialIssuer] = [:]

    func issuer(_ language: Language, make: () throws -> CredentialIssuer) throws -> CredentialIssuer {
        try lock.withLock {
            if let issuer = issuers[language] { return issuer }
            let issuer = try make()
            issuers[language] = issuer
            return issuer
        }
    }
}

/// A client as a list shows them.
public struct ClientSummary: Sendable, Hashable {
    public var client: StoredClient
    public var period: PathwayPeriod?
    /// The open period is past its decision's end.
    public var overdue: Bool
    public var assessments: Int
    public var credentials: Int

    public init(_ file: ClientFile, at time: Timestamp) {
        client = file.client
        period = file.openPeriod ?? file.periods.last
        overdue = file.openPeriod?.isOverdue(at: time) ?? false
        assessments = file.assessments.count
        credentials = file.credentials.count
    }
}

/// One value kept for the version it was made for (say, the store's status version): asked again for the
/// same version it is given back, for another it is made again. Shared by copies of a service.
final class VersionedCache<Value>: @unchecked Sendable {
    // Every access goes through `lock`; `make` runs outside it (two callers may both make a value).
    private let lock = NSLock()
    private var kept: (version: Int, value: Value)?

    func value(for version: Int, make: () throws -> Value) rethrows -> Value {
        if let kept = lock.withLock({ kept }), kept.version == version { return kept.value }
        let value = try make()
        lock.withLock { kept = (version, value) }
        return value
    }
}
