public import Basics
public import Definitions
import Foundation
import GRDB

/// The store in one SQLite database through GRDB: WAL, `synchronous = FULL` (a change is on disk when the
/// call returns), `secure_delete` (erased data is overwritten, not only unlinked), versioned migrations.
///
/// Created on first use. A database written by an earlier Merkisto (the award ledger: credentials,
/// revocations, audit log) is migrated in place: its audit entries are chained, its credentials kept.
public final class SQLiteStore: Store {
    let writer: DatabasePool
    private let checkpointer: Checkpointer
    public let path: String

    /// Opens the database at `path`, creating it when it does not exist.
    public init(path: String) throws(StoreError) {
        self.path = path
        let checkpointer = Checkpointer(path: path)
        self.checkpointer = checkpointer
        do {
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                // 16 KB pages (for a new database; an existing one keeps its own): a credential's row fits in a
                // page, so bulk issuing writes about half as many pages. The log is copied into the database
                // in the background (`Checkpointer`), and kept under 64 MB on disk once it starts over.
                try db.execute(
                    sql: "PRAGMA page_size = 16384; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA journal_size_limit = 67108864")
                checkpointer.install(on: db)
            }
            // A new database is made readable by its owner only (SQLite gives its -wal and -shm files the
            // database file's mode): it holds everything about the clients.
            let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if descriptor >= 0 { close(descriptor) }
            let pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            writer = pool
        } catch {
            throw StoreError(.database, "cannot open the database \(path): \(Self.describe(error, path: path))")
        }
    }

    deinit {
        // The log hook points at the checkpointer: close the connections that have it first.
        checkpointer.close()
        do {
            try writer.close()
        } catch {
            // A connection still in use keeps its hook; keep the checkpointer alive with it.
            _ = Unmanaged.passRetained(checkpointer)
        }
    }

    /// How many times the log was copied into the database in the background (for tests).
    var backgroundCheckpoints: Int { checkpointer.backgroundCheckpoints }

    /// Whether a database file exists at `path` (commands that only read refuse to create one).
    public static func exists(at path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    // MARK: Units and users

    public func addUnit(_ unit: ActivityUnit, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard try ActivityUnit.fetchOne(db, key: unit.id) == nil else { throw StoreError(.duplicate, "unit \(unit.id) already exists", key: "unit.exists", ["unit": "\(unit.id)"]) }
            try unit.insert(db)
            try Self.audit(db, at: time, actor: actor, .unitAdded(unit))
        }
    }

    public func units() async throws(StoreError) -> [ActivityUnit] {
        try await read { db in try ActivityUnit.order(Column("id")).fetchAll(db) }
    }

    public func addUser(_ user: User, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard try UserRow.fetchOne(db, key: user.id) == nil else { throw StoreError(.duplicate, "user \(user.id) already exists", key: "user.exists", ["user": "\(user.id)"]) }
            for unit in user.units where try ActivityUnit.fetchOne(db, key: unit) == nil {
                throw StoreError(.notFound, "there is no unit \(unit)", key: "unit.notFound", ["unit": "\(unit)"])
            }
            if let client = user.client {
                guard try StoredClient.fetchOne(db, key: client) != nil else { throw StoreError(.notFound, "there is no client \(client)", key: "client.notFound", ["client": "\(client)"]) }
            }
            try UserRow(user).insert(db)
            for unit in user.units { try UnitMember(unit: unit, user: user.id).insert(db) }
            try Self.audit(db, at: time, actor: actor, .userAdded(user))
        }
    }

    public func users() async throws(StoreError) -> [User] {
        try await read { db in
            let members = try UnitMember.order(Column("unit")).fetchAll(db)
            return try UserRow.order(Column("id")).fetchAll(db).map { row in
                row.user(units: members.filter { $0.user == row.id }.map(\.unit))
            }
        }
    }

    public func userList(_ kind: UserKind, after: String?, limit: Int) async throws(StoreError) -> [User] {
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        switch kind {
        case .all: break
        case .staff: conditions.append("client IS NULL")
        case .client(let client):
            conditions.append("client = ?")
            arguments.append(client.databaseValue)
        }
        if let after {
            conditions.append("id > ?")
            arguments.append(after.databaseValue)
        }
        arguments.append(max(0, limit).databaseValue)
        let sql = "SELECT * FROM user\(conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?"
        return try await read { [arguments] db in
            let rows = try UserRow.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
            guard !rows.isEmpty else { return [] }
            let members = try UnitMember.fetchAll(
                db, sql: "SELECT * FROM unitMember WHERE user IN (\(Array(repeating: "?", count: rows.count).joined(separator: ","))) ORDER BY unit",
                arguments: StatementArguments(rows.map(\.id)))
            let units = Dictionary(grouping: members, by: \.user)
            return rows.map { row in row.user(units: (units[row.id] ?? []).map(\.unit)) }
        }
    }

    public func user(id: String) async throws(StoreError) -> User? {
        try await read { db in try Self.user(id: id, db) }
    }

    /// A user with their units (cached statements: every signed-in request reads one).
    static func user(id: String, _ db: Database) throws -> User? {
        guard let row = try UserRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM user WHERE id = ?"), arguments: [id]) else { return nil }
        return row.user(units: try String.fetchAll(db.cachedStatement(sql: "SELECT unit FROM unitMember WHERE user = ? ORDER BY unit"), arguments: [id]))
    }

    // MARK: Sign-in

    public func setPassword(user: String, hash: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard try UserRow.fetchOne(db, key: user) != nil else { throw StoreError(.notFound, "there is no user \(user)", key: "user.notFound", ["user": "\(user)"]) }
            try db.execute(sql: "UPDATE user SET passwordHash = ? WHERE id = ?", arguments: [hash, user])
            try db.execute(sql: "DELETE FROM session WHERE user = ?", arguments: [user])
            try Self.audit(db, at: time, actor: actor, .passwordSet(user))
        }
    }

    public func passwordHash(user: String) async throws(StoreError) -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT passwordHash FROM user WHERE id = ?", arguments: [user]) }
    }

    public func addSession(_ session: StoredSession, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard try UserRow.fetchOne(db, key: session.user) != nil else { throw StoreError(.notFound, "there is no user \(session.user)", key: "user.notFound", ["user": "\(session.user)"]) }
            try session.insert(db)
            try Self.audit(db, at: time, actor: session.user, .signedIn(session.user))
        }
    }

    public func session(id: String) async throws(StoreError) -> StoredSession? {
        try await read { db in try StoredSession.fetchOne(db.cachedStatement(sql: "SELECT * FROM session WHERE id = ?"), arguments: [id]) }
    }

    public func sessionUser(id: String) async throws(StoreError) -> (session: StoredSession, user: User)? {
        try await read { db in
            guard let session = try StoredSession.fetchOne(db.cachedStatement(sql: "SELECT * FROM session WHERE id = ?"), arguments: [id]),
                let user = try Self.user(id: session.user, db)
            else { return nil }
            return (session, user)
        }
    }

    public func removeSession(id: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard let session = try StoredSession.fetchOne(db, key: id) else { return }
            try session.delete(db)
            try Self.audit(db, at: time, actor: session.user, .signedOut(session.user))
        }
    }

    public func addSignInCode(_ code: SignInCode, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard try UserRow.fetchOne(db, key: code.user) != nil else { throw StoreError(.notFound, "there is no user \(code.user)", key: "user.notFound", ["user": "\(code.user)"]) }
            // A new code cancels the user's older unused ones.
            try db.execute(sql: "DELETE FROM signInCode WHERE user = ? AND usedAt IS NULL", arguments: [code.user])
            try code.insert(db)
            try Self.audit(db, at: time, actor: code.createdBy, .signInCodeMade(code))
        }
    }

    public func redeemSignInCode(id: String, session: @Sendable (String) -> StoredSession, at time: Timestamp) async throws(StoreError) -> StoredSession? {
        try await write { db in
            guard var code = try SignInCode.fetchOne(db, key: id), code.usedAt == nil, code.expiresAt > time,
                try UserRow.fetchOne(db, key: code.user) != nil
            else { return nil }
            code.usedAt = time
            try code.update(db)
            let started = session(code.user)
            try started.insert(db)
            try Self.audit(db, at: time, actor: code.user, .signedInWithCode(code.user))
            return started
        }
    }

    // MARK: Sign-in throttling

    public func failureCounts(_ keys: [String], windowStart: Int64) async throws(StoreError) -> [String: FailureCount] {
        try await read { db in
            var found: [String: FailureCount] = [:]
            let statement = try db.cachedStatement(sql: "SELECT failures, first, last FROM signInFailure WHERE key = ? AND first > ?")
            for key in keys {
                if let row = try Row.fetchOne(statement, arguments: [key, windowStart]) { found[key] = FailureCount(failures: row[0], first: row[1], last: row[2]) }
            }
            return found
        }
    }

    public func countFailure(_ keys: [String], at time: Int64, windowStart: Int64) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: "DELETE FROM signInFailure WHERE first <= ?", arguments: [windowStart])
            for key in keys {
                try db.execute(
                    sql: "INSERT INTO signInFailure (key, failures, first, last) VALUES (?, 1, ?, ?) ON CONFLICT(key) DO UPDATE SET failures = failures + 1, last = excluded.last",
                    arguments: [key, time, time])
            }
        }
    }

    public func clearFailures(_ keys: [String]) async throws(StoreError) {
        try await write { db in
            for key in keys { try db.execute(sql: "DELETE FROM signInFailure WHERE key = ?", arguments: [key]) }
        }
    }

    // MARK: API tokens

    public func addToken(_ token: APIToken, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard try TokenRow.fetchOne(db, key: token.id) == nil else { throw StoreError(.duplicate, "token \(token.id) already exists", key: "token.exists", ["token": "\(token.id)"]) }
            guard try UserRow.fetchOne(db, key: token.user) != nil else { throw StoreError(.notFound, "there is no user \(token.user)", key: "user.notFound", ["user": "\(token.user)"]) }
            try TokenRow(token).insert(db)
            try Self.audit(db, at: time, actor: actor, .tokenAdded(token))
        }
    }

    // MARK: Definitions versions

    @discardableResult
    public func addDefinitionsVersion(_ version: DefinitionsVersion, archive: [UInt8], by actor: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try await write { db in
            guard try DefinitionsVersionRow.fetchOne(db, key: version.digest) == nil else { return false }
            try DefinitionsVersionRow(version, archive: archive).insert(db)
            try Self.audit(db, at: time, actor: actor, .definitionsAdded(version))
            return true
        }
    }

    public func definitionsVersions() async throws(StoreError) -> [DefinitionsVersion] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT digest, files, uploadedBy, uploadedAt FROM definitionsVersion ORDER BY uploadedAt, rowid").map(Self.version)
        }
    }

    public func definitionsVersion(digest: String) async throws(StoreError) -> DefinitionsVersion? {
        try await read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT digest, files, uploadedBy, uploadedAt FROM definitionsVersion WHERE digest = ?"), arguments: [digest]
            ).map(Self.version)
        }
    }

    public func definitionsVersionPage(after: String?, limit: Int) async throws(StoreError) -> [DefinitionsVersion] {
        try await read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT digest, files, uploadedBy, uploadedAt FROM definitionsVersion
                        WHERE ?1 IS NULL OR rowid < (SELECT rowid FROM definitionsVersion WHERE digest = ?1) ORDER BY rowid DESC LIMIT ?2
                        """),
                arguments: [after, max(0, limit)]
            ).map(Self.version)
        }
    }

    /// A kept definition set from its row (digest, files, uploadedBy, uploadedAt).
    private static func version(_ row: Row) -> DefinitionsVersion {
        DefinitionsVersion(
            digest: row[DefinitionsVersionRow.Columns.digest.name], files: row[DefinitionsVersionRow.Columns.files.name],
            uploadedBy: row[DefinitionsVersionRow.Columns.uploadedBy.name], uploadedAt: row[DefinitionsVersionRow.Columns.uploadedAt.name])
    }

    public func definitionsArchive(digest: String) async throws(StoreError) -> [UInt8]? {
        try await read { db in try DefinitionsVersionRow.fetchOne(db, key: digest).map { Array($0.archive) } }
    }

    public func activateDefinitions(digest: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard try DefinitionsVersionRow.fetchOne(db, key: digest) != nil else {
                throw StoreError(.notFound, "there is no definitions version \(digest)", key: "definitions.versionNotFound", ["digest": "\(digest)"])
            }
            let before = try String.fetchOne(db, sql: "SELECT digest FROM definitionsActive WHERE id = 1")
            try db.execute(sql: "INSERT INTO definitionsActive (id, digest) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET digest = excluded.digest", arguments: [digest])
            try Self.audit(db, at: time, actor: actor, .definitionsActivated(digest, before: before))
        }
    }

    public func activeDefinitions() async throws(StoreError) -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT digest FROM definitionsActive WHERE id = 1") }
    }

    // MARK: Share links

    public func addShare(_ share: CredentialShare, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard let owner = try String.fetchOne(db, sql: "SELECT client FROM credential WHERE id = ?", arguments: [share.credential]), owner == share.client else {
                throw StoreError(.notFound, "there is no credential \(share.credential)", key: "credential.notFound", ["credential": "\(share.credential)"])
            }
            guard try ShareRow.filter(ShareRow.Columns.credential == share.credential || ShareRow.Columns.token == share.token).fetchCount(db) == 0 else {
                throw StoreError(.duplicate, "credential \(share.credential) is shared already", key: "share.on", ["credential": "\(share.credential)"])
            }
            try ShareRow(share).insert(db)
            try Self.audit(db, at: time, actor: actor, .shareOn(share))
        }
    }

    public func removeShare(credential: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard let row = try ShareRow.filter(ShareRow.Columns.credential == credential).fetchOne(db) else {
                throw StoreError(.notFound, "credential \(credential) is not shared", key: "share.off", ["credential": "\(credential)"])
            }
            try row.delete(db)
            try Self.audit(db, at: time, actor: actor, .shareOff(row.share))
        }
    }

    // MARK: OAuth 2.0
    // Each row keeps its record as JSON beside the columns it is found by.

    static func document<T: Encodable>(_ value: T) throws -> String { String(decoding: try JSONEncoder().encode(value), as: UTF8.self) }
    static func record<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }

    public func addOAuthClient(_ client: OAuthClient, removingUnusedBefore unusedBefore: Timestamp, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM oauthClient WHERE createdAt < ? AND id NOT IN (SELECT service FROM oauthGrant)", arguments: [unusedBefore.microseconds])
            guard try String.fetchOne(db, sql: "SELECT id FROM oauthClient WHERE id = ?", arguments: [client.id]) == nil else {
                throw StoreError(.duplicate, "client_id \(client.id) exists already")
            }
            try db.execute(
                sql: "INSERT INTO oauthClient (id, createdAt, doc) VALUES (?, ?, ?)", arguments: [client.id, client.createdAt.microseconds, try Self.document(client)])
            try Self.audit(db, at: time, actor: "oauth", .oauthRegistered(client))
        }
    }

    public func oauthClient(id: String) async throws(StoreError) -> OAuthClient? {
        try await read { db in try String.fetchOne(db, sql: "SELECT doc FROM oauthClient WHERE id = ?", arguments: [id]).map { try Self.record(OAuthClient.self, $0) } }
    }

    public func addOAuthGrant(_ grant: OAuthGrant, code: OAuthToken, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard let erased = try Row.fetchOne(db, sql: "SELECT erasedAt FROM client WHERE id = ?", arguments: [grant.client]) else {
                throw StoreError(.notFound, "there is no client \(grant.client)", key: "client.notFound", ["client": "\(grant.client)"])
            }
            guard erased[0] as DatabaseValue == .null else {
                throw StoreError(.conflict, "client \(grant.client) was erased", key: "client.erased", ["client": "\(grant.client)"])
            }
            guard try String.fetchOne(db, sql: "SELECT id FROM oauthClient WHERE id = ?", arguments: [grant.service]) != nil else {
                throw StoreError(.notFound, "there is no client_id \(grant.service)")
            }
            try db.execute(
                sql: "INSERT INTO oauthGrant (id, client, service, doc) VALUES (?, ?, ?, ?)", arguments: [grant.id, grant.client, grant.service, try Self.document(grant)])
            try Self.insert(code, db)
            try Self.audit(db, at: time, actor: actor, .oauthGranted(grant))
        }
    }

    static func insert(_ token: OAuthToken, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO oauthToken (hash, grantID, origin, expiresAt, doc) VALUES (?, ?, ?, ?, ?)",
            arguments: [token.hash, token.grant, token.origin, token.expiresAt.microseconds, try document(token)])
    }

    public func oauthGrant(id: String) async throws(StoreError) -> OAuthGrant? {
        try await read { db in try String.fetchOne(db, sql: "SELECT doc FROM oauthGrant WHERE id = ?", arguments: [id]).map { try Self.record(OAuthGrant.self, $0) } }
    }

    public func oauthGrants(client: String) async throws(StoreError) -> [OAuthGrant] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT doc FROM oauthGrant WHERE client = ? ORDER BY rowid", arguments: [client]).map { try Self.record(OAuthGrant.self, $0) }
        }
    }

    public func withdrawOAuthGrant(id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard let text = try String.fetchOne(db, sql: "SELECT doc FROM oauthGrant WHERE id = ?", arguments: [id]),
                var grant = try Optional(Self.record(OAuthGrant.self, text)), grant.withdrawnAt == nil
            else { throw StoreError(.notFound, "there is no consent \(id) in force", key: "oauth.grantNotFound", [:]) }
            grant.withdrawnAt = time
            try db.execute(sql: "UPDATE oauthGrant SET doc = ? WHERE id = ?", arguments: [try Self.document(grant), id])
            try Self.revokeTokens(sql: "grantID = ?", [id], at: time, db)
            try Self.audit(db, at: time, actor: actor, .oauthWithdrawn(grant))
        }
    }

    static func revokeTokens(sql condition: String, _ arguments: StatementArguments, at time: Timestamp, _ db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT hash, doc FROM oauthToken WHERE \(condition)", arguments: arguments) {
            var token = try record(OAuthToken.self, row[1])
            guard token.revokedAt == nil else { continue }
            token.revokedAt = time
            try db.execute(sql: "UPDATE oauthToken SET doc = ? WHERE hash = ?", arguments: [try document(token), row[0] as String])
        }
    }

    public func oauthToken(hash: String) async throws(StoreError) -> OAuthToken? {
        try await read { db in try String.fetchOne(db, sql: "SELECT doc FROM oauthToken WHERE hash = ?", arguments: [hash]).map { try Self.record(OAuthToken.self, $0) } }
    }

    public func redeemOAuthToken(hash: String, kind: OAuthToken.Kind, issuing tokens: [OAuthToken], at time: Timestamp) async throws(StoreError) -> Bool {
        try await write { db in
            guard let text = try String.fetchOne(db, sql: "SELECT doc FROM oauthToken WHERE hash = ?", arguments: [hash]) else { return false }
            var token = try Self.record(OAuthToken.self, text)
            guard token.kind == kind, token.isLive(at: time),
                let grant = try String.fetchOne(db, sql: "SELECT doc FROM oauthGrant WHERE id = ?", arguments: [token.grant]),
                try Self.record(OAuthGrant.self, grant).withdrawnAt == nil
            else { return false }
            token.usedAt = time
            if kind == .refresh {
                try db.execute(sql: "DELETE FROM oauthToken WHERE hash = ?", arguments: [hash])
            } else {
                try db.execute(sql: "UPDATE oauthToken SET doc = ? WHERE hash = ?", arguments: [try Self.document(token), hash])
            }
            try db.execute(sql: "DELETE FROM oauthToken WHERE expiresAt < ?", arguments: [time.microseconds])
            for issued in tokens { try Self.insert(issued, db) }
            return true
        }
    }

    public func revokeOAuthTokens(hash: String?, origin: String?, grant: String?, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            try Self.revokeTokens(sql: "hash = ? OR origin = ? OR grantID = ?", [hash, origin, grant], at: time, db)
        }
    }

    // MARK: Wallet exchanges

    public func addExchange(_ exchange: WalletExchange, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard let erased = try Row.fetchOne(db, sql: "SELECT erasedAt FROM client WHERE id = ?", arguments: [exchange.client]) else {
                throw StoreError(.notFound, "there is no client \(exchange.client)", key: "client.notFound", ["client": "\(exchange.client)"])
            }
            guard erased[0] as DatabaseValue == .null else {
                throw StoreError(.conflict, "client \(exchange.client) was erased", key: "client.erased", ["client": "\(exchange.client)"])
            }
            try db.execute(sql: "DELETE FROM walletExchange WHERE expiresAt <= ?", arguments: [time.microseconds])
            try db.execute(
                sql: "INSERT INTO walletExchange (id, client, badge, challenge, createdAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [exchange.id, exchange.client, exchange.badge, exchange.challenge, exchange.createdAt.microseconds, exchange.expiresAt.microseconds])
            try Self.audit(db, at: time, actor: actor, .exchangeOpened(exchange))
        }
    }

    public func exchange(id: String) async throws(StoreError) -> WalletExchange? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, client, badge, challenge, createdAt, expiresAt, completedAt FROM walletExchange WHERE id = ?", arguments: [id]
            ).map(Self.exchange)
        }
    }

    public func completeExchange(id: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE walletExchange SET completedAt = ? WHERE id = ? AND completedAt IS NULL AND expiresAt > ?",
                arguments: [time.microseconds, id, time.microseconds])
            guard db.changesCount == 1,
                let row = try Row.fetchOne(db, sql: "SELECT id, client, badge, challenge, createdAt, expiresAt, completedAt FROM walletExchange WHERE id = ?", arguments: [id])
            else { return false }
            try Self.audit(db, at: time, actor: "wallet", .exchangeCompleted(Self.exchange(row)))
            return true
        }
    }

    static func exchange(_ row: Row) -> WalletExchange {
        WalletExchange(
            id: row[0], client: row[1], badge: row[2], challenge: row[3], createdAt: Timestamp(microseconds: row[4]),
            expiresAt: Timestamp(microseconds: row[5]), completedAt: (row[6] as Int64?).map { Timestamp(microseconds: $0) })
    }

    public func share(token: String) async throws(StoreError) -> CredentialShare? {
        try await read { db in try ShareRow.fetchOne(db, key: token)?.share }
    }

    public func shares(client: String) async throws(StoreError) -> [CredentialShare] {
        try await read { db in try ShareRow.filter(ShareRow.Columns.client == client).order(ShareRow.Columns.createdAt).fetchAll(db).map(\.share) }
    }

    public func token(id: String) async throws(StoreError) -> APIToken? {
        try await read { db in try TokenRow.fetchOne(db, key: id)?.token }
    }

    public func tokens() async throws(StoreError) -> [APIToken] {
        try await read { db in try TokenRow.order(Column("rowid")).fetchAll(db).map(\.token) }
    }

    public func tokenPage(after: String?, limit: Int) async throws(StoreError) -> [APIToken] {
        try await read { db in
            try TokenRow.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM apiToken WHERE ?1 IS NULL OR rowid < (SELECT rowid FROM apiToken WHERE id = ?1)
                        ORDER BY rowid DESC LIMIT ?2
                        """),
                arguments: [after, max(0, limit)]
            ).map(\.token)
        }
    }

    public func revokeToken(id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard var row = try TokenRow.fetchOne(db, key: id) else { throw StoreError(.notFound, "there is no token \(id)", key: "token.notFound", ["token": "\(id)"]) }
            guard row.revokedAt == nil else { throw StoreError(.conflict, "token \(id) is already revoked", key: "token.revoked", ["token": "\(id)"]) }
            row.revokedAt = time
            try row.update(db)
            try Self.audit(db, at: time, actor: actor, .tokenRevoked(id))
        }
    }

    // MARK: Clients

    public func addClient(_ client: StoredClient, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            try Self.insertClient(client, db)
            try Self.audit(db, at: time, actor: actor, .clientAdded(client))
        }
    }

    public func clients() async throws(StoreError) -> [StoredClient] {
        try await read { db in try StoredClient.order(Column("id")).fetchAll(db) }
    }

    public func clientFile(_ id: String) async throws(StoreError) -> ClientFile? {
        try await read { db in
            guard let client = try StoredClient.fetchOne(db.cachedStatement(sql: "SELECT * FROM client WHERE id = ?"), arguments: [id]) else { return nil }
            return try Self.file(of: client, db)
        }
    }

    /// Every client id in order, in chunks of 512 that ``evaluationFiles(from:to:_:)`` reads with range queries.
    private func clientChunks() async throws(StoreError) -> [ArraySlice<String>] {
        let ids = try await clientIDs()
        return stride(from: 0, to: ids.count, by: 512).map { ids[$0..<min($0 + 512, ids.count)] }
    }

    /// The files of every client whose id sorts from `first` to `last`, as evaluation reads them: periods,
    /// suspensions and the credentials' bytes (and their status places) left out, every value read straight
    /// from SQLite (``RawRow``), the rows of each table in one pass in client order.
    static func evaluationFiles(from first: String, to last: String, _ db: Database) throws -> [ClientFile] {
        let range: StatementArguments = [first, last]
        var files: [ClientFile] = []
        try db.cachedStatement(
            sql: """
                SELECT id, unit, displayName, contact, language, registeredAt, erasedAt, schemaReference FROM client
                WHERE id >= ? AND id <= ? ORDER BY id
                """
        ).forEachRawRow(arguments: range) { row in
            files.append(
                ClientFile(
                    client: StoredClient(
                        id: row.text(0), unit: row.optionalText(1), displayName: row.optionalText(2), contact: row.optionalText(3),
                        language: try row.optionalValue(4, Language.self), registeredAt: try row.timestamp(5), erasedAt: try row.optionalTimestamp(6),
                        schemaReference: row.optionalText(7))))
        }
        var owners = RowOwners(files)
        // In the order of the table's key (client, id), which needs no sorting; each client's few assessments
        // are put in their recorded order afterwards (ordering by position made SQLite copy every row into
        // a sorter: half of this query's time).
        var positions = [[Int]](repeating: [], count: files.count)
        try db.cachedStatement(
            sql: """
                SELECT client, id, assessedAt, assessor, evidence, instrument, checkpoint, period, responses, levels, note, position FROM assessment
                WHERE client >= ? AND client <= ? ORDER BY client
                """
        ).forEachRawRow(arguments: range) { row in
            guard let owner = owners.of(row.bytes(0)) else { return }
            positions[owner].append(row.int(11))
            files[owner].assessments.append(
                StoredAssessment(
                    id: row.text(1), assessedAt: try row.timestamp(2), assessor: row.text(3), evidence: try row.value(4, Evidence.self),
                    instrument: row.optionalText(5), checkpoint: row.optionalText(6), period: row.optionalText(7),
                    responses: PairText.read(row.bytes(8)) { .init(item: $0, value: $1) },
                    levels: PairText.read(row.bytes(9)) { .init(competence: $0, level: $1) }, note: row.optionalText(10)))
        }
        for (owner, order) in positions.enumerated() where zip(order, order.dropFirst()).contains(where: { $0 > $1 }) {
            let assessments = files[owner].assessments
            files[owner].assessments = order.indices.sorted { (order[$0], $0) < (order[$1], $1) }.map { assessments[$0] }
        }
        try db.cachedStatement(
            sql: #"SELECT client, badge, "by", role, at FROM attestation WHERE client >= ? AND client <= ? ORDER BY client, position"#
        ).forEachRawRow(arguments: range) { row in
            guard let owner = owners.of(row.bytes(0)) else { return }
            files[owner].attestations.append(
                StoredAttestation(badge: row.text(1), by: row.text(2), role: try row.value(3, Criterion.Role.self), at: try row.timestamp(4)))
        }
        try db.cachedStatement(
            sql: """
                SELECT client, badge, issuedAt, validUntil, revoked, credential FROM heldAward
                WHERE client >= ? AND client <= ? ORDER BY client, position
                """
        ).forEachRawRow(arguments: range) { row in
            guard let owner = owners.of(row.bytes(0)) else { return }
            files[owner].heldAwards.append(
                HeldAward(
                    badge: row.text(1), issuedAt: try row.timestamp(2), validUntil: try row.optionalTimestamp(3), revoked: row.int(4) != 0,
                    credential: row.optionalText(5)))
        }
        try db.cachedStatement(
            sql: """
                SELECT client, id, badge, recipient, format, keyID, issuedAt, validUntil, definitionsDigest, language FROM credential
                WHERE client >= ? AND client <= ? ORDER BY client, rowid
                """
        ).forEachRawRow(arguments: range) { row in
            guard let owner = owners.of(row.bytes(0)) else { return }
            files[owner].credentials.append(
                IssuedCredential(
                    id: row.text(1), badge: row.text(2), client: files[owner].client.id, recipient: row.text(3),
                    format: try row.value(4, CredentialFormat.self), keyID: row.optionalText(5), issuedAt: try row.timestamp(6),
                    validUntil: try row.optionalTimestamp(7), definitionsDigest: row.text(8), language: try row.value(9, Language.self), bytes: []))
        }
        let revocations = Dictionary(
            grouping: try Revocation.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT revocation.* FROM revocation JOIN credential ON credential.id = revocation.credentialID
                        WHERE credential.client >= ? AND credential.client <= ?
                        """),
                arguments: range),
            by: \.credentialID)
        if !revocations.isEmpty {
            for index in files.indices where !files[index].credentials.isEmpty {
                files[index].revocations = files[index].credentials.flatMap { revocations[$0.id] ?? [] }
            }
        }
        return files
    }

    public func forEachEvaluationBatch<T: Sendable>(workers: Int, _ body: @escaping @Sendable ([ClientFile]) throws -> T) async throws(StoreError) -> [T] {
        let chunks = try await clientChunks()
        let writer = self.writer, path = self.path
        // Each chunk is read in its own read transaction (WAL lets readers run side by side), then handed to
        // `body`; at most `workers` at once.
        do {
            return try await concurrentMap(count: chunks.count, workers: workers) { index in
                let first = chunks[index].first!, last = chunks[index].last!
                let files: [ClientFile]
                do {
                    files = try await writer.read { db in try Self.evaluationFiles(from: first, to: last, db) }
                } catch {
                    throw StoreError(.database, "cannot read \(path): \(Self.describe(error))")
                }
                return try body(files)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.conflict, "\(error)")
        }
    }

    public func clientList(_ query: ClientQuery) async throws(StoreError) -> [ClientListing] {
        if let units = query.units, units.isEmpty { return [] }
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        if let units = query.units {
            conditions.append("unit IN (\(Array(repeating: "?", count: units.count).joined(separator: ",")))")
            arguments += units.map(\.databaseValue)
        }
        if !query.idPrefix.isEmpty {
            conditions.append("id >= ? AND id < ?")
            arguments += [query.idPrefix.databaseValue, query.idPrefixEnd.databaseValue]
        }
        if let phase = query.phase {
            conditions.append("openPhase = ?")
            arguments.append(phase.databaseValue)
        }
        if let overdueAt = query.overdueAt {
            conditions.append("openDue < ?")
            arguments.append(overdueAt.microseconds.databaseValue)
        }
        let order: String
        switch query.order {
        case .id:
            order = "id"
            if let after = query.after {
                conditions.append("id > ?")
                arguments.append(after.id.databaseValue)
            }
        case .decisionEnd:
            order = "openDue, id"
            if let after = query.after {
                conditions.append("(openDue, id) > (?, ?)")
                arguments += [(after.due ?? Int64.max).databaseValue, after.id.databaseValue]
            }
        }
        arguments.append(max(0, query.limit).databaseValue)
        // The client's columns by position (StoredClient.Columns), then what the list shows.
        let sql = """
            SELECT id, unit, displayName, contact, language, registeredAt, erasedAt, schemaReference, openPhase,
              (SELECT decisionEnd FROM period WHERE period.client = client.id AND period.closedAt IS NULL),
              (SELECT count(*) FROM assessment WHERE assessment.client = client.id),
              (SELECT count(*) FROM credential WHERE credential.client = client.id)
            FROM client\(conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) ORDER BY \(order) LIMIT ?
            """
        return try await read { [arguments] db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)).map { row in
                ClientListing(client: StoredClient(row: row), phase: row[8], decisionEnd: row[9], assessments: row[10], credentials: row[11])
            }
        }
    }

    public func clientCount(units: [String]?) async throws(StoreError) -> (count: Int, exact: Bool) {
        try await read { db in
            guard let units else {
                // Clients are never deleted (erasure keeps the row), so the last rowid is about how many were
                // added (nothing read); counted only while there are few.
                let estimate = try Int.fetchOne(db.cachedStatement(sql: "SELECT max(rowid) FROM client")) ?? 0
                if estimate >= 100_000 { return (estimate, false) }
                return (try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM client")) ?? 0, true)
            }
            var count = 0
            for unit in Set(units) {
                count += try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM client WHERE unit = ?"), arguments: [unit]) ?? 0
            }
            return (count, true)
        }
    }

    /// Keeps what a client list filters and sorts by beside the client: the open period's phase and decision end.
    static func setListing(client: String, phase: String?, decisionEnd: Timestamp?, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE client SET openPhase = ?, openDue = ? WHERE id = ?")
            .execute(arguments: [phase, ClientListing.dueKey(phase == nil ? nil : decisionEnd), client])
    }

    public func clientIDs() async throws(StoreError) -> [String] {
        try await read { db in try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM client ORDER BY id")) }
    }

    public func clientFiles(_ ids: [String]) async throws(StoreError) -> [ClientFile] {
        try await read { db in
            var found: [StoredClient] = []
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(start + 500, ids.count)])
                found += try StoredClient.fetchAll(
                    db, sql: "SELECT * FROM client WHERE id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ",")))",
                    arguments: StatementArguments(chunk))
            }
            let byID = Dictionary(try Self.files(of: found, contiguous: false, db).map { ($0.client.id, $0) }, uniquingKeysWith: { first, _ in first })
            return ids.compactMap { byID[$0] }
        }
    }

    public func importClients(_ files: [ClientFile], by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            for file in files {
                let id = file.client.id
                try Self.insertClient(file.client, db)
                for period in file.periods { try Self.insertPeriod(period, db) }
                for (position, assessment) in file.assessments.enumerated() {
                    try AssessmentRow(assessment, client: id, position: position).insertCached(db)
                }
                for (position, attestation) in file.attestations.enumerated() {
                    try AttestationRow(attestation, client: id, position: position).insertCached(db)
                }
                for (position, award) in file.heldAwards.enumerated() {
                    try HeldAwardRow(award, client: id, position: position).insertCached(db)
                }
                try Self.audit(db, at: time, actor: actor, .clientImported(file))
            }
        }
    }

    public func eraseClient(_ id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard var client = try StoredClient.fetchOne(db, key: id) else { throw StoreError(.notFound, "there is no client \(id)", key: "client.notFound", ["client": "\(id)"]) }
            guard client.erasedAt == nil else { throw StoreError(.conflict, "client \(id) was already erased", key: "client.alreadyErased", ["client": "\(id)"]) }
            for table in ["assessment", "attestation", "heldAward"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE client = ?", arguments: [id])
            }
            try db.execute(sql: "DELETE FROM phaseChange WHERE period IN (SELECT id FROM period WHERE client = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM period WHERE client = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM unitMember WHERE user IN (SELECT id FROM user WHERE client = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM apiToken WHERE user IN (SELECT id FROM user WHERE client = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM share WHERE client = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM walletExchange WHERE client = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM oauthToken WHERE grantID IN (SELECT id FROM oauthGrant WHERE client = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM oauthGrant WHERE client = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM session WHERE user IN (SELECT id FROM user WHERE client = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM signInCode WHERE user IN (SELECT id FROM user WHERE client = ?)", arguments: [id])
            let users = Set(try String.fetchAll(db, sql: "SELECT id FROM user WHERE client = ?", arguments: [id]))
            // Failed sign-ins counted for the client's users (with the addresses they came from).
            for user in users {
                let pair = "pair:\(user) "
                try db.execute(
                    sql: "DELETE FROM signInFailure WHERE key = ? OR substr(key, 1, ?) = ?", arguments: ["user:" + user, pair.utf8.count, pair])
            }
            try db.execute(sql: "DELETE FROM user WHERE client = ?", arguments: [id])
            // Why the client's credentials were revoked or suspended is staff's free text about the client.
            for table in ["revocation", "suspension"] {
                try db.execute(
                    sql: "UPDATE \(table) SET reason = '' WHERE credentialID IN (SELECT id FROM credential WHERE client = ?)", arguments: [id])
            }
            client = StoredClient(id: id, unit: client.unit, registeredAt: client.registeredAt, erasedAt: time)
            try client.update(db)
            try Self.setListing(client: id, phase: nil, decisionEnd: nil, db)
            try Self.audit(db, at: time, actor: actor, .clientErased(id))
            // The audit details that describe the client: removed, their digests left to chain the log. Only the
            // entries that name the client or their users are read (auditMention).
            let names = [id] + users.sorted()
            var named: Set<Int64> = []
            for name in names {
                named.formUnion(try Int64.fetchAll(db.cachedStatement(sql: "SELECT sequence FROM auditMention WHERE name = ?"), arguments: [name]))
            }
            var redacted: [Int64] = []
            for sequence in named.sorted() {
                guard let entry = try AuditEntry.fetchOne(db.cachedStatement(sql: "SELECT * FROM audit WHERE sequence = ?"), arguments: [sequence]),
                    let detail = entry.redactedDetail(client: id, users: users)
                else { continue }
                try db.execute(sql: "UPDATE audit SET detail = ?, redacted = 1 WHERE sequence = ?", arguments: [detail, entry.sequence])
                redacted.append(entry.sequence)
            }
            if !redacted.isEmpty { try Self.audit(db, at: time, actor: actor, .detailsRedacted(client: id, sequences: redacted)) }
            for name in names { try db.execute(sql: "DELETE FROM auditMention WHERE name = ?", arguments: [name]) }
        }
        // The erased rows may still sit in the write-ahead log: copy it into the database (where
        // secure_delete has zeroed them) and empty it.
        do {
            try emptyLog()
        } catch {
            throw StoreError(.database, "the client was erased, but the write-ahead log could not be emptied: \(Self.describe(error))")
        }
    }

    /// Copies the whole write-ahead log into the database and empties it, once no other checkpoint runs.
    private func emptyLog() throws {
        try checkpointer.exclusively {
            try writer.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
    }

    /// Waits until everything committed is copied from the write-ahead log into the database (for
    /// measurements that should not share the machine with the copying that follows a bulk write).
    public func settle() async throws(StoreError) {
        do {
            try emptyLog()
        } catch {
            throw StoreError(.database, "cannot copy the write-ahead log of \(path) into the database: \(Self.describe(error))")
        }
    }

    // MARK: Pathway periods

    public func startPeriod(_ period: PathwayPeriod, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            let client = try Self.liveClient(period.client, db)
            if let open = try PeriodRow.filter(Column("client") == client.id && Column("closedAt") == nil).fetchOne(db) {
                throw StoreError(.conflict, "client \(client.id) already has an open pathway period \(open.id); close it first", key: "period.open", ["client": "\(client.id)", "period": "\(open.id)"])
            }
            guard try PeriodRow.fetchOne(db, key: period.id) == nil else { throw StoreError(.duplicate, "pathway period \(period.id) already exists", key: "period.exists", ["period": "\(period.id)"]) }
            try Self.insertPeriod(period, db)
            try Self.audit(db, at: time, actor: actor, .periodStarted(period))
        }
    }

    public func changePhase(period id: String, from expected: String, to change: PhaseChange) async throws(StoreError) {
        try await write { db in
            let (period, current) = try Self.openPeriod(id, expected: expected, db)
            try PhaseRow(change, period: id, sequence: current.sequence + 1).insertCached(db)
            try Self.setListing(client: period.client, phase: change.phase, decisionEnd: period.decisionEnd, db)
            try Self.audit(db, at: change.at, actor: change.by, .phaseChanged(client: period.client, period: id, from: expected, to: change.phase))
        }
    }

    public func closePeriod(period id: String, from expected: String, outcome: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            var (period, _) = try Self.openPeriod(id, expected: expected, db)
            period.closedAt = time
            period.outcome = outcome
            try period.update(db)
            try Self.setListing(client: period.client, phase: nil, decisionEnd: nil, db)
            try Self.audit(db, at: time, actor: actor, .periodClosed(client: period.client, period: id, outcome: outcome))
        }
    }

    // MARK: Evidence

    public func addAssessment(_ assessment: StoredAssessment, client: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            _ = try Self.liveClient(client, db)
            if try AssessmentRow.filter(Column("client") == client && Column("id") == assessment.id).fetchCount(db) > 0 {
                throw StoreError(.duplicate, "client \(client) already has an assessment \(assessment.id)", key: "assessment.exists", ["client": "\(client)", "assessment": "\(assessment.id)"])
            }
            let position = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM assessment WHERE client = ?", arguments: [client]) ?? 0
            try AssessmentRow(assessment, client: client, position: position).insertCached(db)
            try Self.audit(db, at: time, actor: actor, .assessmentRecorded(assessment, client: client))
        }
    }

    public func addAttestation(_ attestation: StoredAttestation, client: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            _ = try Self.liveClient(client, db)
            // After the last one: a withdrawal leaves gaps, so the count is not the next position.
            let position = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position) + 1, 0) FROM attestation WHERE client = ?", arguments: [client]) ?? 0
            try AttestationRow(attestation, client: client, position: position).insertCached(db)
            try Self.audit(db, at: time, actor: actor, .attestationRecorded(attestation, client: client))
        }
    }

    public func withdrawAttestations(
        client: String, badge: String, roles: Set<Criterion.Role>, by actor: String, at time: Timestamp
    ) async throws(StoreError) -> [StoredAttestation] {
        try await write { db in
            _ = try Self.liveClient(client, db)
            let rows = try AttestationRow.fetchAll(
                db, sql: "SELECT * FROM attestation WHERE client = ? AND badge = ? ORDER BY position", arguments: [client, badge]
            ).filter { roles.contains($0.role) }
            for row in rows {
                try db.execute(sql: "DELETE FROM attestation WHERE client = ? AND position = ?", arguments: [client, row.position])
                try Self.audit(db, at: time, actor: actor, .attestationWithdrawn(row.attestation, client: client))
            }
            return rows.map(\.attestation)
        }
    }

    // MARK: Credentials

    public func recordCredentials(_ credentials: [IssuedCredential], replacing: [String], by actor: String, at time: Timestamp) async throws(StoreError) {
        guard !credentials.isEmpty else { return }
        try await write { db in
            for id in replacing { _ = try Self.revoke(id, reason: "replaced", by: actor, at: time, db) }
            // Prefixes looked up in this transaction, by group (nil: the group has none yet).
            var prefixes: [String: SharedPrefix?] = [:]
            for credential in credentials {
                let group = CredentialRow.groupKey(credential)
                var prefix = try prefixes[group] ?? SharedPrefix.current(group, db)
                if prefix.map({ !$0.isPrefix(of: credential.bytes) }) ?? true {
                    prefix = try SharedPrefix.make(group, for: credential, current: prefix, db) ?? prefix
                }
                prefixes[group] = .some(prefix)
                // One valid award per client, badge and format, checked in the transaction that writes it.
                let held = try Row.fetchAll(
                    db.cachedStatement(
                        sql: "SELECT id, validUntil FROM credential WHERE client = ? AND badge = ? AND format = ? AND id NOT IN (SELECT credentialID FROM revocation)"),
                    arguments: [credential.client, credential.badge, credential.format.rawValue]
                ).first { row in (row["validUntil"] as Timestamp?).map { $0 > time } ?? true }
                if let held { throw StoreError.held(credential, by: held["id"]) }
                do {
                    try CredentialRow.insert(credential, prefix: prefix, db)
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                    throw StoreError(.duplicate, "credential \(credential.id) is already recorded", key: "credential.exists", ["credential": "\(credential.id)"])
                }
            }
            try Self.audit(db, at: time, actor: actor, .credentialsIssued(credentials, replacing: replacing))
        }
    }

    public func credential(id: String) async throws(StoreError) -> IssuedCredential? {
        try await read { db in try CredentialRow.fetchOne(db.cachedStatement(sql: CredentialRow.selection + " WHERE credential.id = ?"), arguments: [id])?.credential }
    }

    public func credentials() async throws(StoreError) -> [IssuedCredential] {
        try await read { db in try CredentialRow.fetchAll(db.cachedStatement(sql: CredentialRow.selection + " ORDER BY credential.rowid")).map(\.credential) }
    }

    public func revoke(credential id: String, reason: String, by actor: String, at time: Timestamp) async throws(StoreError) -> Revocation {
        try await write { db in try Self.revoke(id, reason: reason, by: actor, at: time, db) }
    }

    /// Revokes a credential within a write transaction (audited).
    private static func revoke(_ id: String, reason: String, by actor: String, at time: Timestamp, _ db: Database) throws -> Revocation {
        guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM credential WHERE id = ?"), arguments: [id]) != nil else {
            throw StoreError(.notFound, "there is no credential \(id)", key: "credential.notFound", ["credential": "\(id)"])
        }
        guard try Revocation.fetchOne(db, key: id) == nil else { throw StoreError(.conflict, "credential \(id) is already revoked", key: "credential.revoked", ["credential": "\(id)"]) }
        let revocation = Revocation(credentialID: id, reason: reason, revokedAt: time, by: actor)
        try revocation.insert(db)
        // A revoked credential is not also suspended.
        try db.execute(sql: "DELETE FROM suspension WHERE credentialID = ?", arguments: [id])
        try db.execute(sql: "INSERT INTO statusChange (at) VALUES (?)", arguments: [time])
        try Self.audit(db, at: time, actor: actor, .credentialRevoked(id))
        return revocation
    }

    public func revocations() async throws(StoreError) -> [Revocation] {
        try await read { db in try Revocation.order(Column("rowid")).fetchAll(db) }
    }

    public func revocationCount() async throws(StoreError) -> Int {
        try await read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM revocation")) ?? 0 }
    }

    public func revocation(of credential: String) async throws(StoreError) -> Revocation? {
        try await read { db in try Revocation.fetchOne(db.cachedStatement(sql: "SELECT * FROM revocation WHERE credentialID = ?"), arguments: [credential]) }
    }

    // MARK: Status lists

    public func reserveStatusEntries(count: Int, at time: Timestamp) async throws(StoreError) -> [StatusListEntry] {
        try await write { db in
            let last = try Row.fetchOne(db, sql: "SELECT list, count(*) FROM statusPlace GROUP BY list ORDER BY list DESC LIMIT 1")
                .map { (list: $0[0] as Int, used: $0[1] as Int) }
            let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO statusPlace (list, idx, reservedAt) VALUES (?, ?, ?)")
            return try StatusPlacement.place(count: count, last: last) { entry in
                try insert.execute(arguments: [entry.list, entry.index, time])
                return db.changesCount == 1
            }
        }
    }

    public func suspend(credential id: String, reason: String, by actor: String, at time: Timestamp) async throws(StoreError) -> Suspension {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT (SELECT count(*) FROM statusPlace WHERE credential = ?) FROM credential WHERE id = ?", arguments: [id, id])
            else { throw StoreError(.notFound, "there is no credential \(id)", key: "credential.notFound", ["credential": "\(id)"]) }
            guard (row[0] as Int) == 1 else {
                throw StoreError(.conflict, "credential \(id) has no place in the status lists", key: "credential.noStatus", ["credential": "\(id)"])
            }
            guard try Revocation.fetchOne(db, key: id) == nil else {
                throw StoreError(.conflict, "credential \(id) is already revoked", key: "credential.revoked", ["credential": "\(id)"])
            }
            guard try Suspension.fetchOne(db, key: id) == nil else {
                throw StoreError(.conflict, "credential \(id) is already suspended", key: "credential.suspended", ["credential": "\(id)"])
            }
            let suspension = Suspension(credentialID: id, reason: reason, suspendedAt: time, by: actor)
            try suspension.insert(db)
            try db.execute(sql: "INSERT INTO statusChange (at) VALUES (?)", arguments: [time])
            try Self.audit(db, at: time, actor: actor, .credentialSuspended(id))
            return suspension
        }
    }

    public func liftSuspension(credential id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM credential WHERE id = ?", arguments: [id]) != nil else {
                throw StoreError(.notFound, "there is no credential \(id)", key: "credential.notFound", ["credential": "\(id)"])
            }
            guard try Suspension.deleteOne(db, key: id) else {
                throw StoreError(.conflict, "credential \(id) is not suspended", key: "credential.notSuspended", ["credential": "\(id)"])
            }
            try db.execute(sql: "INSERT INTO statusChange (at) VALUES (?)", arguments: [time])
            try Self.audit(db, at: time, actor: actor, .suspensionLifted(id))
        }
    }

    public func suspensions() async throws(StoreError) -> [Suspension] {
        try await read { db in try Suspension.order(Column("rowid")).fetchAll(db) }
    }

    public func statusListState() async throws(StoreError) -> StatusListState {
        try await read { db in
            func places(_ table: String, _ column: String) throws -> [StatusListEntry] {
                try Row.fetchAll(
                    db, sql: "SELECT statusPlace.list, statusPlace.idx FROM \(table) JOIN statusPlace ON statusPlace.credential = \(table).\(column) ORDER BY 1, 2"
                ).map { StatusListEntry(list: $0[0], index: $0[1]) }
            }
            // The lists in use, one step through the key each (not a scan of every place).
            var lists: [Int] = []
            while let next = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT list FROM statusPlace WHERE list > ? ORDER BY list LIMIT 1"), arguments: [lists.last ?? Int.min])
            {
                lists.append(next)
            }
            let changed = try Timestamp.fetchOne(db, sql: "SELECT at FROM statusChange ORDER BY sequence DESC LIMIT 1")
            let first = try Timestamp.fetchOne(db, sql: "SELECT reservedAt FROM statusPlace ORDER BY rowid LIMIT 1")
            return StatusListState(
                lists: lists, revoked: try places("revocation", "credentialID"), suspended: try places("suspension", "credentialID"),
                changedAt: changed ?? first ?? Timestamp(microseconds: 0))
        }
    }

    public func statusVersion() async throws(StoreError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM statusChange") ?? 0 }
    }

    // MARK: Audit

    public func recordEvent(action: String, subject: String, detail: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { db in try Self.audit(db, at: time, actor: actor, AuditChange(action: action, subject: subject, detail: detail)) }
    }

    public func auditLog() async throws(StoreError) -> [AuditEntry] {
        try await read { db in try AuditEntry.order(Column("sequence")).fetchAll(db) }
    }

    public func auditEntries(from first: Int64, limit: Int) async throws(StoreError) -> [AuditEntry] {
        try await read { db in
            try AuditEntry.fetchAll(db.cachedStatement(sql: "SELECT * FROM audit WHERE sequence >= ? ORDER BY sequence LIMIT ?"), arguments: [first, max(0, limit)])
        }
    }

    public func lastAuditSequence() async throws(StoreError) -> Int64 {
        try await read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(sequence) FROM audit")) ?? 0 }
    }

    // MARK: Helpers

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "cannot read \(path): \(Self.describe(error))")
        }
    }

    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await writer.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "cannot write \(path): \(Self.describe(error))")
        }
    }

    static func insertClient(_ client: StoredClient, _ db: Database) throws {
        guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM client WHERE id = ?"), arguments: [client.id]) == nil else {
            throw StoreError(.duplicate, "client \(client.id) already exists", key: "client.exists", ["client": "\(client.id)"])
        }
        if let unit = client.unit, try ActivityUnit.fetchOne(db, key: unit) == nil { throw StoreError(.notFound, "there is no unit \(unit)", key: "unit.notFound", ["unit": "\(unit)"]) }
        try client.insertCached(db)
    }

    private static func liveClient(_ id: String, _ db: Database) throws -> StoredClient {
        guard let client = try StoredClient.fetchOne(db, key: id) else { throw StoreError(.notFound, "there is no client \(id)", key: "client.notFound", ["client": "\(id)"]) }
        guard client.erasedAt == nil else { throw StoreError(.conflict, "client \(id) was erased", key: "client.erased", ["client": "\(id)"]) }
        return client
    }

    static func insertPeriod(_ period: PathwayPeriod, _ db: Database) throws {
        try PeriodRow(period).insertCached(db)
        for (sequence, change) in period.phases.enumerated() { try PhaseRow(change, period: period.id, sequence: sequence).insertCached(db) }
        if period.isOpen { try setListing(client: period.client, phase: period.currentPhase, decisionEnd: period.decisionEnd, db) }
    }

    private static func openPeriod(_ id: String, expected: String, _ db: Database) throws -> (PeriodRow, PhaseRow) {
        guard let period = try PeriodRow.fetchOne(db, key: id) else { throw StoreError(.notFound, "there is no pathway period \(id)", key: "period.notFound", ["period": "\(id)"]) }
        guard period.closedAt == nil else { throw StoreError(.conflict, "pathway period \(id) is closed", key: "period.closed", ["period": "\(id)"]) }
        guard let current = try PhaseRow.filter(Column("period") == id).order(Column("sequence").desc).fetchOne(db),
            current.phase == expected
        else { throw StoreError(.conflict, "pathway period \(id) is no longer in phase \(expected)", key: "period.moved", ["period": "\(id)", "phase": "\(expected)"]) }
        return (period, current)
    }

    private static func file(of client: StoredClient, _ db: Database) throws -> ClientFile {
        try files(of: [client], db)[0]
    }

    /// Reads the files of several clients with one query per table; `contiguous` when no other client's
    /// id sorts between the first and the last (so a range query finds exactly these).
    static func files(of clients: [StoredClient], contiguous: Bool = true, _ db: Database) throws -> [ClientFile] {
        guard let first = clients.first?.id, let last = clients.last?.id else { return [] }
        let range: String
        let arguments: StatementArguments
        if clients.count == 1 {
            (range, arguments) = ("client = ?", [first])
        } else if contiguous {
            (range, arguments) = ("client >= ? AND client <= ?", [first, last])
        } else {
            (range, arguments) = ("client IN (\(Array(repeating: "?", count: clients.count).joined(separator: ",")))", StatementArguments(clients.map(\.id)))
        }
        func grouped<Record: FetchableRecord>(_ type: Record.Type, _ table: String, order: String, client: (Record) -> String) throws -> [String: [Record]] {
            let statement = try db.cachedStatement(sql: "SELECT * FROM \(table) WHERE \(range) ORDER BY client, \(order)")
            return Dictionary(grouping: try Record.fetchAll(statement, arguments: arguments), by: client)
        }
        let assessments = try grouped(AssessmentRow.self, "assessment", order: "position") { $0.client }
        let attestations = try grouped(AttestationRow.self, "attestation", order: "position") { $0.client }
        let held = try grouped(HeldAwardRow.self, "heldAward", order: "position") { $0.client }
        let periods = try grouped(PeriodRow.self, "period", order: "rowid") { $0.client }
        let credentials = Dictionary(
            grouping: try CredentialRow.fetchAll(
                db.cachedStatement(sql: CredentialRow.selection + " WHERE credential.\(range) ORDER BY credential.client, credential.rowid"),
                arguments: arguments),
            by: \.credential.client)
        let phaseRows = try PhaseRow.fetchAll(
            db.cachedStatement(
                sql: "SELECT phaseChange.* FROM phaseChange JOIN period ON period.id = phaseChange.period WHERE period.\(range) ORDER BY sequence"),
            arguments: arguments)
        let phases = Dictionary(grouping: phaseRows, by: \.period)
        let revocations = try Revocation.fetchAll(
            db.cachedStatement(
                sql: "SELECT revocation.* FROM revocation JOIN credential ON credential.id = revocation.credentialID WHERE credential.\(range)"),
            arguments: arguments)
        let revocationsByCredential = Dictionary(grouping: revocations, by: \.credentialID)
        let suspensions = try Suspension.fetchAll(
            db.cachedStatement(
                sql: "SELECT suspension.* FROM suspension JOIN credential ON credential.id = suspension.credentialID WHERE credential.\(range)"),
            arguments: arguments)
        let suspensionsByCredential = Dictionary(grouping: suspensions, by: \.credentialID)
        return clients.map { client in
            let issued = (credentials[client.id] ?? []).map(\.credential)
            return ClientFile(
                client: client,
                periods: (periods[client.id] ?? []).map { $0.period(phases: phases[$0.id] ?? []) },
                assessments: (assessments[client.id] ?? []).map(\.assessment),
                attestations: (attestations[client.id] ?? []).map(\.attestation),
                heldAwards: (held[client.id] ?? []).map(\.award),
                credentials: issued,
                revocations: issued.flatMap { revocationsByCredential[$0.id] ?? [] },
                suspensions: issued.flatMap { suspensionsByCredential[$0.id] ?? [] })
        }
    }

    /// Appends an audit entry chained to the last one.
    static func audit(_ db: Database, at time: Timestamp, actor: String, _ change: AuditChange, mentions: Bool = true) throws {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1"))
        try AuditEntry(
            sequence: (last?[0] ?? 0) + 1, at: time, actor: actor, action: change.action, subject: change.subject, detail: change.detail,
            previous: last?[1] ?? AuditEntry.genesis
        ).insertCached(db, mentions: mentions)
    }

    /// GRDB errors hide statement arguments by default; keep only SQLite's message.
    /// What went wrong, in words that say what to do about a full or read-only disk.
    static func describe(_ error: any Error, path: String? = nil) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        let message = error.message ?? "SQLite error \(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_FULL:
            return "the disk is full (\(message)); nothing was written. Free some space and try again."
        case .SQLITE_READONLY:
            return "the database is read-only (\(message)); nothing was written."
        default:
            // A database on a read-only disk cannot even be opened (SQLite needs its log files beside it).
            if let path, access(URL(fileURLWithPath: path).deletingLastPathComponent().path, W_OK) != 0, errno == EROFS {
                return "the disk is read-only (\(message)); nothing was written."
            }
            return message
        }
    }
}
