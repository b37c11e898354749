import Basics
import GRDB

extension SQLiteStore {
    /// The schema's versions. Never edit a registered migration: add the next one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // The award ledger of Merkisto 0.x; kept exactly so that its databases migrate forward.
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
            try db.execute(
                sql: """
                    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        migrator.registerMigration("v2: units, users, clients, pathway periods, assessments, attestations; chained audit log") { db in
            try db.create(table: "unit") { table in
                table.column("id", .text).primaryKey()
                table.column("name", .text).notNull()
            }
            try db.create(table: "client") { table in
                table.column("id", .text).primaryKey()
                table.column("unit", .text).references("unit", onDelete: .restrict).indexed()
                table.column("displayName", .text)
                table.column("contact", .text)
                table.column("language", .text)
                table.column("registeredAt", .text).notNull()
                table.column("erasedAt", .text)
                table.column("schemaReference", .text)
            }
            try db.create(table: "user") { table in
                table.column("id", .text).primaryKey()
                table.column("role", .text).notNull()
                table.column("displayName", .text)
                table.column("client", .text).references("client", onDelete: .restrict).indexed()
                table.column("createdAt", .text).notNull()
            }
            try db.create(table: "unitMember") { table in
                table.column("unit", .text).notNull().references("unit", onDelete: .restrict)
                table.column("user", .text).notNull().references("user", onDelete: .cascade).indexed()
                table.primaryKey(["unit", "user"])
            }
            try db.create(table: "period") { table in
                table.column("id", .text).primaryKey()
                table.column("client", .text).notNull().references("client", onDelete: .restrict).indexed()
                table.column("pathway", .text).notNull()
                table.column("decisionStart", .text)
                table.column("decisionEnd", .text)
                table.column("closedAt", .text)
                table.column("outcome", .text)
            }
            try db.create(table: "phaseChange") { table in
                table.column("period", .text).notNull().references("period", onDelete: .cascade)
                table.column("sequence", .integer).notNull()
                table.column("phase", .text).notNull()
                table.column("at", .text).notNull()
                table.column("by", .text).notNull()
                table.primaryKey(["period", "sequence"])
            }
            try db.create(table: "assessment") { table in
                table.column("client", .text).notNull().references("client", onDelete: .restrict)
                table.column("id", .text).notNull()
                table.column("position", .integer).notNull()
                table.column("assessedAt", .text).notNull()
                table.column("assessor", .text).notNull()
                table.column("evidence", .text).notNull()
                table.column("instrument", .text)
                table.column("checkpoint", .text)
                table.column("period", .text)
                table.column("responses", .text).notNull()
                table.column("levels", .text).notNull()
                table.column("note", .text)
                table.primaryKey(["client", "id"])
            }
            try db.create(table: "attestation") { table in
                table.column("client", .text).notNull().references("client", onDelete: .restrict)
                table.column("position", .integer).notNull()
                table.column("badge", .text).notNull()
                table.column("by", .text).notNull()
                table.column("role", .text).notNull()
                table.column("at", .text).notNull()
                table.primaryKey(["client", "position"])
            }
            try db.create(table: "heldAward") { table in
                table.column("client", .text).notNull().references("client", onDelete: .restrict)
                table.column("position", .integer).notNull()
                table.column("badge", .text).notNull()
                table.column("issuedAt", .text).notNull()
                table.column("validUntil", .text)
                table.column("revoked", .boolean).notNull()
                table.column("credential", .text)
                table.primaryKey(["client", "position"])
            }
            try db.alter(table: "credential") { table in
                table.add(column: "language", .text).notNull().defaults(to: "fi")
            }
            try db.alter(table: "revocation") { table in
                table.add(column: "by", .text).notNull().defaults(to: "cli")
            }
            // Chain the audit entries the ledger already has, then keep the log append-only again.
            try db.execute(sql: "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete")
            try db.alter(table: "audit") { table in
                table.add(column: "previous", .text).notNull().defaults(to: "")
                table.add(column: "hash", .text).notNull().defaults(to: "")
            }
            var previous = AuditEntry.genesis
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY sequence") {
                let at: String = row["at"]
                guard case .success(let time) = Timestamp.parse(at) else {
                    throw StoreError(.database, "audit entry \(row["sequence"] as Int64) has no valid time; the ledger cannot be migrated")
                }
                let entry = AuditEntry.withoutDigest(
                    sequence: row["sequence"], at: time, actor: row["actor"], action: row["action"], subject: row["subject"],
                    detail: row["detail"], previous: previous)
                try db.execute(
                    sql: "UPDATE audit SET previous = ?, hash = ? WHERE sequence = ?", arguments: [entry.previous, entry.hash, entry.sequence])
                previous = entry.hash
            }
            try db.execute(
                sql: """
                    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        // Credentials of one badge, format, key and language share most of their bytes (the constant start
        // of a payload template): keep that part once and only the rest with each credential.
        migrator.registerMigration("v3: shared credential prefixes") { db in
            try db.create(table: "credentialPrefix") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("groupKey", .text).notNull().indexed()
                table.column("bytes", .blob).notNull()
            }
            try db.alter(table: "credential") { table in
                table.add(column: "prefix", .integer).references("credentialPrefix", onDelete: .restrict)
            }
        }
        // API tokens for integrations: the SHA-256 of the secret only.
        migrator.registerMigration("v4: API tokens") { db in
            try db.create(table: "apiToken") { table in
                table.primaryKey("id", .text)
                table.column("user", .text).notNull().indexed().references("user", onDelete: .restrict)
                table.column("name", .text).notNull()
                table.column("scopes", .text).notNull()
                table.column("secretHash", .text).notNull()
                table.column("createdAt", .text).notNull()
                table.column("expiresAt", .text)
                table.column("revokedAt", .text)
            }
        }
        // Sign-in: a bcrypt password hash per user, and sessions by the SHA-256 of their token.
        migrator.registerMigration("v5: passwords and sessions") { db in
            try db.alter(table: "user") { table in
                table.add(column: "passwordHash", .text)
            }
            try db.create(table: "session") { table in
                table.primaryKey("id", .text)
                table.column("user", .text).notNull().indexed().references("user", onDelete: .restrict)
                table.column("csrf", .text).notNull()
                table.column("createdAt", .text).notNull()
                table.column("expiresAt", .text).notNull()
            }
        }
        // One-time sign-in codes for client users: the SHA-256 of the code only.
        migrator.registerMigration("v6: one-time sign-in codes") { db in
            try db.create(table: "signInCode") { table in
                table.primaryKey("id", .text)
                table.column("user", .text).notNull().indexed().references("user", onDelete: .restrict)
                table.column("createdBy", .text).notNull()
                table.column("createdAt", .text).notNull()
                table.column("expiresAt", .text).notNull()
                table.column("usedAt", .text)
            }
        }
        // W3C Bitstring Status Lists: places handed out (a credential's once it is recorded), suspensions in
        // force, and a row per change of a credential's status (its time dates the published lists).
        migrator.registerMigration("v7: status lists and suspensions") { db in
            try db.create(table: "statusPlace") { table in
                table.column("list", .integer).notNull()
                table.column("idx", .integer).notNull()
                table.column("reservedAt", .text).notNull()
                table.column("credential", .text).unique().references("credential", onDelete: .restrict)
                table.primaryKey(["list", "idx"])
            }
            try db.create(table: "suspension") { table in
                table.column("credentialID", .text).primaryKey().references("credential", onDelete: .restrict)
                table.column("reason", .text).notNull()
                table.column("suspendedAt", .text).notNull()
                table.column("by", .text).notNull()
            }
            try db.create(table: "statusChange") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("at", .text).notNull()
            }
        }
        // Audit details by digest (docs/decisions/0007): an entry's hash covers the SHA-256 of its detail, so
        // that erasing a client can remove the details that describe them and the chain still verifies. The
        // log is chained again that way when it verifies as it stands (an entry names the old head, so an
        // anchor written down elsewhere still leads here); a log that does not verify is left as it is, for
        // `merkisto audit verify` to show. Only a detail may change afterwards, and only to be redacted.
        migrator.registerMigration("v8: audit details by digest, redactable") { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete")
            try db.alter(table: "audit") { table in
                table.add(column: "detailDigest", .text)
                table.add(column: "redacted", .boolean).notNull().defaults(to: false)
            }
            let old = try AuditEntry.order(Column("sequence")).fetchAll(db)
            if !old.isEmpty, AuditVerification(checking: old).isIntact {
                var previous = AuditEntry.genesis
                for entry in old {
                    let chained = AuditEntry(
                        sequence: entry.sequence, at: entry.at, actor: entry.actor, action: entry.action, subject: entry.subject,
                        detail: entry.detail, previous: previous)
                    try db.execute(
                        sql: "UPDATE audit SET detailDigest = ?, previous = ?, hash = ? WHERE sequence = ?",
                        arguments: [chained.detailDigest, chained.previous, chained.hash, chained.sequence])
                    previous = chained.hash
                }
                try SQLiteStore.audit(
                    db, at: old[old.count - 1].at, actor: "merkisto",
                    AuditChange(action: "audit.rechain", subject: "audit", detail: "\(old.count) entries chained by detail digests; the head was \(old[old.count - 1].hash)"),
                    mentions: false)
            }
            try db.execute(
                sql: """
                    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                    WHEN NEW.sequence IS NOT OLD.sequence OR NEW.at IS NOT OLD.at OR NEW.actor IS NOT OLD.actor OR NEW.action IS NOT OLD.action
                      OR NEW.subject IS NOT OLD.subject OR NEW.previous IS NOT OLD.previous OR NEW.hash IS NOT OLD.hash
                      OR NEW.detailDigest IS NOT OLD.detailDigest OR OLD.detailDigest IS NULL OR NEW.redacted IS NOT 1
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: only a detail may be redacted'); END;
                    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """)
        }
        // Share links clients turn on for their credentials.
        migrator.registerMigration("v9: share links") { db in
            try db.create(table: "share") { table in
                table.primaryKey("token", .text)
                table.column("credential", .text).notNull().unique().references("credential", onDelete: .cascade)
                table.column("client", .text).notNull().indexed()
                table.column("createdAt", .text).notNull()
            }
        }
        // Definition sets by digest (their files as a zip), and the one in use.
        migrator.registerMigration("v10: definitions versions") { db in
            try db.create(table: "definitionsVersion") { table in
                table.primaryKey("digest", .text)
                table.column("files", .integer).notNull()
                table.column("uploadedBy", .text).notNull()
                table.column("uploadedAt", .text).notNull()
                table.column("archive", .blob).notNull()
            }
            try db.create(table: "definitionsActive") { table in
                table.primaryKey("id", .integer).check { $0 == 1 }
                table.column("digest", .text).notNull().references("definitionsVersion", onDelete: .restrict)
            }
        }
        // Failed sign-ins by throttle key, so that the counts outlive a restart (microseconds since 1970).
        migrator.registerMigration("v11: sign-in failures") { db in
            try db.create(table: "signInFailure") { table in
                table.primaryKey("key", .text)
                table.column("failures", .integer).notNull()
                table.column("first", .integer).notNull().indexed()
                table.column("last", .integer).notNull()
            }
        }
        // Wallet exchanges (VC-API): the SHA-256 of each secret, times in microseconds since 1970.
        migrator.registerMigration("v12: wallet exchanges") { db in
            try db.create(table: "walletExchange") { table in
                table.primaryKey("id", .text)
                table.column("client", .text).notNull().indexed()
                table.column("badge", .text).notNull()
                table.column("challenge", .text).notNull()
                table.column("createdAt", .integer).notNull()
                table.column("expiresAt", .integer).notNull().indexed()
                table.column("completedAt", .integer)
            }
        }
        // OAuth 2.0 for the Open Badges 3.0 API: each record as JSON beside the columns it is found by;
        // secrets (client secrets, codes, tokens) only as their SHA-256.
        migrator.registerMigration("v13: oauth") { db in
            try db.create(table: "oauthClient") { table in
                table.primaryKey("id", .text)
                table.column("createdAt", .integer).notNull().indexed()
                table.column("doc", .text).notNull()
            }
            try db.create(table: "oauthGrant") { table in
                table.primaryKey("id", .text)
                table.column("client", .text).notNull().indexed()
                table.column("service", .text).notNull().indexed()
                table.column("doc", .text).notNull()
            }
            try db.create(table: "oauthToken") { table in
                table.primaryKey("hash", .text)
                table.column("grantID", .text).notNull().indexed()
                table.column("origin", .text).indexed()
                table.column("expiresAt", .integer).notNull().indexed()
                table.column("doc", .text).notNull()
            }
        }
        // Client lists a page at a time (keyset paging): the open period's current phase and decision end
        // (microseconds since 1970; none sorts last) beside the client, with an index for each filter and order.
        migrator.registerMigration("v14: client lists") { db in
            try db.alter(table: "client") { table in
                table.add(column: "openPhase", .text)
                table.add(column: "openDue", .integer).notNull().defaults(to: Int64.max)
            }
            try db.execute(
                sql: """
                    CREATE INDEX client_unit_id ON client (unit, id);
                    CREATE INDEX client_phase_id ON client (openPhase, id) WHERE openPhase IS NOT NULL;
                    CREATE INDEX client_due_id ON client (openDue, id);
                    CREATE INDEX client_unit_due_id ON client (unit, openDue, id);
                    """)
            let open = try Row.fetchAll(
                db,
                sql: """
                    SELECT period.client, period.decisionEnd,
                      (SELECT phase FROM phaseChange WHERE phaseChange.period = period.id ORDER BY sequence DESC LIMIT 1)
                    FROM period WHERE closedAt IS NULL
                    """)
            for row in open {
                let decisionEnd: Timestamp? = row[1]
                try SQLiteStore.setListing(client: row[0], phase: row[2] as String?, decisionEnd: decisionEnd, db)
            }
        }
        // Which audit entries name which client or user (AuditEntry.mentions): erasing a client reads these
        // entries only, not the whole log while every other write waits.
        migrator.registerMigration("v15: audit mentions") { db in
            try db.execute(sql: "CREATE TABLE auditMention (name TEXT NOT NULL, sequence INTEGER NOT NULL, PRIMARY KEY (name, sequence)) WITHOUT ROWID")
            let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO auditMention (name, sequence) VALUES (?, ?)")
            let entries = try AuditEntry.fetchCursor(db, sql: "SELECT * FROM audit ORDER BY sequence")
            while let entry = try entries.next() {
                for name in entry.mentions { try insert.execute(arguments: [name, entry.sequence]) }
            }
        }
        return migrator
    }
}
