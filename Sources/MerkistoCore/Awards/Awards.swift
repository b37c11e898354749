public import Basics
public import Credentials
import Definitions
public import Evaluation
public import Foundation
public import Storage

/// Credentials and awards: issuing what a client has earned (one valid award per badge and format),
/// revoking and suspending, and the credentials as their holder takes them.
extension BadgeService {
    /// Issues an earned badge to a client the actor may award (see ``issue(client:badge:format:recipient:language:kid:algorithm:by:)``).
    public func issue(
        client id: String, badge: String, format: CredentialFormat = .ob3JWT, recipient: Recipient = .anonymous, language: Language? = nil,
        kid: String? = nil, algorithm: SigningAlgorithm? = nil, replacing: Bool = false, as actor: Actor
    ) async throws -> IssuedCredential {
        try await authorize(actor, .award(client: id))
        return try await issue(
            client: id, badge: badge, format: format, recipient: recipient, language: language, kid: kid, algorithm: algorithm, replacing: replacing,
            by: actor.auditName)
    }

    /// Issues an earned badge from a client record that is not stored (a file; administrators, as no unit
    /// says who else may): evaluated, built, signed and recorded as ``issue(client:badge:format:recipient:language:kid:algorithm:replacing:as:)``.
    public func issue(
        record: ClientRecord, badge: String, format: CredentialFormat = .ob3JWT, recipient: Recipient = .anonymous, language: Language = .fi,
        kid: String? = nil, algorithm: SigningAlgorithm? = nil, as actor: Actor
    ) async throws -> IssuedCredential {
        try await authorize(actor, .administer)
        return try await issue(record: record, badge: badge, format: format, recipient: recipient, language: language, kid: kid, algorithm: algorithm, by: actor.auditName)
    }

    /// Issues an earned badge in several formats at once to a client the actor may award (see
    /// ``issue(client:badge:formats:language:by:)``).
    public func issue(
        client id: String, badge: String, formats: [CredentialFormat], language: Language? = nil, replacing: Bool = false, as actor: Actor
    ) async throws -> [IssuedCredential] {
        try await authorize(actor, .award(client: id))
        return try await issue(client: id, badge: badge, formats: formats, language: language, replacing: replacing, by: actor.auditName)
    }

    /// Revokes a credential of a client the actor may award; a credential the actor may not see is "not found".
    public func revoke(credential id: String, reason: String, as actor: Actor) async throws(CoreError) -> Revocation {
        try await authorizeAward(credential: id, actor)
        return try await ledger.revoke(credential: id, reason: reason, by: actor.auditName)
    }

    /// Suspends a credential of a client the actor may award, or lifts its suspension (`lift`); a
    /// credential the actor may not see is "not found".
    public func suspend(credential id: String, reason: String, as actor: Actor) async throws(CoreError) -> Suspension {
        try await authorizeAward(credential: id, actor)
        return try await ledger.suspend(credential: id, reason: reason, by: actor.auditName)
    }

    public func liftSuspension(credential id: String, as actor: Actor) async throws(CoreError) {
        try await authorizeAward(credential: id, actor)
        try await ledger.liftSuspension(credential: id, by: actor.auditName)
    }

    func authorizeAward(credential id: String, _ actor: Actor) async throws(CoreError) {
        let credential = try await ledger.credential(id: id)
        do {
            try await authorize(actor, .award(client: credential.client))
        } catch where error.code == .notFound {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": id])
        }
    }

    /// An issued credential of a client the actor may read (a client: only their own); any other is
    /// "not found".
    public func credential(_ id: String, as actor: Actor) async throws(CoreError) -> IssuedCredential {
        let credential = try await ledger.credential(id: id)
        do {
            try await authorize(actor, .readClient(credential.client))
        } catch where error.code == .notFound {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": id])
        }
        return credential
    }

    /// A credential the actor may read, baked into its badge's image (PNG or SVG, as the badge has it), or
    /// into its PNG (`fileExtension` "png", when the badge has one too): the image a holder shows and any
    /// Open Badges verifier reads. Returns the image and its extension.
    public func bakedCredential(_ id: String, fileExtension: String? = nil, as actor: Actor) async throws -> (image: Data, fileExtension: String) {
        let credential = try await credential(id, as: actor)
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
    ) async throws -> BulkIssue {
        try await authorize(actor, .awardMany(unit: unit))
        if let unit, await !(try units().contains { $0.id == unit }) { throw CoreError(.notFound, key: "unit.notFound", ["unit": unit]) }
        let chosen: [String]
        if let ids {
            for id in ids { try await authorize(actor, .award(client: id)) }
            var inUnit: Set<String>?
            if let unit {
                inUnit = Set(try await stored { () async throws(StoreError) in try await store.clientFiles(ids) }.filter { $0.client.unit == unit }.map(\.client.id))
            }
            chosen = ids.filter { inUnit?.contains($0) ?? true }
        } else {
            let units = unit.map { [$0] } ?? (actor.user.role == .admin ? nil : actor.user.units)
            chosen = try await allClients(ClientQuery(units: units)).filter { $0.client.erasedAt == nil }.map(\.client.id)
        }
        return try await issueAllEarned(clients: chosen, badge: badge, format: format, kid: kid, algorithm: algorithm, by: actor.auditName, progress: progress)
    }

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
    ) async throws -> IssuedCredential {
        let file = try await liveFile(id)
        let replaced = try held(file, badge: badge, formats: [format], at: now, replacing: replacing)
        return try await issue(
            record: try record(of: file), badge: badge, format: format, recipient: recipient,
            language: credentialLanguage(for: file.client, requested: language), kid: kid, algorithm: algorithm, replacing: replaced, by: actor)
    }

    /// Issues one badge to a stored client in several formats at once (an OB 3.0 credential and its OB 2.0
    /// twin for services that read only OB 2.0): every document is built and signed first, then all are
    /// committed in one transaction, so that either all are issued or none.
    package func issue(
        client id: String, badge: String, formats: [CredentialFormat], language: Language? = nil, replacing: Bool = false, by actor: String
    ) async throws -> [IssuedCredential] {
        try checkBadge(badge)
        let file = try await liveFile(id)
        let time = now
        let replaced = try held(file, badge: badge, formats: formats, at: time, replacing: replacing)
        let record = try record(of: file)
        let language = credentialLanguage(for: file.client, requested: language)
        let issuer = try self.issuer(language)
        // Not earned: refused before anything, places in the status lists included, is written.
        _ = try issuer.requireEarned(record, badge: badge, now: time)
        var places = try await statusPlaces(formats.filter(\.hasStatus).count, at: time)
        let credentials = try formats.map { format in
            try issuer.issue(
                record, badge: badge, format: format, recipient: .anonymous, kid: nil, algorithm: nil,
                status: format.hasStatus ? places.popFirst() : nil, now: time)
        }
        try await stored { () async throws(StoreError) in try await store.recordCredentials(credentials, replacing: replaced, by: actor, at: time) }
        CoreMetrics.issued(credentials.count)
        return credentials
    }

    /// The same for a record that is not stored (read from a file): evaluate, build, sign, commit, return.
    package func issue(
        record: ClientRecord, badge: String, format: CredentialFormat = .ob3JWT, recipient: Recipient = .anonymous, language: Language = .fi,
        kid: String? = nil, algorithm: SigningAlgorithm? = nil, replacing replaced: [String] = [], by actor: String
    ) async throws -> IssuedCredential {
        try checkBadge(badge)
        let issuer = try self.issuer(language)
        let time = now
        // Not earned: refused before anything, places in the status lists included, is written.
        _ = try issuer.requireEarned(record, badge: badge, now: time)
        let status = await format.hasStatus ? try statusPlaces(1, at: time).first : nil
        let credential = try issuer.issue(
            record, badge: badge, format: format, recipient: recipient, kid: kid, algorithm: algorithm, status: status, now: time)
        try await stored { () async throws(StoreError) in try await store.recordCredentials([credential], replacing: replaced, by: actor, at: time) }
        CoreMetrics.issued(1)
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
    func statusPlaces(_ count: Int, at time: Timestamp) async throws -> ArraySlice<StatusListEntry> {
        guard count > 0 else { return [] }
        guard try keys.list().contains(where: { $0.algorithm == .edDSA && $0.isActive }) else {
            throw CoreError(.conflict, key: "keys.noStatusKey")
        }
        return try await stored { () async throws(StoreError) in try await store.reserveStatusEntries(count: count, at: time) }[...]
    }

    /// Credential lookup, revocation and the audit log.
    public var ledger: Ledger { Ledger(store: store, clock: clock) }

    /// The issuer for credentials in a language (made once per service).
    func issuer(_ language: Language) throws -> CredentialIssuer {
        try issuers.issuer(language) { try CredentialIssuer(compiled: compiled, keys: keys, baseURL: baseURL, language: language) }
    }
}
