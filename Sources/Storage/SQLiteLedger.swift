import Foundation
import GRDB

/// The award ledger in SQLite (through GRDB): WAL mode, full synchronous commits, versioned migrations.
public final class SQLiteLedger: AwardLedger, @unchecked Sendable {
    // GRDB database writers serialise access themselves.
    private let writer: any DatabaseWriter

    /// Opens (creating on first use) the ledger at a path.
    public init(path: String) throws(LedgerError) {
        do {
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            let pool = try DatabasePool(path: path, configuration: configuration)
            writer = pool
            try Self.migrator.migrate(pool)
        } catch {
            throw LedgerError(code: .database, message: "cannot open the ledger \(path): \(Self.describe(error))")
        }
    }

    /// An in-memory ledger, for tests.
    public init() throws(LedgerError) {
        do {
            let queue = try DatabaseQueue()
            writer = queue
            try Self.migrator.migrate(queue)
        } catch {
            throw LedgerError(code: .database, message: "cannot create an in-memory ledger: \(Self.describe(error))")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: credentials, revocations, audit log") { db in
            try db.create(table: "credential") { table in
                table.column("id", .text).primaryKey()
                table.column("badge", .text).notNull().indexed()
                table.column("client", .text).notNull().indexed()
                table.column("recipient", .text).notNull()
                table.column("format", .text).notNull()
                table.column("keyID", .text)
                table.column("issuedAt", .text).notNull()
                table.column("validUntil", .text)
                table.column("definitionsDigest", .text).notNull()
                table.column("bytes", .blob).notNull()
            }
            try db.create(table: "revocation") { table in
                table.column("credentialID", .text).primaryKey().references("credential", onDelete: .restrict)
                table.column("reason", .text).notNull()
                table.column("revokedAt", .text).notNull()
            }
            try db.create(table: "audit") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("at", .text).notNull()
                table.column("actor", .text).notNull()
                table.column("action", .text).notNull()
                table.column("subject", .text).notNull()
                table.column("detail", .text).notNull()
            }
            // The audit log is append-only.
            try db.execute(
                sql: """
                    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        return migrator
    }

    public func record(_ credential: IssuedCredential, actor: String) throws(LedgerError) {
        do {
            try writer.write { db in
                if try Row.fetchOne(db, sql: "SELECT 1 FROM credential WHERE id = ?", arguments: [credential.id]) != nil {
                    throw LedgerError(code: .duplicate, message: "credential \(credential.id) is already in the ledger")
                }
                try db.execute(
                    sql: """
                        INSERT INTO credential (id, badge, client, recipient, format, keyID, issuedAt, validUntil, definitionsDigest, bytes)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        credential.id, credential.badge, credential.client, credential.recipient, credential.format, credential.keyID,
                        credential.issuedAt, credential.validUntil, credential.definitionsDigest, Data(credential.bytes),
                    ])
                try Self.audit(db, at: credential.issuedAt, actor: actor, action: "issue", subject: credential.id,
                    detail: "\(credential.badge) \(credential.format) for \(credential.client)")
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(code: .database, message: "cannot record the credential: \(Self.describe(error))")
        }
    }

    public func credential(id: String) throws(LedgerError) -> IssuedCredential? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM credential WHERE id = ?", arguments: [id]).map(Self.credential) }
    }

    public func credentials() throws(LedgerError) -> [IssuedCredential] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM credential ORDER BY issuedAt, id").map(Self.credential) }
    }

    public func revoke(id: String, reason: String, at time: String, actor: String) throws(LedgerError) -> Revocation {
        do {
            return try writer.write { db in
                guard try Row.fetchOne(db, sql: "SELECT 1 FROM credential WHERE id = ?", arguments: [id]) != nil else {
                    throw LedgerError(code: .notFound, message: "there is no credential \(id) in the ledger")
                }
                if try Row.fetchOne(db, sql: "SELECT 1 FROM revocation WHERE credentialID = ?", arguments: [id]) != nil {
                    throw LedgerError(code: .alreadyRevoked, message: "credential \(id) is already revoked")
                }
                try db.execute(
                    sql: "INSERT INTO revocation (credentialID, reason, revokedAt) VALUES (?, ?, ?)", arguments: [id, reason, time])
                try Self.audit(db, at: time, actor: actor, action: "revoke", subject: id, detail: reason)
                return Revocation(credentialID: id, reason: reason, revokedAt: time)
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(code: .database, message: "cannot revoke: \(Self.describe(error))")
        }
    }

    public func revocations() throws(LedgerError) -> [Revocation] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM revocation ORDER BY revokedAt, credentialID").map {
                Revocation(credentialID: $0["credentialID"], reason: $0["reason"], revokedAt: $0["revokedAt"])
            }
        }
    }

    public func auditLog() throws(LedgerError) -> [AuditEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY sequence").map {
                AuditEntry(at: $0["at"], actor: $0["actor"], action: $0["action"], subject: $0["subject"], detail: $0["detail"])
            }
        }
    }

    // MARK: Helpers

    private func read<T>(_ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try writer.read(body)
        } catch {
            throw LedgerError(code: .database, message: "cannot read the ledger: \(Self.describe(error))")
        }
    }

    private static func audit(_ db: Database, at: String, actor: String, action: String, subject: String, detail: String) throws {
        try db.execute(
            sql: "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [at, actor, action, subject, detail])
    }

    private static func credential(_ row: Row) -> IssuedCredential {
        IssuedCredential(
            id: row["id"], badge: row["badge"], client: row["client"], recipient: row["recipient"], format: row["format"],
            keyID: row["keyID"], issuedAt: row["issuedAt"], validUntil: row["validUntil"], definitionsDigest: row["definitionsDigest"],
            bytes: [UInt8]((row["bytes"] as Data?) ?? Data()))
    }

    /// GRDB errors hide statement arguments by default; keep only the SQLite message.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode)" }
        return "\(error)"
    }
}
