public import Basics
public import Credentials
public import Definitions
public import Evaluation
import Crypto
public import Foundation
public import Storage

/// Who is acting: a person signed in as a user, or an integration through an API token (its user,
/// within the token's scopes).
public struct Actor: Sendable, Hashable {
    public var user: User
    /// The token's scopes; nil for a person signed in (their role alone decides).
    public var scopes: Set<APIToken.Scope>?
    public var tokenID: String?

    public init(user: User, scopes: Set<APIToken.Scope>? = nil, tokenID: String? = nil) {
        self.user = user
        self.scopes = scopes
        self.tokenID = tokenID
    }

    /// How the audit log names the actor: the user id, and the token when one was used.
    public var auditName: String { tokenID.map { "\(user.id) (token \($0))" } ?? user.id }
}

/// What an actor asks to do; ``BadgeService/authorize(_:_:)`` says whether they may.
public enum Action: Sendable, Hashable {
    /// List clients (each actor sees only the clients they may read).
    case listClients
    /// Read a client's record, evaluation, report and credentials.
    case readClient(String)
    /// Register a client in a unit.
    case registerClient(unit: String?)
    /// Record assessments and attestations, move the pathway.
    case record(client: String)
    /// Issue a credential to the client, or revoke one of theirs.
    case award(client: String)
    /// Issue to many clients at once: those of a unit, or (nil) of every unit the actor works in.
    case awardMany(unit: String?)
    /// Users, tokens, keys, definitions and the audit log.
    case administer
}

extension BadgeService {
    // MARK: API tokens

    /// Makes an API token for a user (administrators); returns it with the whole token text, which is shown
    /// this once (only the SHA-256 of its secret is kept). Audited.
    public func createToken(
        for user: String, name: String, scopes: [APIToken.Scope], expiresAt: Timestamp? = nil, as actor: Actor
    ) throws(CoreError) -> (token: APIToken, text: String) {
        try authorize(actor, .administer)
        return try createToken(for: user, name: name, scopes: scopes, expiresAt: expiresAt, by: actor.auditName)
    }

    /// Every API token (administrators): ids, users, names, scopes and times, never secrets.
    public func tokens(as actor: Actor) throws(CoreError) -> [APIToken] {
        try authorize(actor, .administer)
        return try tokens()
    }

    /// Revokes an API token (administrators): it works no more at once. Audited.
    public func revokeToken(_ id: String, as actor: Actor) throws(CoreError) {
        try authorize(actor, .administer)
        try revokeToken(id, by: actor.auditName)
    }

    package func createToken(
        for user: String, name: String, scopes: [APIToken.Scope], expiresAt: Timestamp? = nil, by actor: String
    ) throws(CoreError) -> (token: APIToken, text: String) {
        guard !scopes.isEmpty else { throw CoreError(.invalid, key: "token.noScope") }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw CoreError(.invalid, key: "token.noName") }
        guard let owner = try stored({ () throws(StoreError) in try store.user(id: user) }) else { throw CoreError(.notFound, key: "user.notFound", ["user": user]) }
        if scopes.contains(.admin), owner.role != .admin { throw CoreError(.invalid, key: "token.adminScope") }
        let time = now
        if let expiresAt, expiresAt <= time { throw CoreError(.invalid, key: "token.expiresAtOnce") }
        let id = Self.randomHex(8)
        let secret = Self.randomHex(32)
        let token = APIToken(
            id: id, user: user, name: name, scopes: Array(Set(scopes)).sorted(), secretHash: Self.hexString(Array(SHA256.hash(data: Array(secret.utf8)))),
            createdAt: time, expiresAt: expiresAt)
        try stored { () throws(StoreError) in try store.addToken(token, by: actor, at: time) }
        return (token, "mrk_\(id)_\(secret)")
    }

    package func tokens() throws(CoreError) -> [APIToken] {
        try stored { () throws(StoreError) in try store.tokens() }
    }

    package func revokeToken(_ id: String, by actor: String) throws(CoreError) {
        try stored { () throws(StoreError) in try store.revokeToken(id: id, by: actor, at: now) }
    }

    /// The actor an API token (`mrk_ID_SECRET`) stands for; refused (`.unauthenticated`, one message for
    /// every reason) when it is malformed, unknown, wrong, revoked or expired, or its user is gone.
    public func authenticate(token text: String) throws(CoreError) -> Actor {
        let refused = CoreError(.unauthenticated, key: "token.invalid")
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "mrk", parts[1].utf8.count == 16, parts[2].utf8.count == 64 else { throw refused }
        guard let token = try stored({ () throws(StoreError) in try store.token(id: String(parts[1])) }) else { throw refused }
        let presented = Array(Self.hexString(Array(SHA256.hash(data: Array(parts[2].utf8)))).utf8)
        guard ConstantTime.equal(presented, token.secretHash.utf8) else { throw refused }
        guard token.revokedAt == nil, token.expiresAt.map({ $0 > now }) ?? true,
            let user = try stored({ () throws(StoreError) in try store.user(id: token.user) })
        else { throw refused }
        return Actor(user: user, scopes: Set(token.scopes), tokenID: token.id)
    }

    // MARK: Authorization

    /// Whether `actor` may do `action`: admins may do everything; instructors work with the clients of the
    /// units they are assigned to; a client reads only their own record. A token also needs the scope.
    /// A client the actor may not read is "not found", as if it did not exist (`.notFound`); other refusals
    /// are `.forbidden`.
    public func authorize(_ actor: Actor, _ action: Action) throws(CoreError) {
        try authorize(actor, action, file: nil)
    }

    /// ``authorize(_:_:)`` with the client's file already read (nil: read it when needed).
    func authorize(_ actor: Actor, _ action: Action, file: ClientFile?) throws(CoreError) {
        let user = actor.user
        func need(_ scope: APIToken.Scope) throws(CoreError) {
            if let scopes = actor.scopes, !scopes.contains(scope) { throw CoreError(.forbidden, key: "token.scope", ["scope": scope.rawValue]) }
        }
        func staff() throws(CoreError) {
            guard user.role != .client else { throw CoreError(.forbidden, key: "forbidden.staff") }
        }
        switch action {
        case .listClients:
            try need(.read)
        case .readClient(let id):
            try need(.read)
            try visible(id, to: user, file: file)
        case .registerClient(let unit):
            try need(.record)
            try staff()
            if user.role == .instructor {
                guard let unit, user.units.contains(unit) else { throw CoreError(.forbidden, key: "forbidden.register") }
            }
        case .record(let id):
            try need(.record)
            try staff()
            try visible(id, to: user)
        case .award(let id):
            try need(.award)
            try staff()
            try visible(id, to: user)
        case .awardMany(let unit):
            try need(.award)
            try staff()
            if let unit, user.role == .instructor, !user.units.contains(unit) { throw CoreError(.forbidden, key: "forbidden.unit") }
        case .administer:
            try need(.admin)
            guard user.role == .admin else { throw CoreError(.forbidden, key: "forbidden.admin") }
        }
    }

    /// The clients an actor may read.
    public func visibleClients(for actor: Actor) throws(CoreError) -> [ClientSummary] {
        try authorize(actor, .listClients)
        let user = actor.user
        return try clientSummaries().filter { summary in
            switch user.role {
            case .admin: true
            case .instructor: summary.client.unit.map(user.units.contains) ?? false
            case .client: summary.client.id == user.client
            }
        }
    }

    /// Refuses, as "not found", a client the user may not see; `file` saves reading the client again.
    private func visible(_ id: String, to user: User, file: ClientFile? = nil) throws(CoreError) {
        let missing = CoreError(.notFound, key: "client.notFound", ["client": id])
        switch user.role {
        case .admin:
            return
        case .client:
            guard user.client == id else { throw missing }
        case .instructor:
            var read = file
            if read == nil { read = try stored { () throws(StoreError) in try store.clientFile(id) } }
            guard let read, read.client.id == id, let unit = read.client.unit, user.units.contains(unit) else { throw missing }
        }
    }
}

// MARK: Use cases as an actor

extension BadgeService {
    /// Everything stored about a client the actor may read.
    public func clientFile(_ id: String, as actor: Actor) throws(CoreError) -> ClientFile {
        try authorize(actor, .readClient(id))
        return try clientFile(id)
    }

    /// Issues an earned badge to a client the actor may award (see ``issue(client:badge:format:recipient:language:kid:algorithm:by:)``).
    public func issue(
        client id: String, badge: String, format: CredentialFormat = .ob3JWT, recipient: Recipient = .anonymous, language: Language? = nil,
        kid: String? = nil, algorithm: SigningAlgorithm? = nil, replacing: Bool = false, as actor: Actor
    ) throws -> IssuedCredential {
        try authorize(actor, .award(client: id))
        return try issue(
            client: id, badge: badge, format: format, recipient: recipient, language: language, kid: kid, algorithm: algorithm, replacing: replacing,
            by: actor.auditName)
    }

    /// Issues an earned badge from a client record that is not stored (a file; administrators, as no unit
    /// says who else may): evaluated, built, signed and recorded as ``issue(client:badge:format:recipient:language:kid:algorithm:replacing:as:)``.
    public func issue(
        record: ClientRecord, badge: String, format: CredentialFormat = .ob3JWT, recipient: Recipient = .anonymous, language: Language = .fi,
        kid: String? = nil, algorithm: SigningAlgorithm? = nil, as actor: Actor
    ) throws -> IssuedCredential {
        try authorize(actor, .administer)
        return try issue(record: record, badge: badge, format: format, recipient: recipient, language: language, kid: kid, algorithm: algorithm, by: actor.auditName)
    }

    /// Issues an earned badge in several formats at once to a client the actor may award (see
    /// ``issue(client:badge:formats:language:by:)``).
    public func issue(
        client id: String, badge: String, formats: [CredentialFormat], language: Language? = nil, replacing: Bool = false, as actor: Actor
    ) throws -> [IssuedCredential] {
        try authorize(actor, .award(client: id))
        return try issue(client: id, badge: badge, formats: formats, language: language, replacing: replacing, by: actor.auditName)
    }

    /// Revokes a credential of a client the actor may award; a credential the actor may not see is "not found".
    public func revoke(credential id: String, reason: String, as actor: Actor) throws(CoreError) -> Revocation {
        try authorizeAward(credential: id, actor)
        return try ledger.revoke(credential: id, reason: reason, by: actor.auditName)
    }

    /// Suspends a credential of a client the actor may award, or lifts its suspension (`lift`); a
    /// credential the actor may not see is "not found".
    public func suspend(credential id: String, reason: String, as actor: Actor) throws(CoreError) -> Suspension {
        try authorizeAward(credential: id, actor)
        return try ledger.suspend(credential: id, reason: reason, by: actor.auditName)
    }

    public func liftSuspension(credential id: String, as actor: Actor) throws(CoreError) {
        try authorizeAward(credential: id, actor)
        try ledger.liftSuspension(credential: id, by: actor.auditName)
    }

    private func authorizeAward(credential id: String, _ actor: Actor) throws(CoreError) {
        let credential = try ledger.credential(id: id)
        do {
            try authorize(actor, .award(client: credential.client))
        } catch where error.code == .notFound {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": id])
        }
    }

    /// An issued credential of a client the actor may read (a client: only their own); any other is
    /// "not found".
    public func credential(_ id: String, as actor: Actor) throws(CoreError) -> IssuedCredential {
        let credential = try ledger.credential(id: id)
        do {
            try authorize(actor, .readClient(credential.client))
        } catch where error.code == .notFound {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": id])
        }
        return credential
    }

    /// A credential the actor may read, baked into its badge's image (PNG or SVG, as the badge has it), or
    /// into its PNG (`fileExtension` "png", when the badge has one too): the image a holder shows and any
    /// Open Badges verifier reads. Returns the image and its extension.
    public func bakedCredential(_ id: String, fileExtension: String? = nil, as actor: Actor) throws -> (image: Data, fileExtension: String) {
        let credential = try credential(id, as: actor)
        guard let baked = try bakedImages(credential).first(where: { fileExtension == nil || $0.fileExtension == fileExtension }) else {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": id])
        }
        return baked
    }

    /// The credential baked into each picture of its badge: the image, then the PNG when the badge has one.
    func bakedImages(_ credential: IssuedCredential) throws -> [(image: Data, fileExtension: String)] {
        guard let badge = compiled.definitions.badge(credential.badge) else { throw CoreError(.notFound, key: "badge.notFound", ["badge": credential.badge]) }
        let text = String(decoding: credential.bytes, as: UTF8.self)
        var baked: [(image: Data, fileExtension: String)] = []
        for path in [badge.imagePath] + (badge.pngPath.map { [$0] } ?? []) {
            guard let image = FileManager.default.contents(atPath: path) else { throw CoreError(.notFound, key: "badge.notFound", ["badge": credential.badge]) }
            let fileExtension = URL(fileURLWithPath: path).pathExtension.lowercased()
            if !baked.contains(where: { $0.fileExtension == fileExtension }) { baked.append((try Baker.bake(text, into: image), fileExtension)) }
        }
        return baked
    }

    /// Issues every badge earned and not yet held (or only `badge`) to the clients the actor may award:
    /// the ones named, or those of a unit, or every client the actor works with (see
    /// ``issueAllEarned(clients:badge:format:kid:algorithm:groupSize:workers:by:progress:)``). A named
    /// client the actor may not see is "not found", and nothing is issued.
    public func issueAllEarned(
        clients ids: [String]? = nil, unit: String? = nil, badge: String? = nil, format: CredentialFormat = .ob3JWT, kid: String? = nil,
        algorithm: SigningAlgorithm? = nil, as actor: Actor,
        progress: @escaping @Sendable (_ issued: Int, _ clientsDone: Int, _ clientsTotal: Int) -> Void = { _, _, _ in }
    ) throws -> BulkIssue {
        try authorize(actor, .awardMany(unit: unit))
        if let unit, !(try units().contains { $0.id == unit }) { throw CoreError(.notFound, key: "unit.notFound", ["unit": unit]) }
        let chosen: [String]
        if let ids {
            for id in ids { try authorize(actor, .award(client: id)) }
            var inUnit: Set<String>?
            if let unit { inUnit = Set(try clientSummaries().filter { $0.client.unit == unit }.map(\.client.id)) }
            chosen = ids.filter { inUnit?.contains($0) ?? true }
        } else {
            chosen = try clientSummaries().filter { summary in
                guard summary.client.erasedAt == nil else { return false }
                if let unit, summary.client.unit != unit { return false }
                return actor.user.role == .admin || (summary.client.unit.map(actor.user.units.contains) ?? false)
            }.map(\.client.id)
        }
        return try issueAllEarned(clients: chosen, badge: badge, format: format, kid: kid, algorithm: algorithm, by: actor.auditName, progress: progress)
    }

    /// Audit entries after a sequence number (at most `limit`), and whether the whole chain is intact (admins).
    public func auditLog(after sequence: Int64 = 0, limit: Int = 100, as actor: Actor) throws(CoreError) -> (entries: [AuditEntry], intact: Bool) {
        try authorize(actor, .administer)
        let all = try ledger.auditLog()
        let intact = AuditVerification(checking: all).isIntact
        return (Array(all.lazy.filter { $0.sequence > sequence }.prefix(max(0, limit))), intact)
    }
}

extension BadgeService {
    /// Registers a client in a unit (an instructor: one of their own units).
    /// Registers a client in a unit the actor works in, under `id`, or (nil) under a pseudonym Merkisto
    /// makes: `asiakas-` and four random letters and digits. A made pseudonym never collides with one in
    /// another unit, so no one learns from a refusal that it exists (docs/decisions/0008); a chosen id that is
    /// taken is refused as taken, since ids are unique.
    public func registerClient(
        id: String?, unit: String?, displayName: String? = nil, contact: String? = nil, language: Language?, as actor: Actor
    ) throws(CoreError) -> ClientFile {
        try authorize(actor, .registerClient(unit: unit))
        guard let id else {
            for _ in 0..<20 {
                let made = Self.pseudonym()
                do {
                    try registerClient(id: made, unit: unit, displayName: displayName, contact: contact, language: language, by: actor.auditName)
                    return try clientFile(made)
                } catch where error.code == .duplicate {
                    continue
                }
            }
            throw CoreError(.conflict, key: "client.noPseudonym")
        }
        try registerClient(id: id, unit: unit, displayName: displayName, contact: contact, language: language, by: actor.auditName)
        return try clientFile(id)
    }

    /// `asiakas-` and four characters from letters and digits that are not mistaken for one another.
    static func pseudonym() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return "asiakas-" + String((0..<4).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// Everything stored about a client the actor may read and their explained evaluation as of now (nil
    /// for an erased client), from one reading of the store: what a client page shows.
    public func clientOverview(_ id: String, as actor: Actor) throws(CoreError) -> (file: ClientFile, evaluation: EvaluationResult?) {
        let file = try stored { () throws(StoreError) in try store.clientFile(id) }
        try authorize(actor, .readClient(id), file: file)
        guard let file else { throw CoreError(.notFound, key: "client.notFound", ["client": id]) }
        guard file.client.erasedAt == nil else { return (file, nil) }
        return (file, Evaluator(compiled).evaluate(try record(of: file), at: now))
    }

    /// The explained evaluation of a client the actor may read, as of now.
    public func evaluate(client id: String, as actor: Actor) throws(CoreError) -> EvaluationResult {
        try authorize(actor, .readClient(id))
        return try evaluate(client: id)
    }

    /// The progress report of a client the actor may read, as of now.
    public func progressReport(client id: String, as actor: Actor) throws(CoreError) -> ProgressReport {
        try authorize(actor, .readClient(id))
        return try progressReport(client: id)
    }

    /// Starts a pathway period for a client the actor may record for.
    public func startPathway(
        client id: String, phase: String?, decisionStart: Timestamp?, decisionEnd: Timestamp?, at time: Timestamp? = nil, as actor: Actor
    ) throws(CoreError) -> PathwayPeriod {
        try authorize(actor, .record(client: id))
        return try startPathway(client: id, phase: phase, decisionStart: decisionStart, decisionEnd: decisionEnd, at: time, by: actor.auditName)
    }

    /// Moves the client's open pathway period to another phase, as the model allows (at `time`, default now).
    public func advancePathway(client id: String, to phase: String, at time: Timestamp? = nil, as actor: Actor) throws(CoreError) -> PathwayPeriod {
        try authorize(actor, .record(client: id))
        return try advancePathway(client: id, to: phase, at: time, by: actor.auditName)
    }

    /// Closes the client's open pathway period with an outcome the model names.
    public func closePathway(client id: String, outcome: String, at time: Timestamp? = nil, as actor: Actor) throws(CoreError) -> PathwayPeriod {
        try authorize(actor, .record(client: id))
        return try closePathway(client: id, outcome: outcome, at: time, by: actor.auditName)
    }

    /// The users (admins).
    public func users(as actor: Actor) throws(CoreError) -> [User] {
        try authorize(actor, .administer)
        return try users()
    }

    /// Adds a work-activity unit (admins).
    public func addUnit(id: String, name: String, as actor: Actor) throws(CoreError) -> ActivityUnit {
        try authorize(actor, .administer)
        try addUnit(id: id, name: name, by: actor.auditName)
        return ActivityUnit(id: id, name: name)
    }

    /// Adds a user (admins).
    public func addUser(
        id: String, role: User.Role, displayName: String?, client: String?, units: [String], as actor: Actor
    ) throws(CoreError) -> User {
        try authorize(actor, .administer)
        try addUser(id: id, role: role, displayName: displayName, client: client, units: units, by: actor.auditName)
        guard let user = try users().first(where: { $0.id == id }) else { throw CoreError(.failure, "user \(id) was not stored") }
        return user
    }
}
