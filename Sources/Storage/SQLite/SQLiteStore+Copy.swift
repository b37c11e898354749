import Basics
import Foundation
import GRDB

extension SQLiteStore: CopyableStore {
    public func dump() async throws(StoreError) -> StoreDump {
        try await read { db in
            var dump = StoreDump()
            dump.units = try ActivityUnit.order(Column("id")).fetchAll(db)
            let members = try UnitMember.order(Column("unit")).fetchAll(db)
            for row in try Row.fetchAll(db, sql: "SELECT id, passwordHash FROM user ORDER BY id") {
                guard let user = try UserRow.fetchOne(db, key: row["id"] as String) else { continue }
                dump.users.append((user.user(units: members.filter { $0.user == user.id }.map(\.unit)), row["passwordHash"]))
            }
            let clients = try StoredClient.order(Column("id")).fetchAll(db)
            dump.files = try Self.files(of: clients, db).map { file in
                var file = file
                (file.credentials, file.revocations, file.suspensions) = ([], [], [])
                return file
            }
            dump.credentials = try CredentialRow.fetchAll(db, sql: CredentialRow.selection + " ORDER BY credential.rowid").map(\.credential)
            dump.places = try Row.fetchAll(db, sql: "SELECT list, idx, reservedAt FROM statusPlace ORDER BY rowid").map {
                (StatusListEntry(list: $0[0], index: $0[1]), $0[2] as Timestamp)
            }
            dump.revocations = try Revocation.order(Column("rowid")).fetchAll(db)
            dump.suspensions = try Suspension.order(Column("rowid")).fetchAll(db)
            dump.statusChanges = try Timestamp.fetchAll(db, sql: "SELECT at FROM statusChange ORDER BY sequence")
            dump.tokens = try TokenRow.order(Column("rowid")).fetchAll(db).map(\.token)
            dump.shares = try ShareRow.order(Column("rowid")).fetchAll(db).map(\.share)
            dump.definitions = try DefinitionsVersionRow.order(Column("uploadedAt"), Column("rowid")).fetchAll(db).map { row in
                (DefinitionsVersion(digest: row.digest, files: row.files, uploadedBy: row.uploadedBy, uploadedAt: row.uploadedAt), Array(row.archive))
            }
            dump.activeDefinitions = try String.fetchOne(db, sql: "SELECT digest FROM definitionsActive WHERE id = 1")
            dump.audit = try AuditEntry.order(Column("sequence")).fetchAll(db)
            return dump
        }
    }

    public func load(_ dump: StoreDump) async throws(StoreError) {
        try await write { db in
            for unit in dump.units { try unit.insert(db) }
            for file in dump.files {
                try Self.insertClient(file.client, db)
                for period in file.periods { try Self.insertPeriod(period, db) }
                for (position, assessment) in file.assessments.enumerated() { try AssessmentRow(assessment, client: file.client.id, position: position).insertCached(db) }
                for (position, attestation) in file.attestations.enumerated() {
                    try AttestationRow(attestation, client: file.client.id, position: position).insertCached(db)
                }
                for (position, award) in file.heldAwards.enumerated() { try HeldAwardRow(award, client: file.client.id, position: position).insertCached(db) }
            }
            for (user, hash) in dump.users {
                try UserRow(user).insert(db)
                try db.execute(sql: "UPDATE user SET passwordHash = ? WHERE id = ?", arguments: [hash, user.id])
                for unit in user.units { try UnitMember(unit: unit, user: user.id).insert(db) }
            }
            for (entry, reservedAt) in dump.places {
                try db.execute(sql: "INSERT INTO statusPlace (list, idx, reservedAt) VALUES (?, ?, ?)", arguments: [entry.list, entry.index, reservedAt])
            }
            for credential in dump.credentials { try CredentialRow.insert(credential, prefix: nil, db) }
            for revocation in dump.revocations { try revocation.insert(db) }
            for suspension in dump.suspensions { try suspension.insert(db) }
            for time in dump.statusChanges { try db.execute(sql: "INSERT INTO statusChange (at) VALUES (?)", arguments: [time]) }
            for token in dump.tokens { try TokenRow(token).insert(db) }
            for share in dump.shares { try ShareRow(share).insert(db) }
            for (version, archive) in dump.definitions { try DefinitionsVersionRow(version, archive: archive).insert(db) }
            if let active = dump.activeDefinitions { try db.execute(sql: "INSERT INTO definitionsActive (id, digest) VALUES (1, ?)", arguments: [active]) }
            for entry in dump.audit { try entry.insertCached(db) }
        }
    }

    public func isEmpty() async throws(StoreError) -> Bool {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM audit) + (SELECT count(*) FROM client) + (SELECT count(*) FROM credential)") == 0
        }
    }

    /// Writes a consistent copy of the database to `path` while it stays in use (SQLite's online backup).
    public func backup(to path: String) throws(StoreError) {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError(.conflict, "\(path) exists already: choose a new file") }
        do {
            let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if descriptor >= 0 { close(descriptor) }
            let target = try DatabaseQueue(path: path)
            try writer.backup(to: target)
            try target.close()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw StoreError(.database, "cannot back up to \(path): \(Self.describe(error, path: path))")
        }
    }
}
