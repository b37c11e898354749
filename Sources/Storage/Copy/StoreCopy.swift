public import Basics

/// Everything a store keeps that another store needs to carry on where it left off: the rows as stored,
/// the audit log entry for entry (its hashes unchanged, so the chain and any anchor written down elsewhere
/// still hold). Sessions and one-time codes are not carried: people sign in again.
public struct StoreDump: Sendable {
    public var units: [ActivityUnit] = []
    public var users: [(user: User, passwordHash: String?)] = []
    /// The clients' own records (credentials, revocations and suspensions are below).
    public var files: [ClientFile] = []
    public var credentials: [IssuedCredential] = []
    /// Every place handed out, bound to a credential or not.
    public var places: [(entry: StatusListEntry, reservedAt: Timestamp)] = []
    public var revocations: [Revocation] = []
    public var suspensions: [Suspension] = []
    /// When each status change happened, in order.
    public var statusChanges: [Timestamp] = []
    public var tokens: [APIToken] = []
    public var shares: [CredentialShare] = []
    public var definitions: [(version: DefinitionsVersion, archive: [UInt8])] = []
    public var activeDefinitions: String?
    public var audit: [AuditEntry] = []

    public init() {}

    /// What the dump holds, by kind, for saying what was copied and checking it arrived.
    public var counts: [String: Int] {
        [
            "units": units.count, "users": users.count, "clients": files.count, "credentials": credentials.count, "status places": places.count,
            "revocations": revocations.count, "suspensions": suspensions.count, "tokens": tokens.count, "share links": shares.count,
            "definition sets": definitions.count, "audit entries": audit.count,
        ]
    }
}

/// A store that can be read whole and filled whole: the SQLite and PostgreSQL stores (`merkisto db copy`).
public protocol CopyableStore: Store {
    /// Everything, read in one transaction.
    func dump() async throws(StoreError) -> StoreDump
    /// Writes a dump into this store, which must be empty, in one transaction: all or nothing. Nothing is
    /// audited anew: the dump's audit log is the log.
    func load(_ dump: StoreDump) async throws(StoreError)
    /// Whether the store holds nothing yet (no audit entries, no clients, no credentials).
    func isEmpty() async throws(StoreError) -> Bool
}

extension CopyableStore {
    /// Copies everything in `source` into this empty store and checks the result: the same counts, and
    /// an audit chain that verifies with the source's head.
    public func copy(from source: some CopyableStore) async throws(StoreError) -> StoreDump {
        guard try await isEmpty() else {
            throw StoreError(.conflict, "the target database is not empty: copy only into a new database")
        }
        let dump = try await source.dump()
        let before = AuditVerification(checking: dump.audit)
        guard before.isIntact else {
            throw StoreError(.conflict, "the source's audit log does not verify (\(before.problems.first ?? "")); nothing was copied")
        }
        try await load(dump)
        let copied = try await self.dump()
        guard copied.counts == dump.counts else {
            throw StoreError(.database, "the copy differs from the source: \(copied.counts) against \(dump.counts)")
        }
        let after = try await verifyAudit()
        guard after.isIntact, after.head == before.head else {
            throw StoreError(.database, "the copied audit log does not verify to the source's head \(before.head)")
        }
        return dump
    }
}
