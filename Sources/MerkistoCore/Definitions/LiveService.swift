public import Credentials
public import Definitions
import Basics
import Evaluation
import Foundation
import Storage

/// The definitions in a folder as they are on disk now, beside the ones in use.
public struct DefinitionsState: Sendable {
    /// The folder the definitions are read from.
    public var directory: String
    /// The digest of the definitions in use.
    public var liveDigest: String
    /// The files on disk, as lint names them.
    public var files: [String]
    /// What lint says of the files on disk (errors and warnings, located).
    public var diagnostics: [Diagnostic]
    /// The digest of the definitions on disk; nil when they have errors.
    public var diskDigest: String?

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    /// Whether the files on disk are valid and differ from the definitions in use.
    public var changed: Bool { diskDigest.map { $0 != liveDigest } ?? false }
}

/// The service a long-running front end (the server) works with: an admin may reload its definitions from
/// their folder and change its signing keys while it runs. Each change makes a new ``BadgeService``
/// (requests in flight finish with the one they started with), tells the observers (the hosted documents)
/// and is audited.
public final class LiveService: @unchecked Sendable {
    // `lock` guards `service` and `observers`; `changeLock` keeps changes one at a time (across awaits).
    private let lock = NSLock()
    let changeLock = AsyncLock()
    private var service: BadgeService
    private var observers: [@Sendable (BadgeService) throws -> Void] = []
    /// Where the definitions are reloaded from; nil: they cannot be.
    public let definitionsDirectory: String?
    /// Where the definition sets kept in the database are unpacked to be read, each in a folder named by its
    /// digest (a cache: made again when missing).
    public let versionsFolder: String

    public init(_ service: BadgeService, definitionsDirectory: String?, versionsFolder: String? = nil) {
        self.service = service
        self.definitionsDirectory = definitionsDirectory
        self.versionsFolder = versionsFolder ?? FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-definitions").path
    }

    /// The service as it is now.
    public var current: BadgeService { lock.withLock { service } }

    /// Calls `observer` with the new service after every change (it may throw; the change stands, and
    /// the caller hears of the failure).
    public func observe(_ observer: @escaping @Sendable (BadgeService) throws -> Void) {
        lock.withLock { observers.append(observer) }
    }

    func replace(_ next: BadgeService) throws {
        let observers = lock.withLock {
            service = next
            return self.observers
        }
        for observer in observers { try observer(next) }
    }

    // MARK: Following other servers

    /// What another server may have changed that this one keeps in memory, as last seen.
    private var seenKeys: [String]?

    /// Brings this service up to what the store and key folder say now (another server sharing them may
    /// have changed them): the definition set in use and the signing keys. Returns whether anything was
    /// renewed. Called on a change notice and periodically.
    @discardableResult
    public func follow() async throws -> Bool {
        try await changeLock.withLock {
            let service = current
            var renewed = false
            let keys = try Self.keyStore { try service.keys.list() }.map { "\($0.kid) \($0.isActive)" }.sorted()
            let keysChanged = lock.withLock {
                defer { seenKeys = keys }
                return seenKeys.map { $0 != keys } ?? false
            }
            if let active = try await stored({ () async throws(StoreError) in try await service.store.activeDefinitions() }), active != service.compiled.digest {
                try replace(service.renewed(compiled: try await compiledVersion(active, store: service.store)))
                renewed = true
            } else if keysChanged {
                try replace(service.renewed())
                renewed = true
            }
            return renewed
        }
    }

    // MARK: Definitions

    /// The definitions on disk with their lint diagnostics, beside the digest of those in use (admins).
    public func definitions(as actor: Actor) async throws(CoreError) -> DefinitionsState {
        try await current.authorize(actor, .administer)
        return try diskDefinitions().state
    }

    /// Which stored clients would gain or lose which badge if the definitions on disk went live (admins);
    /// refused while they have errors.
    public func dryRunDefinitions(as actor: Actor) async throws(CoreError) -> (state: DefinitionsState, changes: [DryRunChange], clients: Int) {
        let service = current
        try await service.authorize(actor, .administer)
        let (state, definitions) = try diskDefinitions()
        guard let definitions else { throw Self.refused(state) }
        let (changes, clients) = try await service.dryRun(against: CompiledDefinitions(definitions))
        return (state, changes, clients)
    }

    /// Puts the definitions on disk in use (admins): kept as a version and activated; refused, changing
    /// nothing, while they have errors. Returns the state after the reload and whether anything changed (the
    /// same definitions are not reloaded, nor audited).
    public func reloadDefinitions(as actor: Actor) async throws -> (state: DefinitionsState, reloaded: Bool) {
        try await current.authorize(actor, .administer)
        return try await changeLock.withLock {
            let service = current
            var (state, definitions) = try diskDefinitions()
            guard let definitions else { throw Self.refused(state) }
            guard state.changed else { return (state, false) }
            // Kept as a version (audited when new), then put in use (audited).
            guard let directory = definitionsDirectory, let digest = try await keep(try DefinitionsArchive.entries(ofFolder: directory), by: actor.auditName).digest else {
                throw Self.refused(state)
            }
            try await stored { () async throws(StoreError) in try await service.store.activateDefinitions(digest: digest, by: actor.auditName, at: service.now) }
            let compiled = CompiledDefinitions(definitions)
            try replace(service.renewed(compiled: compiled))
            state.liveDigest = compiled.digest
            return (state, true)
        }
    }

    private static func refused(_ state: DefinitionsState) -> CoreError {
        CoreError(
            .conflict, key: "definitions.errors", ["folder": state.directory, "count": String(state.errorCount)],
            problems: state.diagnostics.filter { $0.severity == .error }.map(\.description))
    }

    private func diskDefinitions() throws(CoreError) -> (state: DefinitionsState, definitions: DefinitionSet?) {
        guard let directory = definitionsDirectory else { throw CoreError(.conflict, key: "definitions.noFolder") }
        let result: LoadResult
        do {
            result = try DefinitionLoader.load(paths: [directory])
        } catch {
            throw CoreError(.conflict, key: "definitions.unreadable", ["folder": directory])
        }
        let valid = result.hasErrors ? nil : result.definitions
        let state = DefinitionsState(
            directory: directory, liveDigest: current.compiled.digest, files: result.definitions.files, diagnostics: result.diagnostics,
            diskDigest: valid.map(DefinitionsDigest.compute))
        return (state, valid)
    }

    // MARK: Keys

    /// The signing keys, oldest first (admins).
    public func keys(as actor: Actor) async throws(CoreError) -> [StoredKey] {
        let service = current
        try await service.authorize(actor, .administer)
        return try Self.keyStore { try service.keys.list() }
    }

    /// Makes a signing key (admins); it is published at once.
    public func generateKey(_ algorithm: SigningAlgorithm, kid: String? = nil, as actor: Actor) async throws -> StoredKey {
        try await current.authorize(actor, .administer)
        return try await changeLock.withLock {
            let service = current
            let before = Set(try Self.keyStore { try service.keys.list() }.map(\.kid))
            let key = try Self.keyStore { try service.keys.generate(algorithm, kid: kid, now: service.now) }
            // With it, perhaps, the Ed25519 key the status lists need (see KeyStore.generate): each is audited.
            let made = try Self.keyStore { try service.keys.list() }.filter { !before.contains($0.kid) }
            for added in made {
                try await stored { () async throws(StoreError) in
                    try await service.store.recordEvent(
                        action: "key.generate", subject: added.kid, detail: added.algorithm.rawValue, by: actor.auditName, at: service.now)
                }
            }
            try replace(service.renewed())
            return key
        }
    }

    /// Stops a key from signing (admins); it stays published, so what it signed still verifies.
    public func retireKey(_ kid: String, as actor: Actor) async throws -> StoredKey {
        try await current.authorize(actor, .administer)
        return try await changeLock.withLock {
            let service = current
            guard let key = try Self.keyStore({ try service.keys.list() }).first(where: { $0.kid == kid }) else {
                throw CoreError(.notFound, key: "key.notFound", ["kid": kid])
            }
            guard key.isActive else { return key }
            try Self.keyStore { try service.keys.retire(kid, now: service.now) }
            try await stored { () async throws(StoreError) in
                try await service.store.recordEvent(action: "key.retire", subject: kid, detail: "", by: actor.auditName, at: service.now)
            }
            try replace(service.renewed())
            return try Self.keyStore { try service.keys.list() }.first { $0.kid == kid } ?? key
        }
    }

    /// The key store's refusals as the core's (its messages are in English only).
    private static func keyStore<T>(_ body: () throws -> T) throws(CoreError) -> T {
        do {
            return try body()
        } catch let error as CredentialError {
            switch error.code {
            case .invalidInput: throw CoreError(.invalid, error.message)
            case .unknownKey: throw CoreError(.notFound, error.message)
            // A key that cannot be retired now (the last one the status lists are signed with).
            case .retiredKey: throw CoreError(.conflict, error.message)
            default: throw CoreError(.failure, error.message)
            }
        } catch {
            throw CoreError(.failure, "\(error)")
        }
    }
}
