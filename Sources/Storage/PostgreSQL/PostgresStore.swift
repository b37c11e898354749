public import Basics
public import Definitions
import Foundation
public import Logging
import Metrics
import NIOCore
import NIOSSL
import PostgresNIO

/// The store in a PostgreSQL database through postgres-nio, for several Merkisto servers on one database.
///
/// Every change is one transaction (READ COMMITTED) that appends its audit entry under the lock of the
/// chain's head row, so writers on several servers never fork the chain. What must hold across servers is
/// a constraint the database checks: one open pathway period per client, one held award per client, badge
/// and format (`award_slot`, locked by whoever writes it), status-list places by primary key. A transaction
/// that meets a serialization failure or deadlock (SQLSTATE 40001, 40P01) is run again a few times, then
/// refused as ``StoreError/Code/busy``.
public final class PostgresStore: Store {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger
    /// The database's address without its password, for messages.
    public let location: String

    /// The connection settings in `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`).
    static func configuration(_ url: String) throws(StoreError) -> (configuration: PostgresClient.Configuration, location: String) {
        guard let parts = URLComponents(string: url), parts.scheme == "postgres" || parts.scheme == "postgresql", let host = parts.host, !host.isEmpty
        else {
            throw StoreError(.database, "not a PostgreSQL address: expected postgres://USER@HOST:PORT/DATABASE")
        }
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        let tls: PostgresClient.Configuration.TLS
        switch parts.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        case let other: throw StoreError(.database, "sslmode \(other) is not supported: use disable, prefer or require")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: parts.port ?? 5432, username: parts.user ?? "postgres", password: parts.password,
            database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.maximumConnections = 16
        let location = "postgres://\(parts.user ?? "postgres")@\(host):\(parts.port ?? 5432)/\(database)"
        return (configuration, location)
    }

    /// Connects to the database at `url` and brings its schema up to date (under an advisory lock).
    public static func open(url: String, logger: Logger = Logger(label: "merkisto.postgres")) async throws(StoreError) -> PostgresStore {
        let (configuration, location) = try configuration(url)
        // The client's own log says little we do not throw (and warns when asked for a connection a moment
        // before its run loop has started).
        var background = logger
        background.logLevel = .error
        let store = PostgresStore(client: PostgresClient(configuration: configuration, backgroundLogger: background), location: location, logger: logger)
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    private init(client: PostgresClient, location: String, logger: Logger) {
        self.client = client
        self.location = location
        self.logger = logger
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Closes the connections.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// Whether the database answers and its schema is the one this program writes.
    public func isReady() async -> Bool {
        do {
            let version = try await read { connection in
                try await connection.query("SELECT coalesce(max(version), 0) FROM merkisto_migration", logger: logger).collect().first?.decode(Int.self)
            }
            return version == PostgresSchema.migrations.last?.version
        } catch {
            return false
        }
    }

    // MARK: Migrations

    /// A number of our own for the advisory lock that migrations run under.
    static let migrationLock = 0x6d65_726b_6973_746f

    private func migrate() async throws(StoreError) {
        do {
            try await client.withConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: logger)
                do {
                    try await connection.query(
                        "CREATE TABLE IF NOT EXISTS merkisto_migration (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                        logger: logger)
                    let done = Set(try await connection.query("SELECT version FROM merkisto_migration", logger: logger).collect().map { try $0.decode(Int.self) })
                    for migration in PostgresSchema.migrations where !done.contains(migration.version) {
                        try await connection.withTransaction(logger: logger) { connection in
                            for statement in migration.statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                            try await migration.then?(connection, logger)
                            try await connection.query(
                                "INSERT INTO merkisto_migration (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                        }
                        logger.info("database migrated to version \(migration.version): \(migration.name)")
                    }
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                    throw error
                }
                try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
            }
        } catch {
            throw StoreError(.database, "cannot open the database \(location): \(Self.describe(error))")
        }
    }

    // MARK: Units and users

    public func addUnit(_ unit: ActivityUnit, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard try await c.exists("SELECT 1 FROM unit WHERE id = \(unit.id)", logger) == false else {
                throw StoreError(.duplicate, "unit \(unit.id) already exists", key: "unit.exists", ["unit": "\(unit.id)"])
            }
            try await c.query("INSERT INTO unit (id, name) VALUES (\(unit.id), \(unit.name))", logger: logger)
            try await audit(c, at: time, actor: actor, .unitAdded(unit))
        }
    }

    public func units() async throws(StoreError) -> [ActivityUnit] {
        try await read { c in
            try await c.rows("SELECT id, name FROM unit ORDER BY id", logger).map { row in
                let (id, name) = try row.decode((String, String).self)
                return ActivityUnit(id: id, name: name)
            }
        }
    }

    public func addUser(_ user: User, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard try await !c.exists("SELECT 1 FROM app_user WHERE id = \(user.id)", logger) else {
                throw StoreError(.duplicate, "user \(user.id) already exists", key: "user.exists", ["user": "\(user.id)"])
            }
            for unit in user.units where try await !c.exists("SELECT 1 FROM unit WHERE id = \(unit)", logger) {
                throw StoreError(.notFound, "there is no unit \(unit)", key: "unit.notFound", ["unit": "\(unit)"])
            }
            if let client = user.client, try await !c.exists("SELECT 1 FROM client WHERE id = \(client)", logger) {
                throw StoreError(.notFound, "there is no client \(client)", key: "client.notFound", ["client": "\(client)"])
            }
            try await c.query(
                """
                INSERT INTO app_user (id, role, display_name, client, created_at) VALUES (\(user.id), \(user.role.rawValue), \(user.displayName),
                \(user.client), \(user.createdAt.description))
                """, logger: logger)
            for unit in user.units { try await c.query("INSERT INTO unit_member (unit, member) VALUES (\(unit), \(user.id))", logger: logger) }
            try await audit(c, at: time, actor: actor, .userAdded(user))
        }
    }

    public func users() async throws(StoreError) -> [User] {
        try await read { c in
            var units: [String: [String]] = [:]
            for row in try await c.rows("SELECT unit, member FROM unit_member ORDER BY unit", logger) {
                let (unit, member) = try row.decode((String, String).self)
                units[member, default: []].append(unit)
            }
            return try await c.rows("SELECT id, role, display_name, client, created_at FROM app_user ORDER BY id", logger).map { row in
                var user = try Self.user(row, units: [])
                user.units = units[user.id] ?? []
                return user
            }
        }
    }

    public func userList(_ kind: UserKind, after: String?, limit: Int) async throws(StoreError) -> [User] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        switch kind {
        case .all: break
        case .staff: conditions.append("u.client IS NULL")
        case .client(let client):
            binds.append(client)
            conditions.append("u.client = $\(binds.count)")
        }
        if let after {
            binds.append(after)
            conditions.append("u.id COLLATE \"C\" > $\(binds.count)")
        }
        binds.append(max(0, limit))
        let sql = """
            SELECT id, role, display_name, client, created_at, array(SELECT unit FROM unit_member WHERE member = u.id ORDER BY unit)
            FROM app_user u\(conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) ORDER BY u.id COLLATE "C" LIMIT $\(binds.count)
            """
        return try await read { [binds] c in
            try await c.rows(PostgresQuery(unsafeSQL: sql, binds: binds), logger).map { row in
                let (userID, role, displayName, client, createdAt, units) = try row.decode((String, String, String?, String?, String, [String]).self)
                guard let role = User.Role(rawValue: role) else { throw StoreError(.database, "user \(userID) has an unknown role \(role)") }
                return User(id: userID, role: role, displayName: displayName, client: client, createdAt: try Self.time(createdAt), units: units)
            }
        }
    }

    public func user(id: String) async throws(StoreError) -> User? {
        try await read { c in
            guard
                let row = try await c.rows(
                    """
                    SELECT id, role, display_name, client, created_at, array(SELECT unit FROM unit_member WHERE member = u.id ORDER BY unit)
                    FROM app_user u WHERE id = \(id)
                    """, logger
                ).first
            else { return nil }
            return try Self.user(row)
        }
    }

    /// A user from the six columns id, role, display_name, client, created_at and the units.
    static func user(_ row: PostgresRow) throws -> User {
        let (userID, role, displayName, client, createdAt, units) = try row.decode((String, String, String?, String?, String, [String]).self)
        guard let role = User.Role(rawValue: role) else { throw StoreError(.database, "user \(userID) has an unknown role \(role)") }
        return User(id: userID, role: role, displayName: displayName, client: client, createdAt: try Self.time(createdAt), units: units)
    }

    public func sessionUser(id: String) async throws(StoreError) -> (session: StoredSession, user: User)? {
        // One query: every signed-in request asks for both.
        try await read { c in
            guard
                let row = try await c.rows(
                    """
                    SELECT u.id, u.role, u.display_name, u.client, u.created_at, array(SELECT unit FROM unit_member WHERE member = u.id ORDER BY unit),
                      s.id, s.csrf, s.created_at, s.expires_at
                    FROM session s JOIN app_user u ON u.id = s.owner WHERE s.id = \(id)
                    """, logger
                ).first
            else { return nil }
            let user = try Self.user(row)
            let (_, _, _, _, _, _, sessionID, csrf, created, expires) = try row.decode(
                (String, String, String?, String?, String, [String], String, String, String, String).self)
            return (StoredSession(id: sessionID, user: user.id, csrf: csrf, createdAt: try Self.time(created), expiresAt: try Self.time(expires)), user)
        }
    }

    static func user(_ row: PostgresRow, units: [String]) throws -> User {
        let (id, role, displayName, client, createdAt) = try row.decode((String, String, String?, String?, String).self)
        guard let role = User.Role(rawValue: role) else { throw StoreError(.database, "user \(id) has an unknown role \(role)") }
        return User(id: id, role: role, displayName: displayName, client: client, createdAt: try time(createdAt), units: units)
    }

    // MARK: Sign-in

    public func setPassword(user: String, hash: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard try await c.exists("UPDATE app_user SET password_hash = \(hash) WHERE id = \(user) RETURNING 1", logger) else {
                throw StoreError(.notFound, "there is no user \(user)", key: "user.notFound", ["user": "\(user)"])
            }
            try await c.query("DELETE FROM session WHERE owner = \(user)", logger: logger)
            try await audit(c, at: time, actor: actor, .passwordSet(user))
        }
    }

    public func passwordHash(user: String) async throws(StoreError) -> String? {
        try await read { c in try await c.rows("SELECT password_hash FROM app_user WHERE id = \(user)", logger).first?.decode(String?.self) ?? nil }
    }

    public func addSession(_ session: StoredSession, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard try await c.exists("SELECT 1 FROM app_user WHERE id = \(session.user)", logger) else {
                throw StoreError(.notFound, "there is no user \(session.user)", key: "user.notFound", ["user": "\(session.user)"])
            }
            try await Self.insert(session, c, logger)
            try await audit(c, at: time, actor: session.user, .signedIn(session.user))
        }
    }

    static func insert(_ session: StoredSession, _ c: PostgresConnection, _ logger: Logger) async throws {
        try await c.query(
            """
            INSERT INTO session (id, owner, csrf, created_at, expires_at) VALUES (\(session.id), \(session.user), \(session.csrf),
            \(session.createdAt.description), \(session.expiresAt.description))
            """, logger: logger)
    }

    public func session(id: String) async throws(StoreError) -> StoredSession? {
        try await read { c in
            try await c.rows("SELECT id, owner, csrf, created_at, expires_at FROM session WHERE id = \(id)", logger).first.map { row in
                let (id, user, csrf, created, expires) = try row.decode((String, String, String, String, String).self)
                return StoredSession(id: id, user: user, csrf: csrf, createdAt: try Self.time(created), expiresAt: try Self.time(expires))
            }
        }
    }

    public func removeSession(id: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard let user = try await c.rows("DELETE FROM session WHERE id = \(id) RETURNING owner", logger).first?.decode(String.self) else { return }
            try await audit(c, at: time, actor: user, .signedOut(user))
        }
    }

    public func addSignInCode(_ code: SignInCode, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard try await c.exists("SELECT 1 FROM app_user WHERE id = \(code.user)", logger) else {
                throw StoreError(.notFound, "there is no user \(code.user)", key: "user.notFound", ["user": "\(code.user)"])
            }
            // A new code cancels the user's older unused ones.
            try await c.query("DELETE FROM sign_in_code WHERE owner = \(code.user) AND used_at IS NULL", logger: logger)
            try await c.query(
                """
                INSERT INTO sign_in_code (id, owner, created_by, created_at, expires_at, used_at) VALUES (\(code.id), \(code.user),
                \(code.createdBy), \(code.createdAt.description), \(code.expiresAt.description), \(code.usedAt?.description))
                """, logger: logger)
            try await audit(c, at: time, actor: code.createdBy, .signInCodeMade(code))
        }
    }

    public func redeemSignInCode(id: String, session: @Sendable (String) -> StoredSession, at time: Timestamp) async throws(StoreError) -> StoredSession? {
        try await write { c in
            // Locked: of two servers redeeming the same code at once, one starts a session.
            guard let row = try await c.rows("SELECT owner, expires_at, used_at FROM sign_in_code WHERE id = \(id) FOR UPDATE", logger).first else {
                return nil
            }
            let (user, expires, used) = try row.decode((String, String, String?).self)
            guard used == nil, try Self.time(expires) > time, try await c.exists("SELECT 1 FROM app_user WHERE id = \(user)", logger) else { return nil }
            try await c.query("UPDATE sign_in_code SET used_at = \(time.description) WHERE id = \(id)", logger: logger)
            let started = session(user)
            try await Self.insert(started, c, logger)
            try await audit(c, at: time, actor: user, .signedInWithCode(user))
            return started
        }
    }

    // MARK: Sign-in throttling

    public func failureCounts(_ keys: [String], windowStart: Int64) async throws(StoreError) -> [String: FailureCount] {
        try await read { c in
            var found: [String: FailureCount] = [:]
            for row in try await c.rows("SELECT key, failures, first, last FROM sign_in_failure WHERE key = ANY(\(keys)) AND first > \(windowStart)", logger) {
                let (key, failures, first, last) = try row.decode((String, Int, Int64, Int64).self)
                found[key] = FailureCount(failures: failures, first: first, last: last)
            }
            return found
        }
    }

    public func countFailure(_ keys: [String], at time: Int64, windowStart: Int64) async throws(StoreError) {
        try await write { c in
            try await c.query("DELETE FROM sign_in_failure WHERE first <= \(windowStart)", logger: logger)
            // In key order, so that two servers counting the same keys take their row locks in one order.
            for key in keys.sorted() {
                try await c.query(
                    """
                    INSERT INTO sign_in_failure (key, failures, first, last) VALUES (\(key), 1, \(time), \(time))
                    ON CONFLICT (key) DO UPDATE SET failures = sign_in_failure.failures + 1, last = excluded.last
                    """, logger: logger)
            }
        }
    }

    public func clearFailures(_ keys: [String]) async throws(StoreError) {
        try await write { c in _ = try await c.query("DELETE FROM sign_in_failure WHERE key = ANY(\(keys))", logger: logger) }
    }

    // MARK: API tokens

    public func addToken(_ token: APIToken, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard try await !c.exists("SELECT 1 FROM api_token WHERE id = \(token.id)", logger) else {
                throw StoreError(.duplicate, "token \(token.id) already exists", key: "token.exists", ["token": "\(token.id)"])
            }
            guard try await c.exists("SELECT 1 FROM app_user WHERE id = \(token.user)", logger) else {
                throw StoreError(.notFound, "there is no user \(token.user)", key: "user.notFound", ["user": "\(token.user)"])
            }
            try await c.query(
                """
                INSERT INTO api_token (id, owner, name, scopes, secret_hash, created_at, expires_at, revoked_at) VALUES (\(token.id), \(token.user),
                \(token.name), \(token.scopes.map(\.rawValue).joined(separator: " ")), \(token.secretHash), \(token.createdAt.description),
                \(token.expiresAt?.description), \(token.revokedAt?.description))
                """, logger: logger)
            try await audit(c, at: time, actor: actor, .tokenAdded(token))
        }
    }

    static let tokenColumns = "id, owner, name, scopes, secret_hash, created_at, expires_at, revoked_at"

    static func token(_ row: PostgresRow) throws -> APIToken {
        let (id, user, name, scopes, secretHash, created, expires, revoked) = try row.decode(
            (String, String, String, String, String, String, String?, String?).self)
        return APIToken(
            id: id, user: user, name: name, scopes: scopes.split(separator: " ").compactMap { APIToken.Scope(rawValue: String($0)) },
            secretHash: secretHash, createdAt: try time(created), expiresAt: try expires.map(time), revokedAt: try revoked.map(time))
    }

    public func token(id: String) async throws(StoreError) -> APIToken? {
        try await read { c in
            try await c.rows("SELECT \(unescaped: Self.tokenColumns) FROM api_token WHERE id = \(id)", logger).first.map(Self.token)
        }
    }

    public func tokens() async throws(StoreError) -> [APIToken] {
        try await read { c in try await c.rows("SELECT \(unescaped: Self.tokenColumns) FROM api_token ORDER BY seq", logger).map(Self.token) }
    }

    public func tokenPage(after: String?, limit: Int) async throws(StoreError) -> [APIToken] {
        try await read { c in
            try await c.rows(
                """
                SELECT \(unescaped: Self.tokenColumns) FROM api_token
                WHERE \(after)::text IS NULL OR seq < (SELECT seq FROM api_token WHERE id = \(after)) ORDER BY seq DESC LIMIT \(max(0, limit))
                """, logger
            ).map(Self.token)
        }
    }

    public func revokeToken(id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard let row = try await c.rows("SELECT revoked_at FROM api_token WHERE id = \(id) FOR UPDATE", logger).first else {
                throw StoreError(.notFound, "there is no token \(id)", key: "token.notFound", ["token": "\(id)"])
            }
            guard try row.decode(String?.self) == nil else {
                throw StoreError(.conflict, "token \(id) is already revoked", key: "token.revoked", ["token": "\(id)"])
            }
            try await c.query("UPDATE api_token SET revoked_at = \(time.description) WHERE id = \(id)", logger: logger)
            try await audit(c, at: time, actor: actor, .tokenRevoked(id))
        }
    }

    // MARK: Definitions versions

    @discardableResult
    public func addDefinitionsVersion(_ version: DefinitionsVersion, archive: [UInt8], by actor: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try await write { c in
            guard
                try await c.exists(
                    """
                    INSERT INTO definitions_version (digest, files, uploaded_by, uploaded_at, archive) VALUES (\(version.digest), \(version.files),
                    \(version.uploadedBy), \(version.uploadedAt.description), \(ByteBuffer(bytes: archive))) ON CONFLICT (digest) DO NOTHING RETURNING 1
                    """, logger)
            else { return false }
            try await audit(c, at: time, actor: actor, .definitionsAdded(version))
            return true
        }
    }

    public func definitionsVersions() async throws(StoreError) -> [DefinitionsVersion] {
        try await read { c in
            try await c.rows("SELECT digest, files, uploaded_by, uploaded_at FROM definitions_version ORDER BY uploaded_at, seq", logger).map(Self.version)
        }
    }

    public func definitionsVersion(digest: String) async throws(StoreError) -> DefinitionsVersion? {
        try await read { c in
            try await c.rows("SELECT digest, files, uploaded_by, uploaded_at FROM definitions_version WHERE digest = \(digest)", logger).first.map(Self.version)
        }
    }

    public func definitionsVersionPage(after: String?, limit: Int) async throws(StoreError) -> [DefinitionsVersion] {
        try await read { c in
            try await c.rows(
                """
                SELECT digest, files, uploaded_by, uploaded_at FROM definitions_version
                WHERE \(after)::text IS NULL OR seq < (SELECT seq FROM definitions_version WHERE digest = \(after)) ORDER BY seq DESC LIMIT \(max(0, limit))
                """, logger
            ).map(Self.version)
        }
    }

    /// A kept definition set from its row (digest, files, uploaded_by, uploaded_at).
    private static func version(_ row: PostgresRow) throws -> DefinitionsVersion {
        let (digest, files, by, at) = try row.decode((String, Int, String, String).self)
        return DefinitionsVersion(digest: digest, files: files, uploadedBy: by, uploadedAt: try time(at))
    }

    public func definitionsArchive(digest: String) async throws(StoreError) -> [UInt8]? {
        try await read { c in
            try await c.rows("SELECT archive FROM definitions_version WHERE digest = \(digest)", logger).first.map { Array(buffer: try $0.decode(ByteBuffer.self)) }
        }
    }

    public func activateDefinitions(digest: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard try await c.exists("SELECT 1 FROM definitions_version WHERE digest = \(digest)", logger) else {
                throw StoreError(.notFound, "there is no definitions version \(digest)", key: "definitions.versionNotFound", ["digest": "\(digest)"])
            }
            let before = try await c.rows("SELECT digest FROM definitions_active WHERE id = 1 FOR UPDATE", logger).first?.decode(String.self)
            try await c.query(
                "INSERT INTO definitions_active (id, digest) VALUES (1, \(digest)) ON CONFLICT (id) DO UPDATE SET digest = excluded.digest", logger: logger)
            try await audit(c, at: time, actor: actor, .definitionsActivated(digest, before: before))
        }
    }

    public func activeDefinitions() async throws(StoreError) -> String? {
        try await read { c in try await c.rows("SELECT digest FROM definitions_active WHERE id = 1", logger).first?.decode(String.self) }
    }

    // MARK: Share links

    public func addShare(_ share: CredentialShare, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard let owner = try await c.rows("SELECT client FROM credential WHERE id = \(share.credential)", logger).first?.decode(String.self),
                owner == share.client
            else {
                throw StoreError(.notFound, "there is no credential \(share.credential)", key: "credential.notFound", ["credential": "\(share.credential)"])
            }
            guard
                try await c.exists(
                    """
                    INSERT INTO share (token, credential, client, created_at) VALUES (\(share.token), \(share.credential), \(share.client),
                    \(share.createdAt.description)) ON CONFLICT DO NOTHING RETURNING 1
                    """, logger)
            else {
                throw StoreError(.duplicate, "credential \(share.credential) is shared already", key: "share.on", ["credential": "\(share.credential)"])
            }
            try await audit(c, at: time, actor: actor, .shareOn(share))
        }
    }

    public func removeShare(credential: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard let row = try await c.rows("DELETE FROM share WHERE credential = \(credential) RETURNING token, credential, client, created_at", logger).first
            else {
                throw StoreError(.notFound, "credential \(credential) is not shared", key: "share.off", ["credential": "\(credential)"])
            }
            try await audit(c, at: time, actor: actor, .shareOff(try Self.share(row)))
        }
    }

    static func share(_ row: PostgresRow) throws -> CredentialShare {
        let (token, credential, client, created) = try row.decode((String, String, String, String).self)
        return CredentialShare(token: token, credential: credential, client: client, createdAt: try time(created))
    }

    // MARK: OAuth 2.0
    // Each row keeps its record as JSON beside the columns it is found by (as in SQLite).

    static func document<T: Encodable>(_ value: T) throws -> String { String(decoding: try JSONEncoder().encode(value), as: UTF8.self) }
    static func record<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }

    public func addOAuthClient(_ client: OAuthClient, removingUnusedBefore unusedBefore: Timestamp, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            try await c.query(
                "DELETE FROM oauth_client WHERE created_at < \(unusedBefore.microseconds) AND id NOT IN (SELECT service FROM oauth_grant)", logger: logger)
            guard try await !c.exists("SELECT 1 FROM oauth_client WHERE id = \(client.id)", logger) else {
                throw StoreError(.duplicate, "client_id \(client.id) exists already")
            }
            try await c.query(
                "INSERT INTO oauth_client (id, created_at, doc) VALUES (\(client.id), \(client.createdAt.microseconds), \(try Self.document(client)))", logger: logger)
            try await audit(c, at: time, actor: "oauth", .oauthRegistered(client))
        }
    }

    public func oauthClient(id: String) async throws(StoreError) -> OAuthClient? {
        try await read { c in
            try await c.rows("SELECT doc FROM oauth_client WHERE id = \(id)", logger).first.map { try Self.record(OAuthClient.self, try $0.decode(String.self)) }
        }
    }

    public func addOAuthGrant(_ grant: OAuthGrant, code: OAuthToken, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard let row = try await c.rows("SELECT erased_at FROM client WHERE id = \(grant.client)", logger).first else {
                throw StoreError(.notFound, "there is no client \(grant.client)", key: "client.notFound", ["client": "\(grant.client)"])
            }
            guard try row.decode(String?.self) == nil else {
                throw StoreError(.conflict, "client \(grant.client) was erased", key: "client.erased", ["client": "\(grant.client)"])
            }
            guard try await c.exists("SELECT 1 FROM oauth_client WHERE id = \(grant.service)", logger) else {
                throw StoreError(.notFound, "there is no client_id \(grant.service)")
            }
            try await c.query(
                "INSERT INTO oauth_grant (id, client, service, doc) VALUES (\(grant.id), \(grant.client), \(grant.service), \(try Self.document(grant)))",
                logger: logger)
            try await Self.insert(code, c, logger)
            try await audit(c, at: time, actor: actor, .oauthGranted(grant))
        }
    }

    static func insert(_ token: OAuthToken, _ c: PostgresConnection, _ logger: Logger) async throws {
        try await c.query(
            """
            INSERT INTO oauth_token (hash, grant_id, origin, expires_at, doc)
            VALUES (\(token.hash), \(token.grant), \(token.origin), \(token.expiresAt.microseconds), \(try document(token)))
            """, logger: logger)
    }

    public func oauthGrant(id: String) async throws(StoreError) -> OAuthGrant? {
        try await read { c in
            try await c.rows("SELECT doc FROM oauth_grant WHERE id = \(id)", logger).first.map { try Self.record(OAuthGrant.self, try $0.decode(String.self)) }
        }
    }

    public func oauthGrants(client: String) async throws(StoreError) -> [OAuthGrant] {
        try await read { c in
            try await c.rows("SELECT doc FROM oauth_grant WHERE client = \(client) ORDER BY seq", logger).map { try Self.record(OAuthGrant.self, try $0.decode(String.self)) }
        }
    }

    public func withdrawOAuthGrant(id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard let row = try await c.rows("SELECT doc FROM oauth_grant WHERE id = \(id) FOR UPDATE", logger).first,
                var grant = try Optional(Self.record(OAuthGrant.self, try row.decode(String.self))), grant.withdrawnAt == nil
            else { throw StoreError(.notFound, "there is no consent \(id) in force", key: "oauth.grantNotFound", [:]) }
            grant.withdrawnAt = time
            try await c.query("UPDATE oauth_grant SET doc = \(try Self.document(grant)) WHERE id = \(id)", logger: logger)
            try await revokeTokens(c, hash: nil, origin: nil, grant: id, at: time)
            try await audit(c, at: time, actor: actor, .oauthWithdrawn(grant))
        }
    }

    private func revokeTokens(_ c: PostgresConnection, hash: String?, origin: String?, grant: String?, at time: Timestamp) async throws {
        let rows = try await c.rows(
            "SELECT hash, doc FROM oauth_token WHERE hash = \(hash) OR origin = \(origin) OR grant_id = \(grant) ORDER BY hash FOR UPDATE", logger)
        for row in rows {
            let (key, text) = try row.decode((String, String).self)
            var token = try Self.record(OAuthToken.self, text)
            guard token.revokedAt == nil else { continue }
            token.revokedAt = time
            try await c.query("UPDATE oauth_token SET doc = \(try Self.document(token)) WHERE hash = \(key)", logger: logger)
        }
    }

    public func oauthToken(hash: String) async throws(StoreError) -> OAuthToken? {
        try await read { c in
            try await c.rows("SELECT doc FROM oauth_token WHERE hash = \(hash)", logger).first.map { try Self.record(OAuthToken.self, try $0.decode(String.self)) }
        }
    }

    public func redeemOAuthToken(hash: String, kind: OAuthToken.Kind, issuing tokens: [OAuthToken], at time: Timestamp) async throws(StoreError) -> Bool {
        try await write { c in
            // The row locked: of two servers redeeming the same code, the second finds it used.
            guard let row = try await c.rows("SELECT doc FROM oauth_token WHERE hash = \(hash) FOR UPDATE", logger).first else { return false }
            var token = try Self.record(OAuthToken.self, try row.decode(String.self))
            guard token.kind == kind, token.isLive(at: time),
                let grant = try await c.rows("SELECT doc FROM oauth_grant WHERE id = \(token.grant)", logger).first,
                try Self.record(OAuthGrant.self, try grant.decode(String.self)).withdrawnAt == nil
            else { return false }
            token.usedAt = time
            if kind == .refresh {
                try await c.query("DELETE FROM oauth_token WHERE hash = \(hash)", logger: logger)
            } else {
                try await c.query("UPDATE oauth_token SET doc = \(try Self.document(token)) WHERE hash = \(hash)", logger: logger)
            }
            try await c.query("DELETE FROM oauth_token WHERE expires_at < \(time.microseconds)", logger: logger)
            for issued in tokens { try await Self.insert(issued, c, logger) }
            return true
        }
    }

    public func revokeOAuthTokens(hash: String?, origin: String?, grant: String?, at time: Timestamp) async throws(StoreError) {
        try await write { c in try await revokeTokens(c, hash: hash, origin: origin, grant: grant, at: time) }
    }

    // MARK: Wallet exchanges

    public func addExchange(_ exchange: WalletExchange, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard let row = try await c.rows("SELECT erased_at FROM client WHERE id = \(exchange.client)", logger).first else {
                throw StoreError(.notFound, "there is no client \(exchange.client)", key: "client.notFound", ["client": "\(exchange.client)"])
            }
            guard try row.decode(String?.self) == nil else {
                throw StoreError(.conflict, "client \(exchange.client) was erased", key: "client.erased", ["client": "\(exchange.client)"])
            }
            try await c.query("DELETE FROM wallet_exchange WHERE expires_at <= \(time.microseconds)", logger: logger)
            try await c.query(
                """
                INSERT INTO wallet_exchange (id, client, badge, challenge, created_at, expires_at) VALUES (\(exchange.id), \(exchange.client),
                \(exchange.badge), \(exchange.challenge), \(exchange.createdAt.microseconds), \(exchange.expiresAt.microseconds))
                """, logger: logger)
            try await audit(c, at: time, actor: actor, .exchangeOpened(exchange))
        }
    }

    static let exchangeColumns = "id, client, badge, challenge, created_at, expires_at, completed_at"

    static func exchange(_ row: PostgresRow) throws -> WalletExchange {
        let (id, client, badge, challenge, created, expires, completed) = try row.decode((String, String, String, String, Int64, Int64, Int64?).self)
        return WalletExchange(
            id: id, client: client, badge: badge, challenge: challenge, createdAt: Timestamp(microseconds: created),
            expiresAt: Timestamp(microseconds: expires), completedAt: completed.map { Timestamp(microseconds: $0) })
    }

    public func exchange(id: String) async throws(StoreError) -> WalletExchange? {
        try await read { c in
            try await c.rows("SELECT \(unescaped: Self.exchangeColumns) FROM wallet_exchange WHERE id = \(id)", logger).first.map(Self.exchange)
        }
    }

    public func completeExchange(id: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try await write { c in
            // One statement: of two servers completing the same exchange, one updates the row, the other finds it completed.
            guard
                let row = try await c.rows(
                    """
                    UPDATE wallet_exchange SET completed_at = \(time.microseconds)
                    WHERE id = \(id) AND completed_at IS NULL AND expires_at > \(time.microseconds) RETURNING \(unescaped: Self.exchangeColumns)
                    """, logger
                ).first
            else { return false }
            try await audit(c, at: time, actor: "wallet", .exchangeCompleted(try Self.exchange(row)))
            return true
        }
    }

    public func share(token: String) async throws(StoreError) -> CredentialShare? {
        try await read { c in try await c.rows("SELECT token, credential, client, created_at FROM share WHERE token = \(token)", logger).first.map(Self.share) }
    }

    public func shares(client: String) async throws(StoreError) -> [CredentialShare] {
        try await read { c in
            try await c.rows("SELECT token, credential, client, created_at FROM share WHERE client = \(client) ORDER BY created_at", logger).map(Self.share)
        }
    }

    // MARK: Clients

    public func addClient(_ client: StoredClient, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            try await Self.insertClient(client, c, logger)
            try await audit(c, at: time, actor: actor, .clientAdded(client))
        }
    }

    static let clientColumns = "id, unit, display_name, contact, language, registered_at, erased_at, schema_reference"

    static func client(_ row: PostgresRow) throws -> StoredClient {
        let (id, unit, name, contact, language, registered, erased, schema) = try row.decode(
            (String, String?, String?, String?, String?, String, String?, String?).self)
        return StoredClient(
            id: id, unit: unit, displayName: name, contact: contact, language: language.flatMap(Language.init(rawValue:)),
            registeredAt: try time(registered), erasedAt: try erased.map(time), schemaReference: schema)
    }

    public func clients() async throws(StoreError) -> [StoredClient] {
        try await read { c in try await c.rows("SELECT \(unescaped: Self.clientColumns) FROM client ORDER BY id", logger).map(Self.client) }
    }

    public func clientFile(_ id: String) async throws(StoreError) -> ClientFile? {
        // One statement: one snapshot.
        try await read { c in try await Self.files([id], c, logger).first }
    }

    public func clientIDs() async throws(StoreError) -> [String] {
        try await read { c in try await c.rows("SELECT id FROM client ORDER BY id", logger).map { try $0.decode(String.self) } }
    }

    public func clientList(_ query: ClientQuery) async throws(StoreError) -> [ClientListing] {
        if let units = query.units, units.isEmpty { return [] }
        var conditions: [String] = []
        var binds = PostgresBindings()
        /// The next parameter's placeholder, its value bound.
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        if let units = query.units { conditions.append("c.unit = ANY(\(bind(units)))") }
        if !query.idPrefix.isEmpty {
            conditions.append("c.id COLLATE \"C\" >= \(bind(query.idPrefix)) AND c.id COLLATE \"C\" < \(bind(query.idPrefixEnd))")
        }
        if let phase = query.phase { conditions.append("c.open_phase = \(bind(phase))") }
        if let overdueAt = query.overdueAt { conditions.append("c.open_due < \(bind(overdueAt.microseconds))") }
        let order: String
        switch query.order {
        case .id:
            order = "c.id COLLATE \"C\""
            if let after = query.after { conditions.append("c.id COLLATE \"C\" > \(bind(after.id))") }
        case .decisionEnd:
            order = "c.open_due, c.id COLLATE \"C\""
            if let after = query.after { conditions.append("(c.open_due, c.id COLLATE \"C\") > (\(bind(after.due ?? Int64.max)), \(bind(after.id)))") }
        }
        let sql = """
            SELECT c.id, c.unit, c.display_name, c.contact, c.language, c.registered_at, c.erased_at, c.schema_reference, c.open_phase,
              (SELECT p.decision_end FROM period p WHERE p.client = c.id AND p.closed_at IS NULL),
              (SELECT count(*) FROM assessment a WHERE a.client = c.id), (SELECT count(*) FROM credential k WHERE k.client = c.id)
            FROM client c\(conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) ORDER BY \(order) LIMIT \(bind(max(0, query.limit)))
            """
        return try await read { [binds] c in
            try await c.rows(PostgresQuery(unsafeSQL: sql, binds: binds), logger).map { row in
                let cells = row.makeRandomAccess()
                let phase = try cells[8].decode(String?.self), decisionEnd = try cells[9].decode(String?.self)
                let assessments = try cells[10].decode(Int64.self), credentials = try cells[11].decode(Int64.self)
                return ClientListing(
                    client: try Self.client(row), phase: phase, decisionEnd: try decisionEnd.map(Self.time), assessments: Int(assessments),
                    credentials: Int(credentials))
            }
        }
    }

    public func clientCount(units: [String]?) async throws(StoreError) -> (count: Int, exact: Bool) {
        try await read { c in
            if let units {
                return (Int(try await c.rows("SELECT count(*) FROM client WHERE unit = ANY(\(Array(Set(units))))", logger).first?.decode(Int64.self) ?? 0), true)
            }
            // The planner's estimate (nothing read); counted only while the table is small or was never analysed.
            let estimate = try await c.rows("SELECT reltuples::bigint FROM pg_class WHERE oid = 'client'::regclass", logger).first?.decode(Int64.self) ?? -1
            if estimate >= 100_000 { return (Int(estimate), false) }
            return (Int(try await c.rows("SELECT count(*) FROM client", logger).first?.decode(Int64.self) ?? 0), true)
        }
    }

    /// Keeps what a client list filters and sorts by beside the client: the open period's phase and decision end.
    static func setListing(client: String, phase: String?, decisionEnd: Timestamp?, _ c: PostgresConnection, _ logger: Logger) async throws {
        try await c.query(
            "UPDATE client SET open_phase = \(phase), open_due = \(ClientListing.dueKey(phase == nil ? nil : decisionEnd)) WHERE id = \(client)",
            logger: logger)
    }

    public func clientFiles(_ ids: [String]) async throws(StoreError) -> [ClientFile] {
        try await read { c in try await Self.files(ids, c, logger) }
    }

    public func forEachEvaluationBatch<T: Sendable>(workers: Int, _ body: @escaping @Sendable ([ClientFile]) throws -> T) async throws(StoreError) -> [T] {
        let ids = try await clientIDs()
        let chunks = stride(from: 0, to: ids.count, by: 512).map { Array(ids[$0..<min($0 + 512, ids.count)]) }
        do {
            return try await concurrentMap(count: chunks.count, workers: workers) { index in try body(try await self.clientFiles(chunks[index])) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.conflict, "\(error)")
        }
    }

    public func importClients(_ files: [ClientFile], by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            for file in files {
                let id = file.client.id
                try await Self.insertClient(file.client, c, logger)
                for period in file.periods { try await Self.insertPeriod(period, c, logger) }
                for (position, assessment) in file.assessments.enumerated() { try await Self.insert(assessment, client: id, position: position, c, logger) }
                for (position, attestation) in file.attestations.enumerated() {
                    try await Self.insert(attestation, client: id, position: position, c, logger)
                }
                for (position, award) in file.heldAwards.enumerated() {
                    try await c.query(
                        """
                        INSERT INTO held_award (client, position, badge, issued_at, valid_until, revoked, credential) VALUES (\(id), \(position),
                        \(award.badge), \(award.issuedAt.description), \(award.validUntil?.description), \(award.revoked), \(award.credential))
                        """, logger: logger)
                }
                try await audit(c, at: time, actor: actor, .clientImported(file))
            }
        }
    }

    public func eraseClient(_ id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard let row = try await c.rows("SELECT \(unescaped: Self.clientColumns) FROM client WHERE id = \(id) FOR UPDATE", logger).first else {
                throw StoreError(.notFound, "there is no client \(id)", key: "client.notFound", ["client": "\(id)"])
            }
            let client = try Self.client(row)
            guard client.erasedAt == nil else { throw StoreError(.conflict, "client \(id) was already erased", key: "client.alreadyErased", ["client": "\(id)"]) }
            for table in ["assessment", "attestation", "held_award"] {
                try await c.query("DELETE FROM \(unescaped: table) WHERE client = \(id)", logger: logger)
            }
            try await c.query("DELETE FROM phase_change WHERE period IN (SELECT id FROM period WHERE client = \(id))", logger: logger)
            try await c.query("DELETE FROM period WHERE client = \(id)", logger: logger)
            let users = Set(try await c.rows("SELECT id FROM app_user WHERE client = \(id)", logger).map { try $0.decode(String.self) })
            // Failed sign-ins counted for the client's users (with the addresses they came from).
            for user in users {
                let pair = "pair:\(user) "
                try await c.query("DELETE FROM sign_in_failure WHERE key = \("user:" + user) OR starts_with(key, \(pair))", logger: logger)
            }
            for table in ["unit_member", "api_token", "session", "sign_in_code"] {
                let column = table == "unit_member" ? "member" : "owner"
                try await c.query(
                    "DELETE FROM \(unescaped: table) WHERE \(unescaped: column) IN (SELECT id FROM app_user WHERE client = \(id))", logger: logger)
            }
            try await c.query("DELETE FROM share WHERE client = \(id)", logger: logger)
            try await c.query("DELETE FROM wallet_exchange WHERE client = \(id)", logger: logger)
            try await c.query("DELETE FROM oauth_token WHERE grant_id IN (SELECT id FROM oauth_grant WHERE client = \(id))", logger: logger)
            try await c.query("DELETE FROM oauth_grant WHERE client = \(id)", logger: logger)
            try await c.query("DELETE FROM app_user WHERE client = \(id)", logger: logger)
            // Why the client's credentials were revoked or suspended is staff's free text about the client.
            for table in ["revocation", "suspension"] {
                try await c.query(
                    "UPDATE \(unescaped: table) SET reason = '' WHERE credential_id IN (SELECT id FROM credential WHERE client = \(id))", logger: logger)
            }
            try await c.query(
                """
                UPDATE client SET display_name = NULL, contact = NULL, language = NULL, schema_reference = NULL, erased_at = \(time.description),
                  open_phase = NULL, open_due = \(Int64.max) WHERE id = \(id)
                """, logger: logger)
            try await audit(c, at: time, actor: actor, .clientErased(id))
            // The audit details that describe the client: removed, their digests left to chain the log. Only the
            // entries that name the client or their users are read (audit_mention).
            let names = [id] + users.sorted()
            var redacted: [Int64] = []
            let named = try await c.rows("SELECT DISTINCT sequence FROM audit_mention WHERE name = ANY(\(names)::text[])", logger).map { try $0.decode(Int64.self) }
            let entries = named.isEmpty ? [] : try await Self.auditEntries("WHERE sequence IN (\(named.map(String.init).joined(separator: ",")))", c, logger)
            for entry in entries {
                guard let detail = entry.redactedDetail(client: id, users: users) else { continue }
                try await c.query("UPDATE audit SET detail = \(detail), redacted = true WHERE sequence = \(entry.sequence)", logger: logger)
                redacted.append(entry.sequence)
            }
            if !redacted.isEmpty { try await audit(c, at: time, actor: actor, .detailsRedacted(client: id, sequences: redacted)) }
            try await c.query("DELETE FROM audit_mention WHERE name = ANY(\(names)::text[])", logger: logger)
        }
    }

    // MARK: Pathway periods

    public func startPeriod(_ period: PathwayPeriod, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            let client = try await Self.liveClient(period.client, c, logger)
            if let open = try await c.rows("SELECT id FROM period WHERE client = \(client.id) AND closed_at IS NULL", logger).first?.decode(String.self) {
                throw Self.periodOpen(client: client.id, period: open)
            }
            guard try await !c.exists("SELECT 1 FROM period WHERE id = \(period.id)", logger) else {
                throw StoreError(.duplicate, "pathway period \(period.id) already exists", key: "period.exists", ["period": "\(period.id)"])
            }
            do {
                try await Self.insertPeriod(period, c, logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                // Another server opened one meanwhile (the period_open index).
                throw Self.periodOpen(client: client.id, period: period.id)
            }
            try await audit(c, at: time, actor: actor, .periodStarted(period))
        }
    }

    static func periodOpen(client: String, period: String) -> StoreError {
        StoreError(
            .conflict, "client \(client) already has an open pathway period \(period); close it first", key: "period.open",
            ["client": "\(client)", "period": "\(period)"])
    }

    public func changePhase(period id: String, from expected: String, to change: PhaseChange) async throws(StoreError) {
        try await write { c in
            let (client, sequence) = try await Self.openPeriod(id, expected: expected, c, logger)
            try await c.query(
                """
                INSERT INTO phase_change (period, sequence, phase, at, by_user) VALUES (\(id), \(sequence + 1), \(change.phase), \(change.at.description),
                \(change.by))
                """, logger: logger)
            try await c.query("UPDATE client SET open_phase = \(change.phase) WHERE id = \(client)", logger: logger)
            try await audit(c, at: change.at, actor: change.by, .phaseChanged(client: client, period: id, from: expected, to: change.phase))
        }
    }

    public func closePeriod(period id: String, from expected: String, outcome: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            let (client, _) = try await Self.openPeriod(id, expected: expected, c, logger)
            try await c.query("UPDATE period SET closed_at = \(time.description), outcome = \(outcome) WHERE id = \(id)", logger: logger)
            try await Self.setListing(client: client, phase: nil, decisionEnd: nil, c, logger)
            try await audit(c, at: time, actor: actor, .periodClosed(client: client, period: id, outcome: outcome))
        }
    }

    // MARK: Evidence

    public func addAssessment(_ assessment: StoredAssessment, client: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            _ = try await Self.liveClient(client, c, logger)
            if try await c.exists("SELECT 1 FROM assessment WHERE client = \(client) AND id = \(assessment.id)", logger) {
                throw StoreError(
                    .duplicate, "client \(client) already has an assessment \(assessment.id)", key: "assessment.exists",
                    ["client": "\(client)", "assessment": "\(assessment.id)"])
            }
            let position = try await c.rows("SELECT count(*) FROM assessment WHERE client = \(client)", logger).first?.decode(Int.self) ?? 0
            try await Self.insert(assessment, client: client, position: position, c, logger)
            try await audit(c, at: time, actor: actor, .assessmentRecorded(assessment, client: client))
        }
    }

    public func addAttestation(_ attestation: StoredAttestation, client: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            _ = try await Self.liveClient(client, c, logger)
            // After the last one: a withdrawal leaves gaps, so the count is not the next position.
            let position =
                try await c.rows("SELECT coalesce(max(position) + 1, 0) FROM attestation WHERE client = \(client)", logger).first?.decode(Int.self) ?? 0
            try await Self.insert(attestation, client: client, position: position, c, logger)
            try await audit(c, at: time, actor: actor, .attestationRecorded(attestation, client: client))
        }
    }

    public func withdrawAttestations(
        client: String, badge: String, roles: Set<Criterion.Role>, by actor: String, at time: Timestamp
    ) async throws(StoreError) -> [StoredAttestation] {
        try await write { c in
            _ = try await Self.liveClient(client, c, logger)
            let rows = try await c.rows(
                "SELECT position, badge, by_user, role, at FROM attestation WHERE client = \(client) AND badge = \(badge) ORDER BY position", logger)
            var withdrawn: [StoredAttestation] = []
            for row in rows {
                let (position, attestation) = try Self.attestation(row)
                guard roles.contains(attestation.role) else { continue }
                try await c.query("DELETE FROM attestation WHERE client = \(client) AND position = \(position)", logger: logger)
                try await audit(c, at: time, actor: actor, .attestationWithdrawn(attestation, client: client))
                withdrawn.append(attestation)
            }
            return withdrawn
        }
    }

    // MARK: Credentials

    public func recordCredentials(_ credentials: [IssuedCredential], replacing: [String], by actor: String, at time: Timestamp) async throws(StoreError) {
        guard !credentials.isEmpty else { return }
        try await write { c in
            for id in replacing { _ = try await revoke(id, reason: "replaced", by: actor, at: time, c) }
            // A group is written with a few statements over arrays, not a few per credential.
            let ids = credentials.map(\.id), clients = credentials.map(\.client), badges = credentials.map(\.badge)
            let formats = credentials.map(\.format.rawValue)
            // One valid award per client, badge and format: the slot rows are locked, so a second writer
            // waits here for the first and then sees what it wrote.
            var held: [String: String] = [:]
            for row in try await c.rows(
                """
                SELECT s.client, s.badge, s.format, s.credential, k.valid_until, r.credential_id IS NOT NULL
                FROM award_slot s JOIN (SELECT DISTINCT * FROM unnest(\(clients), \(badges), \(formats))) AS w (client, badge, format)
                  ON s.client = w.client AND s.badge = w.badge AND s.format = w.format
                JOIN credential k ON k.id = s.credential LEFT JOIN revocation r ON r.credential_id = s.credential
                FOR UPDATE OF s
                """, logger)
            {
                let (client, badge, format, existing, validUntil, revoked) = try row.decode((String, String, String, String, String?, Bool).self)
                if !revoked, try validUntil.map(Self.time).map({ $0 > time }) ?? true { held["\(client) \(badge) \(format)"] = existing }
            }
            for credential in credentials {
                let key = "\(credential.client) \(credential.badge) \(credential.format.rawValue)"
                if let existing = held[key] { throw StoreError.held(credential, by: existing) }
                // The next of the same group is held by this one.
                held[key] = credential.id
            }
            let inserted = try await c.rows(
                """
                INSERT INTO credential (id, badge, client, recipient, format, key_id, issued_at, valid_until, definitions_digest, language, bytes)
                SELECT id, badge, client, recipient, format, nullif(key_id, ''), issued_at, nullif(valid_until, ''), digest, language, bytes
                FROM unnest(\(ids), \(badges), \(clients), \(credentials.map(\.recipient)), \(formats), \(credentials.map { $0.keyID ?? "" }),
                  \(credentials.map(\.issuedAt.description)), \(credentials.map { $0.validUntil?.description ?? "" }), \(credentials.map(\.definitionsDigest)),
                  \(credentials.map(\.language.rawValue)), \(credentials.map { ByteBuffer(bytes: $0.bytes) }))
                  AS w (id, badge, client, recipient, format, key_id, issued_at, valid_until, digest, language, bytes)
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, logger)
            guard inserted.count == credentials.count else {
                let written = Set(try inserted.map { try $0.decode(String.self) })
                let id = credentials.first { !written.contains($0.id) }?.id ?? ""
                throw StoreError(.duplicate, "credential \(id) is already recorded", key: "credential.exists", ["credential": "\(id)"])
            }
            do {
                try await c.query(
                    """
                    INSERT INTO award_slot (client, badge, format, credential) SELECT * FROM unnest(\(clients), \(badges), \(formats), \(ids))
                    ON CONFLICT (client, badge, format) DO UPDATE SET credential = excluded.credential
                    """, logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                // Two servers wrote a client's first award of a badge at once: this one lost.
                throw StoreError.held(credentials[0], by: "(recorded at the same moment)")
            }
            let placed = credentials.filter { $0.status != nil }
            if !placed.isEmpty {
                let bound = try await c.rows(
                    """
                    UPDATE status_place p SET credential = w.id
                    FROM unnest(\(placed.map(\.id)), \(placed.map { $0.status!.list }), \(placed.map { $0.status!.index })) AS w (id, list, idx)
                    WHERE p.list = w.list AND p.idx = w.idx AND p.credential IS NULL RETURNING p.list, p.idx
                    """, logger)
                guard bound.count == placed.count else {
                    let taken = Set(try bound.map { row in
                        let (list, index) = try row.decode((Int, Int).self)
                        return StatusListEntry(list: list, index: index)
                    })
                    let place = placed.first { !taken.contains($0.status!) }?.status ?? placed[0].status!
                    throw StoreError(
                        .conflict, "status list place \(place.list)/\(place.index) is not a free reserved place", key: "status.placeTaken",
                        ["list": "\(place.list)", "index": "\(place.index)"])
                }
            }
            try await audit(c, at: time, actor: actor, .credentialsIssued(credentials, replacing: replacing))
        }
    }

    static let credentialSelection = """
        SELECT k.id, k.badge, k.client, k.recipient, k.format, k.key_id, k.issued_at, k.valid_until, k.definitions_digest, k.language, k.bytes,
        p.list, p.idx FROM credential k LEFT JOIN status_place p ON p.credential = k.id
        """

    static func credential(_ row: PostgresRow) throws -> IssuedCredential {
        let (id, badge, client, recipient, format, keyID, issued, validUntil, digest, language, bytes, list, index) = try row.decode(
            (String, String, String, String, String, String?, String, String?, String, String, ByteBuffer, Int?, Int?).self)
        guard let format = CredentialFormat(rawValue: format), let language = Language(rawValue: language) else {
            throw StoreError(.database, "credential \(id) has an unknown format or language")
        }
        return IssuedCredential(
            id: id, badge: badge, client: client, recipient: recipient, format: format, keyID: keyID, issuedAt: try time(issued),
            validUntil: try validUntil.map(time), definitionsDigest: digest, language: language, bytes: Array(buffer: bytes),
            status: list.flatMap { list in index.map { StatusListEntry(list: list, index: $0) } })
    }

    public func credential(id: String) async throws(StoreError) -> IssuedCredential? {
        try await read { c in try await c.rows("\(unescaped: Self.credentialSelection) WHERE k.id = \(id)", logger).first.map(Self.credential) }
    }

    public func credentials() async throws(StoreError) -> [IssuedCredential] {
        try await read { c in try await c.rows("\(unescaped: Self.credentialSelection) ORDER BY k.seq", logger).map(Self.credential) }
    }

    public func revoke(credential id: String, reason: String, by actor: String, at time: Timestamp) async throws(StoreError) -> Revocation {
        try await write { c in try await revoke(id, reason: reason, by: actor, at: time, c) }
    }

    /// Revokes a credential within a write transaction (audited).
    private func revoke(_ id: String, reason: String, by actor: String, at time: Timestamp, _ c: PostgresConnection) async throws -> Revocation {
        guard try await c.exists("SELECT 1 FROM credential WHERE id = \(id)", logger) else {
            throw StoreError(.notFound, "there is no credential \(id)", key: "credential.notFound", ["credential": "\(id)"])
        }
        guard
            try await c.exists(
                """
                INSERT INTO revocation (credential_id, reason, revoked_at, by_user) VALUES (\(id), \(reason), \(time.description), \(actor))
                ON CONFLICT (credential_id) DO NOTHING RETURNING 1
                """, logger)
        else { throw StoreError(.conflict, "credential \(id) is already revoked", key: "credential.revoked", ["credential": "\(id)"]) }
        // A revoked credential is not also suspended.
        try await c.query("DELETE FROM suspension WHERE credential_id = \(id)", logger: logger)
        try await c.query("INSERT INTO status_change (at) VALUES (\(time.description))", logger: logger)
        try await audit(c, at: time, actor: actor, .credentialRevoked(id))
        return Revocation(credentialID: id, reason: reason, revokedAt: time, by: actor)
    }

    static func revocation(_ row: PostgresRow) throws -> Revocation {
        let (id, reason, at, by) = try row.decode((String, String, String, String).self)
        return Revocation(credentialID: id, reason: reason, revokedAt: try time(at), by: by)
    }

    public func revocations() async throws(StoreError) -> [Revocation] {
        try await read { c in try await c.rows("SELECT credential_id, reason, revoked_at, by_user FROM revocation ORDER BY seq", logger).map(Self.revocation) }
    }

    public func revocationCount() async throws(StoreError) -> Int {
        try await read { c in try await c.rows("SELECT count(*) FROM revocation", logger).first?.decode(Int.self) ?? 0 }
    }

    public func revocation(of credential: String) async throws(StoreError) -> Revocation? {
        try await read { c in
            try await c.rows("SELECT credential_id, reason, revoked_at, by_user FROM revocation WHERE credential_id = \(credential)", logger).first.map(
                Self.revocation)
        }
    }

    // MARK: Status lists

    public func reserveStatusEntries(count: Int, at time: Timestamp) async throws(StoreError) -> [StatusListEntry] {
        try await write { c in
            let last = try await c.rows("SELECT list, count(*) FROM status_place WHERE list = (SELECT max(list) FROM status_place) GROUP BY list", logger)
                .first.map { row in
                    let (list, used) = try row.decode((Int, Int).self)
                    return (list: list, used: used)
                }
            // Drawn here, written in one statement; a place already taken (by another server, or drawn twice)
            // is not returned by the insert and is drawn again in its list.
            var wanted: [StatusListEntry] = []
            _ = StatusPlacement.place(count: count, last: last) { entry in
                wanted.append(entry)
                return true
            }
            var placed: [StatusListEntry] = []
            while !wanted.isEmpty {
                let rows = try await c.rows(
                    """
                    INSERT INTO status_place (list, idx, reserved_at) SELECT p.list, p.idx, \(time.description) FROM unnest(\(wanted.map(\.list)), \(wanted.map(\.index))) AS p (list, idx)
                    ON CONFLICT DO NOTHING RETURNING list, idx
                    """, logger)
                var inserted = Set<StatusListEntry>()
                for row in rows {
                    let (list, index) = try row.decode((Int, Int).self)
                    inserted.insert(StatusListEntry(list: list, index: index))
                }
                var again: [StatusListEntry] = []
                for entry in wanted {
                    if inserted.remove(entry) != nil {
                        placed.append(entry)
                    } else {
                        again.append(StatusListEntry(list: entry.list, index: Int.random(in: 0..<StatusPlacement.listLength)))
                    }
                }
                wanted = again
            }
            return placed
        }
    }

    public func suspend(credential id: String, reason: String, by actor: String, at time: Timestamp) async throws(StoreError) -> Suspension {
        try await write { c in
            guard let row = try await c.rows("SELECT (SELECT count(*) FROM status_place WHERE credential = \(id)) FROM credential WHERE id = \(id)", logger).first
            else { throw StoreError(.notFound, "there is no credential \(id)", key: "credential.notFound", ["credential": "\(id)"]) }
            guard try row.decode(Int.self) == 1 else {
                throw StoreError(.conflict, "credential \(id) has no place in the status lists", key: "credential.noStatus", ["credential": "\(id)"])
            }
            guard try await !c.exists("SELECT 1 FROM revocation WHERE credential_id = \(id)", logger) else {
                throw StoreError(.conflict, "credential \(id) is already revoked", key: "credential.revoked", ["credential": "\(id)"])
            }
            guard
                try await c.exists(
                    """
                    INSERT INTO suspension (credential_id, reason, suspended_at, by_user) VALUES (\(id), \(reason), \(time.description), \(actor))
                    ON CONFLICT (credential_id) DO NOTHING RETURNING 1
                    """, logger)
            else { throw StoreError(.conflict, "credential \(id) is already suspended", key: "credential.suspended", ["credential": "\(id)"]) }
            try await c.query("INSERT INTO status_change (at) VALUES (\(time.description))", logger: logger)
            try await audit(c, at: time, actor: actor, .credentialSuspended(id))
            return Suspension(credentialID: id, reason: reason, suspendedAt: time, by: actor)
        }
    }

    public func liftSuspension(credential id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in
            guard try await c.exists("SELECT 1 FROM credential WHERE id = \(id)", logger) else {
                throw StoreError(.notFound, "there is no credential \(id)", key: "credential.notFound", ["credential": "\(id)"])
            }
            guard try await c.exists("DELETE FROM suspension WHERE credential_id = \(id) RETURNING 1", logger) else {
                throw StoreError(.conflict, "credential \(id) is not suspended", key: "credential.notSuspended", ["credential": "\(id)"])
            }
            try await c.query("INSERT INTO status_change (at) VALUES (\(time.description))", logger: logger)
            try await audit(c, at: time, actor: actor, .suspensionLifted(id))
        }
    }

    public func suspensions() async throws(StoreError) -> [Suspension] {
        try await read { c in
            try await c.rows("SELECT credential_id, reason, suspended_at, by_user FROM suspension ORDER BY seq", logger).map { row in
                let (id, reason, at, by) = try row.decode((String, String, String, String).self)
                return Suspension(credentialID: id, reason: reason, suspendedAt: try Self.time(at), by: by)
            }
        }
    }

    public func statusListState() async throws(StoreError) -> StatusListState {
        try await snapshot { c in
            func places(_ table: String) async throws -> [StatusListEntry] {
                try await c.rows(
                    "SELECT p.list, p.idx FROM \(unescaped: table) t JOIN status_place p ON p.credential = t.credential_id ORDER BY 1, 2", logger
                ).map { row in
                    let (list, index) = try row.decode((Int, Int).self)
                    return StatusListEntry(list: list, index: index)
                }
            }
            // The lists in use, one step through the key each (not a scan of every place).
            let lists = try await c.rows(
                """
                WITH RECURSIVE l AS (SELECT min(list) AS list FROM status_place
                  UNION ALL SELECT (SELECT min(list) FROM status_place WHERE list > l.list) FROM l WHERE l.list IS NOT NULL)
                SELECT list FROM l WHERE list IS NOT NULL
                """, logger
            ).map { try $0.decode(Int.self) }
            let changed = try await c.rows("SELECT at FROM status_change ORDER BY sequence DESC LIMIT 1", logger).first?.decode(String.self)
            let first = try await c.rows("SELECT reserved_at FROM status_place ORDER BY seq LIMIT 1", logger).first?.decode(String.self)
            return StatusListState(
                lists: lists, revoked: try await places("revocation"), suspended: try await places("suspension"),
                changedAt: try (changed ?? first).map(Self.time) ?? Timestamp(microseconds: 0))
        }
    }

    public func statusVersion() async throws(StoreError) -> Int {
        try await read { c in try await c.rows("SELECT coalesce(max(sequence), 0) FROM status_change", logger).first?.decode(Int.self) ?? 0 }
    }

    // MARK: Audit

    public func recordEvent(action: String, subject: String, detail: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await write { c in try await audit(c, at: time, actor: actor, AuditChange(action: action, subject: subject, detail: detail)) }
    }

    public func auditLog() async throws(StoreError) -> [AuditEntry] {
        try await read { c in try await Self.auditEntries("", c, logger) }
    }

    public func auditEntries(from first: Int64, limit: Int) async throws(StoreError) -> [AuditEntry] {
        try await read { c in try await Self.auditEntries("WHERE sequence >= \(first) ORDER BY sequence LIMIT \(max(0, limit))", ordered: true, c, logger) }
    }

    public func lastAuditSequence() async throws(StoreError) -> Int64 {
        try await read { c in try await c.rows("SELECT coalesce(max(sequence), 0)::bigint FROM audit", logger).first?.decode(Int64.self) ?? 0 }
    }

    /// Audit entries in order; `condition` is SQL written here (never from input), with its own ORDER BY when `ordered`.
    static func auditEntries(_ condition: String, ordered: Bool = false, _ c: PostgresConnection, _ logger: Logger) async throws -> [AuditEntry] {
        try await c.rows(
            """
            SELECT sequence, at, actor, action, subject, detail, detail_digest, redacted, previous, hash FROM audit \(unescaped: condition)\
            \(unescaped: ordered ? "" : " ORDER BY sequence")
            """,
            logger
        ).map { row in
            let (sequence, at, actor, action, subject, detail, digest, redacted, previous, hash) = try row.decode(
                (Int64, String, String, String, String, String, String?, Bool, String, String).self)
            return AuditEntry(
                stored: sequence, at: try time(at), actor: actor, action: action, subject: subject, detail: detail, detailDigest: digest,
                redacted: redacted, previous: previous, hash: hash)
        }
    }

    /// Appends an audit entry chained to the head, holding the head's row lock until the transaction ends:
    /// writers on every server append one after another.
    private func audit(_ c: PostgresConnection, at time: Timestamp, actor: String, _ change: AuditChange) async throws {
        guard let head = try await c.rows("SELECT sequence, hash FROM audit_head WHERE id = 1 FOR UPDATE", logger).first else {
            throw StoreError(.database, "the audit log has no head row")
        }
        let (sequence, previous) = try head.decode((Int64, String).self)
        let entry = AuditEntry(
            sequence: sequence + 1, at: time, actor: actor, action: change.action, subject: change.subject, detail: change.detail, previous: previous)
        // The entry, the new head, and the notice told to every listening server when the transaction
        // commits (see followChanges), in one statement.
        try await c.query(
            """
            WITH entry AS (
              INSERT INTO audit (sequence, at, actor, action, subject, detail, detail_digest, redacted, previous, hash) VALUES (\(entry.sequence),
              \(entry.at.description), \(entry.actor), \(entry.action), \(entry.subject), \(entry.detail), \(entry.detailDigest), \(entry.redacted),
              \(entry.previous), \(entry.hash)) RETURNING 1
            ), head AS (UPDATE audit_head SET sequence = \(entry.sequence), hash = \(entry.hash) WHERE id = 1 RETURNING 1),
            mention AS (INSERT INTO audit_mention (name, sequence) SELECT unnest(\(Array(entry.mentions))::text[]), \(entry.sequence) RETURNING 1)
            SELECT pg_notify(\(Self.changeChannel), \(change.action)) FROM entry, head
            """, logger: logger)
    }

    /// The channel changes are told on.
    static let changeChannel = "merkisto_changes"

    public func followChanges(_ changed: @escaping @Sendable (String) async -> Void) async throws(StoreError) {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.changeChannel) { notices in
                        await changed("*")
                        for try await notice in notices { await changed(notice.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening for changes stopped (\(Self.describe(error))); starting again in 1 s")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    static func insert(_ entry: AuditEntry, _ c: PostgresConnection, _ logger: Logger) async throws {
        try await c.query(
            """
            INSERT INTO audit (sequence, at, actor, action, subject, detail, detail_digest, redacted, previous, hash) VALUES (\(entry.sequence),
            \(entry.at.description), \(entry.actor), \(entry.action), \(entry.subject), \(entry.detail), \(entry.detailDigest), \(entry.redacted),
            \(entry.previous), \(entry.hash))
            """, logger: logger)
        let names = Array(entry.mentions)
        try await insertMentions(names: names, sequences: Array(repeating: entry.sequence, count: names.count), c, logger)
    }

    /// Rows of audit_mention: `names[i]` is named by entry `sequences[i]`.
    static func insertMentions(names: [String], sequences: [Int64], _ c: PostgresConnection, _ logger: Logger) async throws {
        guard !names.isEmpty else { return }
        try await c.query(
            "INSERT INTO audit_mention (name, sequence) SELECT * FROM unnest(\(names)::text[], \(sequences)::bigint[]) ON CONFLICT DO NOTHING", logger: logger)
    }

    // MARK: Helpers

    /// Runs `body` in a write transaction; a serialization failure or deadlock runs it again (a few times,
    /// after a short random wait), then is refused as busy.
    func write<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        var attempt = 0
        while true {
            do {
                return try await counted { try await client.withTransaction(logger: logger) { connection in try await body(connection) } }
            } catch {
                let cause = Self.cause(error)
                if let error = cause as? StoreError { throw error }
                if let code = (cause as? PSQLError)?.serverInfo?[.sqlState], code == "40001" || code == "40P01" {
                    attempt += 1
                    Self.retriesCounter.increment()
                    guard attempt < Self.attempts else {
                        throw StoreError(.busy, "the database is busy (\(code) \(Self.attempts) times); try again in a moment")
                    }
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(10 << attempt))))
                    continue
                }
                throw StoreError(.database, "cannot write \(location): \(Self.describe(cause))")
            }
        }
    }

    /// How many times a transaction is tried.
    static let attempts = 5

    /// For /metrics: transactions run again, and connections in use.
    static let retriesCounter = Counter(label: "merkisto_store_retries_total")
    static let inUse = Meter(label: "merkisto_store_connections_in_use")

    /// Runs `body` counting the connection it holds as in use.
    private func counted<T>(_ body: () async throws -> T) async rethrows -> T {
        Self.inUse.increment()
        defer { Self.inUse.decrement() }
        return try await body()
    }

    /// Runs `body` on one connection, statement by statement.
    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await counted { try await client.withConnection { connection in try await body(connection) } }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "cannot read \(location): \(Self.describe(error))")
        }
    }

    /// Runs `body` in a read-only transaction that sees one snapshot (a client's file, the lists).
    func snapshot<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await counted {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                    return try await body(connection)
                }
            }
        } catch {
            let cause = Self.cause(error)
            if let error = cause as? StoreError { throw error }
            throw StoreError(.database, "cannot read \(location): \(Self.describe(cause))")
        }
    }

    /// The error inside a transaction's error.
    static func cause(_ error: any Error) -> any Error {
        guard let error = error as? PostgresTransactionError else { return error }
        return error.closureError ?? error.commitError ?? error.beginError ?? error
    }

    /// PostgreSQL's own message (postgres-nio hides it by default).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return "\(message) (\(error.serverInfo?[.sqlState] ?? "?"))" }
            return "\(error.code)"
        }
        return "\(error)"
    }

    static func time(_ text: String) throws -> Timestamp {
        guard case .success(let time) = Timestamp.parse(text) else { throw StoreError(.database, "not a time: \(text)") }
        return time
    }

    static func insertClient(_ client: StoredClient, _ c: PostgresConnection, _ logger: Logger) async throws {
        guard try await !c.exists("SELECT 1 FROM client WHERE id = \(client.id)", logger) else {
            throw StoreError(.duplicate, "client \(client.id) already exists", key: "client.exists", ["client": "\(client.id)"])
        }
        if let unit = client.unit, try await !c.exists("SELECT 1 FROM unit WHERE id = \(unit)", logger) {
            throw StoreError(.notFound, "there is no unit \(unit)", key: "unit.notFound", ["unit": "\(unit)"])
        }
        do {
            try await c.query(
                """
                INSERT INTO client (id, unit, display_name, contact, language, registered_at, erased_at, schema_reference) VALUES (\(client.id),
                \(client.unit), \(client.displayName), \(client.contact), \(client.language?.rawValue), \(client.registeredAt.description),
                \(client.erasedAt?.description), \(client.schemaReference))
                """, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError(.duplicate, "client \(client.id) already exists", key: "client.exists", ["client": "\(client.id)"])
        }
    }

    static func liveClient(_ id: String, _ c: PostgresConnection, _ logger: Logger) async throws -> StoredClient {
        // Locked: an erasure on another server waits for this change, or this one sees the erasure.
        guard let row = try await c.rows("SELECT \(unescaped: clientColumns) FROM client WHERE id = \(id) FOR SHARE", logger).first else {
            throw StoreError(.notFound, "there is no client \(id)", key: "client.notFound", ["client": "\(id)"])
        }
        let client = try client(row)
        guard client.erasedAt == nil else { throw StoreError(.conflict, "client \(id) was erased", key: "client.erased", ["client": "\(id)"]) }
        return client
    }

    static func insertPeriod(_ period: PathwayPeriod, _ c: PostgresConnection, _ logger: Logger) async throws {
        try await c.query(
            """
            INSERT INTO period (id, client, pathway, decision_start, decision_end, closed_at, outcome) VALUES (\(period.id), \(period.client),
            \(period.pathway), \(period.decisionStart?.description), \(period.decisionEnd?.description), \(period.closedAt?.description),
            \(period.outcome))
            """, logger: logger)
        for (sequence, change) in period.phases.enumerated() {
            try await c.query(
                """
                INSERT INTO phase_change (period, sequence, phase, at, by_user) VALUES (\(period.id), \(sequence), \(change.phase),
                \(change.at.description), \(change.by))
                """, logger: logger)
        }
        if period.isOpen { try await setListing(client: period.client, phase: period.currentPhase, decisionEnd: period.decisionEnd, c, logger) }
    }

    /// The client and the last phase's sequence of an open period still in phase `expected` (locked).
    static func openPeriod(_ id: String, expected: String, _ c: PostgresConnection, _ logger: Logger) async throws -> (String, Int) {
        guard let row = try await c.rows("SELECT client, closed_at FROM period WHERE id = \(id) FOR UPDATE", logger).first else {
            throw StoreError(.notFound, "there is no pathway period \(id)", key: "period.notFound", ["period": "\(id)"])
        }
        let (client, closed) = try row.decode((String, String?).self)
        guard closed == nil else { throw StoreError(.conflict, "pathway period \(id) is closed", key: "period.closed", ["period": "\(id)"]) }
        let current = try await c.rows("SELECT sequence, phase FROM phase_change WHERE period = \(id) ORDER BY sequence DESC LIMIT 1", logger).first
            .map { try $0.decode((Int, String).self) }
        guard let current, current.1 == expected else {
            throw StoreError(
                .conflict, "pathway period \(id) is no longer in phase \(expected)", key: "period.moved", ["period": "\(id)", "phase": "\(expected)"])
        }
        return (client, current.0)
    }

    static func insert(_ assessment: StoredAssessment, client: String, position: Int, _ c: PostgresConnection, _ logger: Logger) async throws {
        try await c.query(
            """
            INSERT INTO assessment (client, id, position, assessed_at, assessor, evidence, instrument, checkpoint, period, responses, levels, note)
            VALUES (\(client), \(assessment.id), \(position), \(assessment.assessedAt.description), \(assessment.assessor),
            \(assessment.evidence.rawValue), \(assessment.instrument), \(assessment.checkpoint), \(assessment.period),
            \(PairText.write(assessment.responses.map { ($0.item, $0.value) })), \(PairText.write(assessment.levels.map { ($0.competence, $0.level) })),
            \(assessment.note))
            """, logger: logger)
    }

    static func insert(_ attestation: StoredAttestation, client: String, position: Int, _ c: PostgresConnection, _ logger: Logger) async throws {
        try await c.query(
            """
            INSERT INTO attestation (client, position, badge, by_user, role, at) VALUES (\(client), \(position), \(attestation.badge),
            \(attestation.by), \(attestation.role.rawValue), \(attestation.at.description))
            """, logger: logger)
    }

    static func attestation(_ row: PostgresRow) throws -> (Int, StoredAttestation) {
        let (position, badge, by, role, at) = try row.decode((Int, String, String, String, String).self)
        guard let role = Criterion.Role(rawValue: role) else { throw StoreError(.database, "an attestation has an unknown role \(role)") }
        return (position, StoredAttestation(badge: badge, by: by, role: role, at: try time(at)))
    }

    /// The files of the given clients, in the order given, read with one statement (one snapshot, one round
    /// trip): each client's rows of every table as JSON arrays beside the client's own columns.
    static func files(_ ids: [String], _ c: PostgresConnection, _ logger: Logger) async throws -> [ClientFile] {
        guard !ids.isEmpty else { return [] }
        var byID: [String: ClientFile] = [:]
        let rows =
            ids.count == 1
            ? try await c.execute(ClientFileStatement(id: ids[0]), logger: logger)
            : try await c.execute(ClientFilesStatement(ids: ids), logger: logger)
        for try await row in rows {
            // The credentials' bytes as they are (bytea, binary), in the order of the credentials' JSON: encoding
            // them as base64 text inside that JSON made PostgreSQL spend most of a client page's time.
            let (id, unit, name, contact, language, registered, erased, schema, assessments, attestations, held, periods, credentials, credentialBytes) =
                try row.decode((String, String?, String?, String?, String?, String, String?, String?, String, String, String, String, String, [ByteBuffer]).self)
            let client = StoredClient(
                id: id, unit: unit, displayName: name, contact: contact, language: language.flatMap(Language.init(rawValue:)),
                registeredAt: try time(registered), erasedAt: try erased.map(time), schemaReference: schema)
            var file = ClientFile(client: client, periods: [], assessments: [], attestations: [], heldAwards: [], credentials: [], revocations: [], suspensions: [])
            for fields in try JSONRows(assessments, "assessment") {
                guard let evidence = Evidence(rawValue: try fields.string(3)) else { throw StoreError(.database, "an assessment of \(id) has an unknown evidence kind") }
                file.assessments.append(
                    StoredAssessment(
                        id: try fields.string(0), assessedAt: try time(try fields.string(1)), assessor: try fields.string(2), evidence: evidence,
                        instrument: try fields.optional(4), checkpoint: try fields.optional(5), period: try fields.optional(6),
                        responses: PairText.read(try fields.string(7)) { .init(item: $0, value: $1) },
                        levels: PairText.read(try fields.string(8)) { .init(competence: $0, level: $1) }, note: try fields.optional(9)))
            }
            for fields in try JSONRows(attestations, "attestation") {
                guard let role = Criterion.Role(rawValue: try fields.string(2)) else { throw StoreError(.database, "an attestation of \(id) has an unknown role") }
                file.attestations.append(StoredAttestation(badge: try fields.string(0), by: try fields.string(1), role: role, at: try time(try fields.string(3))))
            }
            for fields in try JSONRows(held, "held award") {
                file.heldAwards.append(
                    HeldAward(
                        badge: try fields.string(0), issuedAt: try time(try fields.string(1)), validUntil: try fields.optional(2).map(time),
                        revoked: try fields.bool(3), credential: try fields.optional(4)))
            }
            for fields in try JSONRows(periods, "period") {
                guard case .array(let changes) = fields.values[6] else { throw StoreError(.database, "a period of \(id) has no phases") }
                file.periods.append(
                    PathwayPeriod(
                        id: try fields.string(0), client: id, pathway: try fields.string(1), decisionStart: try fields.optional(2).map(time),
                        decisionEnd: try fields.optional(3).map(time),
                        phases: try changes.map { change in
                            let change = try JSONRows.Fields(change, "phase")
                            return PhaseChange(phase: try change.string(0), at: try time(try change.string(1)), by: try change.string(2))
                        }, closedAt: try fields.optional(4).map(time), outcome: try fields.optional(5)))
            }
            let credentialRows = Array(try JSONRows(credentials, "credential"))
            guard credentialRows.count == credentialBytes.count else { throw StoreError(.database, "the credentials of \(id) cannot be read") }
            for (fields, bytes) in zip(credentialRows, credentialBytes) {
                let credentialID = try fields.string(0)
                guard let format = CredentialFormat(rawValue: try fields.string(3)), let language = Language(rawValue: try fields.string(8))
                else { throw StoreError(.database, "credential \(credentialID) cannot be read") }
                let list = try fields.int(10), index = try fields.int(11)
                file.credentials.append(
                    IssuedCredential(
                        id: credentialID, badge: try fields.string(1), client: id, recipient: try fields.string(2), format: format, keyID: try fields.optional(4),
                        issuedAt: try time(try fields.string(5)), validUntil: try fields.optional(6).map(time), definitionsDigest: try fields.string(7),
                        language: language, bytes: Array(buffer: bytes), status: list.flatMap { list in index.map { StatusListEntry(list: list, index: $0) } }))
                if let at = try fields.optional(13) {
                    file.revocations.append(Revocation(credentialID: credentialID, reason: try fields.string(12), revokedAt: try time(at), by: try fields.string(14)))
                }
                if let at = try fields.optional(16) {
                    file.suspensions.append(
                        Suspension(credentialID: credentialID, reason: try fields.string(15), suspendedAt: try time(at), by: try fields.string(17)))
                }
            }
            byID[id] = file
        }
        return ids.compactMap { byID[$0] }
    }

}

/// The clients' files in one statement (one snapshot), prepared once per connection: parsing and planning it
/// each time was most of what PostgreSQL did for a client page. One client's file has a statement of its own
/// (`c.id = $1`): PostgreSQL plans `= ANY($1)` anew for every call, its generic plan costed for many ids.
struct ClientFilesStatement: PostgresPreparedStatement {
    static let sql = selection + "FROM client c WHERE c.id = ANY($1)"
    static let selection = """
        SELECT c.id, c.unit, c.display_name, c.contact, c.language, c.registered_at, c.erased_at, c.schema_reference,
          (SELECT coalesce(json_agg(json_build_array(a.id, a.assessed_at, a.assessor, a.evidence, a.instrument, a.checkpoint, a.period,
             a.responses, a.levels, a.note) ORDER BY a.position), '[]') FROM assessment a WHERE a.client = c.id)::text,
          (SELECT coalesce(json_agg(json_build_array(t.badge, t.by_user, t.role, t.at) ORDER BY t.position), '[]')
             FROM attestation t WHERE t.client = c.id)::text,
          (SELECT coalesce(json_agg(json_build_array(h.badge, h.issued_at, h.valid_until, h.revoked, h.credential) ORDER BY h.position), '[]')
             FROM held_award h WHERE h.client = c.id)::text,
          (SELECT coalesce(json_agg(json_build_array(p.id, p.pathway, p.decision_start, p.decision_end, p.closed_at, p.outcome,
             (SELECT coalesce(json_agg(json_build_array(f.phase, f.at, f.by_user) ORDER BY f.sequence), '[]') FROM phase_change f WHERE f.period = p.id))
             ORDER BY p.seq), '[]') FROM period p WHERE p.client = c.id)::text,
          (SELECT coalesce(json_agg(json_build_array(k.id, k.badge, k.recipient, k.format, k.key_id, k.issued_at, k.valid_until, k.definitions_digest,
             k.language, NULL, pl.list, pl.idx, r.reason, r.revoked_at, r.by_user, s.reason,
             s.suspended_at, s.by_user) ORDER BY k.seq), '[]')
             FROM credential k LEFT JOIN status_place pl ON pl.credential = k.id LEFT JOIN revocation r ON r.credential_id = k.id
             LEFT JOIN suspension s ON s.credential_id = k.id WHERE k.client = c.id)::text,
          (SELECT coalesce(array_agg(k.bytes ORDER BY k.seq), '{}') FROM credential k WHERE k.client = c.id)

        """
    var ids: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(ids)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// ``ClientFilesStatement`` for one client.
struct ClientFileStatement: PostgresPreparedStatement {
    static let sql = ClientFilesStatement.selection + "FROM client c WHERE c.id = $1"
    var id: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The rows of one table that `files` reads as a JSON array of arrays.
struct JSONRows: Sequence {
    let rows: [JSONValue]
    let what: String

    init(_ text: String, _ what: String) throws {
        guard case .array(let rows) = try StrictJSON.read(Array(text.utf8)) else { throw StoreError(.database, "the \(what)s cannot be read") }
        self.rows = rows
        self.what = what
    }

    func makeIterator() -> AnyIterator<Fields> {
        var iterator = rows.makeIterator()
        return AnyIterator { iterator.next().map { Fields(unchecked: $0, what) } }
    }

    /// One row's fields, by position.
    struct Fields {
        let values: [JSONValue]
        let what: String

        init(unchecked value: JSONValue, _ what: String) {
            if case .array(let values) = value { self.values = values } else { self.values = [] }
            self.what = what
        }

        init(_ value: JSONValue, _ what: String) throws {
            guard case .array(let values) = value else { throw StoreError(.database, "a \(what) cannot be read") }
            self.values = values
            self.what = what
        }

        func optional(_ index: Int) throws -> String? {
            guard index < values.count else { throw StoreError(.database, "a \(what) has too few fields") }
            switch values[index] {
            case .null: return nil
            case .string(let text): return text
            default: throw StoreError(.database, "a \(what)'s field \(index) is not text")
            }
        }

        func string(_ index: Int) throws -> String {
            guard let text = try optional(index) else { throw StoreError(.database, "a \(what)'s field \(index) is empty") }
            return text
        }

        func int(_ index: Int) throws -> Int? {
            guard index < values.count else { throw StoreError(.database, "a \(what) has too few fields") }
            switch values[index] {
            case .null: return nil
            case .int(let number): return number
            default: throw StoreError(.database, "a \(what)'s field \(index) is not a number")
            }
        }

        func bool(_ index: Int) throws -> Bool {
            guard index < values.count, case .bool(let value) = values[index] else { throw StoreError(.database, "a \(what)'s field \(index) is not true or false") }
            return value
        }
    }
}

extension PostgresConnection {
    /// Every row the query gives.
    func rows(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }

    /// Whether the query gives a row.
    func exists(_ query: PostgresQuery, _ logger: Logger) async throws -> Bool {
        try await !rows(query, logger).isEmpty
    }
}

extension PostgresStore {
    /// Makes an empty database beside the one `url` names and returns its address (for tests and checks
    /// that each want a database of their own).
    package static func makeScratchDatabase(server url: String) async throws -> String {
        let name = "merkisto_scratch_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await onServer(url) { client in try await client.query("CREATE DATABASE \(unescaped: name)") }
        var parts = URLComponents(string: url)!
        parts.path = "/" + name
        return parts.string!
    }

    /// Drops a database ``makeScratchDatabase(server:)`` made, with whatever is still connected to it.
    package static func dropScratchDatabase(_ url: String) async throws {
        guard let parts = URLComponents(string: url), parts.path.hasPrefix("/merkisto_scratch_") else { return }
        try await onServer(url) { client in try await client.query("DROP DATABASE IF EXISTS \(unescaped: String(parts.path.dropFirst())) WITH (FORCE)") }
    }

    static func onServer(_ url: String, _ body: (PostgresClient) async throws -> Void) async throws {
        var parts = URLComponents(string: url)!
        parts.path = "/postgres"
        var logger = Logger(label: "merkisto.postgres")
        logger.logLevel = .error
        let client = PostgresClient(configuration: try configuration(parts.string!).configuration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await body(client)
    }
}
