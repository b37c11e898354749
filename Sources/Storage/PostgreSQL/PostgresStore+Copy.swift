import Basics
import Foundation
import Logging
import NIOCore
import PostgresNIO

extension PostgresStore: CopyableStore {
    public func dump() async throws(StoreError) -> StoreDump {
        try await snapshot { c in
            var dump = StoreDump()
            dump.units = try await c.rows("SELECT id, name FROM unit ORDER BY id", logger).map { row in
                let (id, name) = try row.decode((String, String).self)
                return ActivityUnit(id: id, name: name)
            }
            var units: [String: [String]] = [:]
            for row in try await c.rows("SELECT unit, member FROM unit_member ORDER BY unit", logger) {
                let (unit, member) = try row.decode((String, String).self)
                units[member, default: []].append(unit)
            }
            for row in try await c.rows("SELECT id, role, display_name, client, created_at, password_hash FROM app_user ORDER BY id", logger) {
                let (id, role, name, client, created, hash) = try row.decode((String, String, String?, String?, String, String?).self)
                guard let role = User.Role(rawValue: role) else { throw StoreError(.database, "user \(id) has an unknown role") }
                dump.users.append((User(id: id, role: role, displayName: name, client: client, createdAt: try Self.time(created), units: units[id] ?? []), hash))
            }
            let ids = try await c.rows("SELECT id FROM client ORDER BY id", logger).map { try $0.decode(String.self) }
            dump.files = try await Self.files(ids, c, logger).map { file in
                var file = file
                (file.credentials, file.revocations, file.suspensions) = ([], [], [])
                return file
            }
            dump.credentials = try await c.rows("\(unescaped: Self.credentialSelection) ORDER BY k.seq", logger).map(Self.credential)
            dump.places = try await c.rows("SELECT list, idx, reserved_at FROM status_place ORDER BY seq", logger).map { row in
                let (list, index, at) = try row.decode((Int, Int, String).self)
                return (StatusListEntry(list: list, index: index), try Self.time(at))
            }
            dump.revocations = try await c.rows("SELECT credential_id, reason, revoked_at, by_user FROM revocation ORDER BY seq", logger).map(Self.revocation)
            dump.suspensions = try await c.rows("SELECT credential_id, reason, suspended_at, by_user FROM suspension ORDER BY seq", logger).map { row in
                let (id, reason, at, by) = try row.decode((String, String, String, String).self)
                return Suspension(credentialID: id, reason: reason, suspendedAt: try Self.time(at), by: by)
            }
            dump.statusChanges = try await c.rows("SELECT at FROM status_change ORDER BY sequence", logger).map { try Self.time(try $0.decode(String.self)) }
            dump.tokens = try await c.rows("SELECT \(unescaped: Self.tokenColumns) FROM api_token ORDER BY seq", logger).map(Self.token)
            dump.shares = try await c.rows("SELECT token, credential, client, created_at FROM share ORDER BY created_at, token", logger).map(Self.share)
            dump.definitions = try await c.rows(
                "SELECT digest, files, uploaded_by, uploaded_at, archive FROM definitions_version ORDER BY uploaded_at, seq", logger
            ).map { row in
                let (digest, files, by, at, archive) = try row.decode((String, Int, String, String, ByteBuffer).self)
                return (DefinitionsVersion(digest: digest, files: files, uploadedBy: by, uploadedAt: try Self.time(at)), Array(buffer: archive))
            }
            dump.activeDefinitions = try await c.rows("SELECT digest FROM definitions_active WHERE id = 1", logger).first?.decode(String.self)
            dump.audit = try await Self.auditEntries("", c, logger)
            return dump
        }
    }

    public func load(_ dump: StoreDump) async throws(StoreError) {
        try await write { c in
            for unit in dump.units { try await c.query("INSERT INTO unit (id, name) VALUES (\(unit.id), \(unit.name))", logger: logger) }
            for file in dump.files {
                try await Self.insertClient(file.client, c, logger)
                for period in file.periods { try await Self.insertPeriod(period, c, logger) }
                for (position, assessment) in file.assessments.enumerated() { try await Self.insert(assessment, client: file.client.id, position: position, c, logger) }
                for (position, attestation) in file.attestations.enumerated() {
                    try await Self.insert(attestation, client: file.client.id, position: position, c, logger)
                }
                for (position, award) in file.heldAwards.enumerated() {
                    try await c.query(
                        """
                        INSERT INTO held_award (client, position, badge, issued_at, valid_until, revoked, credential) VALUES (\(file.client.id), \(position),
                        \(award.badge), \(award.issuedAt.description), \(award.validUntil?.description), \(award.revoked), \(award.credential))
                        """, logger: logger)
                }
            }
            for (user, hash) in dump.users {
                try await c.query(
                    """
                    INSERT INTO app_user (id, role, display_name, client, created_at, password_hash) VALUES (\(user.id), \(user.role.rawValue),
                    \(user.displayName), \(user.client), \(user.createdAt.description), \(hash))
                    """, logger: logger)
                for unit in user.units { try await c.query("INSERT INTO unit_member (unit, member) VALUES (\(unit), \(user.id))", logger: logger) }
            }
            for credential in dump.credentials {
                try await c.query(
                    """
                    INSERT INTO credential (id, badge, client, recipient, format, key_id, issued_at, valid_until, definitions_digest, language, bytes)
                    VALUES (\(credential.id), \(credential.badge), \(credential.client), \(credential.recipient), \(credential.format.rawValue),
                    \(credential.keyID), \(credential.issuedAt.description), \(credential.validUntil?.description), \(credential.definitionsDigest),
                    \(credential.language.rawValue), \(ByteBuffer(bytes: credential.bytes)))
                    """, logger: logger)
                // The slot holds the latest of each client, badge and format (validity is read from it).
                try await c.query(
                    """
                    INSERT INTO award_slot (client, badge, format, credential) VALUES (\(credential.client), \(credential.badge),
                    \(credential.format.rawValue), \(credential.id)) ON CONFLICT (client, badge, format) DO UPDATE SET credential = excluded.credential
                    """, logger: logger)
            }
            let bound = Dictionary(dump.credentials.compactMap { credential in credential.status.map { ($0, credential.id) } }, uniquingKeysWith: { first, _ in first })
            for (entry, reservedAt) in dump.places {
                try await c.query(
                    "INSERT INTO status_place (list, idx, reserved_at, credential) VALUES (\(entry.list), \(entry.index), \(reservedAt.description), \(bound[entry]))",
                    logger: logger)
            }
            for revocation in dump.revocations {
                try await c.query(
                    """
                    INSERT INTO revocation (credential_id, reason, revoked_at, by_user) VALUES (\(revocation.credentialID), \(revocation.reason),
                    \(revocation.revokedAt.description), \(revocation.by))
                    """, logger: logger)
            }
            for suspension in dump.suspensions {
                try await c.query(
                    """
                    INSERT INTO suspension (credential_id, reason, suspended_at, by_user) VALUES (\(suspension.credentialID), \(suspension.reason),
                    \(suspension.suspendedAt.description), \(suspension.by))
                    """, logger: logger)
            }
            for time in dump.statusChanges { try await c.query("INSERT INTO status_change (at) VALUES (\(time.description))", logger: logger) }
            for token in dump.tokens {
                try await c.query(
                    """
                    INSERT INTO api_token (id, owner, name, scopes, secret_hash, created_at, expires_at, revoked_at) VALUES (\(token.id), \(token.user),
                    \(token.name), \(token.scopes.map(\.rawValue).joined(separator: " ")), \(token.secretHash), \(token.createdAt.description),
                    \(token.expiresAt?.description), \(token.revokedAt?.description))
                    """, logger: logger)
            }
            for share in dump.shares {
                try await c.query(
                    "INSERT INTO share (token, credential, client, created_at) VALUES (\(share.token), \(share.credential), \(share.client), \(share.createdAt.description))",
                    logger: logger)
            }
            for (version, archive) in dump.definitions {
                try await c.query(
                    """
                    INSERT INTO definitions_version (digest, files, uploaded_by, uploaded_at, archive) VALUES (\(version.digest), \(version.files),
                    \(version.uploadedBy), \(version.uploadedAt.description), \(ByteBuffer(bytes: archive)))
                    """, logger: logger)
            }
            if let active = dump.activeDefinitions { try await c.query("INSERT INTO definitions_active (id, digest) VALUES (1, \(active))", logger: logger) }
            for entry in dump.audit { try await Self.insert(entry, c, logger) }
            if let last = dump.audit.last {
                try await c.query("UPDATE audit_head SET sequence = \(last.sequence), hash = \(last.hash) WHERE id = 1", logger: logger)
            }
        }
    }

    public func isEmpty() async throws(StoreError) -> Bool {
        try await read { c in
            try await c.rows("SELECT (SELECT count(*) FROM audit) + (SELECT count(*) FROM client) + (SELECT count(*) FROM credential)", logger).first?
                .decode(Int.self) == 0
        }
    }
}
