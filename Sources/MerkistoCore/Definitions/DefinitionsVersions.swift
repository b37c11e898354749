public import Basics
public import Definitions
public import Evaluation
import Foundation
public import Storage

/// What became of an uploaded definition set.
public struct DefinitionsUpload: Sendable {
    /// The set's digest; nil when lint found errors (then nothing was kept).
    public var digest: String?
    /// What lint says, each located in the set's own files (`badges/x.xml:12:5`).
    public var diagnostics: [Diagnostic]
    /// Whether the set was new (false: one with its digest was kept already).
    public var added: Bool
}

/// A kept definition set and whether it is the one in use.
public struct DefinitionsVersionState: Sendable {
    public var version: DefinitionsVersion
    public var active: Bool

    public init(version: DefinitionsVersion, active: Bool) {
        self.version = version
        self.active = active
    }
}

/// A credential's award decision made again, under the definition set it was issued under.
public struct AwardReplay: Sendable {
    public var credential: IssuedCredential
    /// The definition set the credential was issued under.
    public var compiled: CompiledDefinitions
    /// The evaluation of the client's record as it stood when the credential was issued.
    public var result: EvaluationResult
    /// Whether the badge was earned then, under that set.
    public var earned: Bool
}

extension LiveService {
    /// Keeps an uploaded definition set (a zip, or a gzip'd tar of the folder) once lint finds no error in
    /// it (administrators): named by its digest, listed, not yet in use (``activateDefinitions(_:as:)``).
    /// A set with errors is refused with them and kept nowhere. Audited when kept.
    public func uploadDefinitions(_ archive: [UInt8], as actor: Actor) async throws(CoreError) -> DefinitionsUpload {
        try await current.authorize(actor, .administer)
        return try await keep(try DefinitionsArchive.entries(of: archive), by: actor.auditName)
    }

    /// Keeps the definition set in a folder, as an upload of it would (administrators; the CLI's `push`).
    public func pushDefinitions(folder: String, as actor: Actor) async throws(CoreError) -> DefinitionsUpload {
        try await current.authorize(actor, .administer)
        return try await keep(try DefinitionsArchive.entries(ofFolder: folder), by: actor.auditName)
    }

    /// Keeps the definition set a service was made with (from `folder`, already loaded without errors) as a
    /// version, when it is not kept yet: packed straight into the database, nothing written beside it. What
    /// is kept is checked against its digest whenever it is unpacked.
    @discardableResult
    public func keepLoaded(folder: String, as actor: Actor) async throws(CoreError) -> Bool {
        let service = current
        try await service.authorize(actor, .administer)
        return try await keepLoaded(folder: folder, by: actor.auditName)
    }

    @discardableResult
    func keepLoaded(folder: String, by actor: String) async throws(CoreError) -> Bool {
        let service = current
        let digest = service.compiled.digest
        guard try await stored({ () async throws(StoreError) in try await service.store.definitionsVersion(digest: digest) }) == nil else { return false }
        let entries = try DefinitionsArchive.entries(ofFolder: folder)
        let version = DefinitionsVersion(digest: digest, files: entries.count, uploadedBy: actor, uploadedAt: service.now)
        let archive = try DefinitionsArchive.zip(entries)
        return try await stored { () async throws(StoreError) in try await service.store.addDefinitionsVersion(version, archive: archive, by: actor, at: version.uploadedAt) }
    }

    /// Every kept definition set, oldest first, and which is in use (administrators).
    public func definitionsVersions(as actor: Actor) async throws(CoreError) -> [DefinitionsVersionState] {
        let service = current
        try await service.authorize(actor, .administer)
        let versions = try await stored { () async throws(StoreError) in try await service.store.definitionsVersions() }
        let active = try await stored { () async throws(StoreError) in try await service.store.activeDefinitions() } ?? service.compiled.digest
        return versions.map { DefinitionsVersionState(version: $0, active: $0.digest == active) }
    }

    /// One page of the kept definition sets (administrators), newest first, each with whether it is in use,
    /// and where the next page starts.
    public func definitionsVersionPage(after: String? = nil, limit: Int = 50, as actor: Actor) async throws(CoreError) -> (
        versions: [DefinitionsVersionState], next: String?
    ) {
        let service = current
        try await service.authorize(actor, .administer)
        try ClientListRequest.check(limit: limit)
        let read = try await stored { () async throws(StoreError) in try await service.store.definitionsVersionPage(after: after, limit: limit + 1) }
        let active = try await stored { () async throws(StoreError) in try await service.store.activeDefinitions() } ?? service.compiled.digest
        let page = read.prefix(limit).map { DefinitionsVersionState(version: $0, active: $0.digest == active) }
        return (page, read.count > limit ? page.last?.version.digest : nil)
    }

    /// Which stored clients would gain or lose which badge if a kept set went into use (administrators).
    public func dryRunDefinitions(version digest: String, as actor: Actor) async throws(CoreError) -> (changes: [DryRunChange], clients: Int) {
        let service = current
        try await service.authorize(actor, .administer)
        return try await service.dryRun(against: try compiledVersion(digest, store: service.store))
    }

    /// Puts a kept definition set in use at once, for the pages and the API (administrators); rolling back
    /// is activating an older one. Audited.
    @discardableResult
    public func activateDefinitions(_ digest: String, as actor: Actor) async throws -> DefinitionsVersion {
        try await current.authorize(actor, .administer)
        return try await changeLock.withLock {
            let service = current
            let compiled = try await compiledVersion(digest, store: service.store)
            guard let version = try await stored({ () async throws(StoreError) in try await service.store.definitionsVersion(digest: digest) }) else {
                throw CoreError(.notFound, key: "definitions.versionNotFound", ["digest": digest])
            }
            try await stored { () async throws(StoreError) in try await service.store.activateDefinitions(digest: digest, by: actor.auditName, at: service.now) }
            if compiled.digest != service.compiled.digest { try replace(service.renewed(compiled: compiled)) }
            return version
        }
    }

    /// At start: the definition set the database has in use, or (before any) the one this service was made
    /// with, kept and activated as the first version. Returns the digest in use and whether it came from
    /// the database instead of the folder.
    @discardableResult
    public func startDefinitions(by actor: String) async throws -> (digest: String, fromDatabase: Bool) {
        try await changeLock.withLock {
            let service = current
            if let active = try await stored({ () async throws(StoreError) in try await service.store.activeDefinitions() }) {
                guard active != service.compiled.digest else { return (active, false) }
                try await replace(service.renewed(compiled: try compiledVersion(active, store: service.store)))
                return (active, true)
            }
            guard let directory = definitionsDirectory else { return (service.compiled.digest, false) }
            // The folder the service was made from: kept as the first version and put in use.
            try await keepLoaded(folder: directory, by: actor)
            try await stored { () async throws(StoreError) in try await service.store.activateDefinitions(digest: service.compiled.digest, by: actor, at: service.now) }
            return (service.compiled.digest, false)
        }
    }

    /// A credential's award decision made again (staff who may read the client): the client's record as it
    /// stood when the credential was issued, evaluated under the set it was issued under.
    public func replayAward(_ credentialID: String, as actor: Actor) async throws -> AwardReplay {
        let service = current
        let credential = try await service.credential(credentialID, as: actor)
        guard actor.user.role != .client else { throw CoreError(.forbidden, key: "forbidden.staff") }
        let compiled = try await compiledVersion(credential.definitionsDigest, store: service.store)
        let result = try await service.renewed(compiled: compiled).evaluate(client: credential.client, at: credential.issuedAt)
        return AwardReplay(credential: credential, compiled: compiled, result: result, earned: result.badges.first { $0.id == credential.badge }?.earned == true)
    }

    // MARK: Kept sets

    /// Lints the entries in a folder of their own; with no error, keeps them by their digest.
    func keep(_ entries: [DefinitionsArchive.Entry], by actor: String) async throws(CoreError) -> DefinitionsUpload {
        let service = current
        let staging = versionsFolder + "/staging-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: staging) }
        try DefinitionsArchive.write(entries, to: staging)
        let result = try load(staging)
        let diagnostics = result.diagnostics.map { Self.relative($0, to: staging) }
        guard !result.hasErrors else { return DefinitionsUpload(digest: nil, diagnostics: diagnostics, added: false) }
        let digest = DefinitionsDigest.compute(result.definitions)
        let version = DefinitionsVersion(digest: digest, files: entries.count, uploadedBy: actor, uploadedAt: service.now)
        let archive = try DefinitionsArchive.zip(entries)
        let added = try await stored { () async throws(StoreError) in try await service.store.addDefinitionsVersion(version, archive: archive, by: actor, at: version.uploadedAt) }
        return DefinitionsUpload(digest: digest, diagnostics: diagnostics, added: added)
    }

    /// A kept set, unpacked into its folder (again, when the folder is missing) and loaded; its digest must
    /// be the one it is kept under.
    func compiledVersion(_ digest: String, store: any Store) async throws(CoreError) -> CompiledDefinitions {
        if digest == current.compiled.digest { return current.compiled }
        guard digest.utf8.count == 64, Hex.decode(digest) != nil else { throw CoreError(.notFound, key: "definitions.versionNotFound", ["digest": digest]) }
        let folder = versionsFolder + "/" + digest
        if let result = try? load(folder), !result.hasErrors, DefinitionsDigest.compute(result.definitions) == digest {
            return CompiledDefinitions(result.definitions)
        }
        guard let archive = try await stored({ () async throws(StoreError) in try await store.definitionsArchive(digest: digest) }) else {
            throw CoreError(.notFound, key: "definitions.versionNotFound", ["digest": digest])
        }
        try DefinitionsArchive.write(try DefinitionsArchive.entries(of: archive), to: folder)
        let result = try load(folder)
        guard !result.hasErrors, DefinitionsDigest.compute(result.definitions) == digest else {
            throw CoreError(.failure, key: "definitions.versionDamaged", ["digest": digest])
        }
        return CompiledDefinitions(result.definitions)
    }

    private func load(_ folder: String) throws(CoreError) -> LoadResult {
        do {
            return try DefinitionLoader.load(paths: [folder])
        } catch {
            throw CoreError(.conflict, key: "definitions.unreadable", ["folder": (folder as NSString).lastPathComponent])
        }
    }

    /// A diagnostic located in the set's own files, not in the folder it was unpacked to.
    static func relative(_ diagnostic: Diagnostic, to folder: String) -> Diagnostic {
        var diagnostic = diagnostic
        if diagnostic.location.file.hasPrefix(folder + "/") { diagnostic.location.file = String(diagnostic.location.file.dropFirst(folder.count + 1)) }
        diagnostic.message = diagnostic.message.replacingOccurrences(of: folder + "/", with: "")
        return diagnostic
    }
}
