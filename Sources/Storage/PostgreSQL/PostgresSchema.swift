import Logging
import PostgresNIO

/// The PostgreSQL schema's versions, applied in order by ``PostgresStore`` under an advisory lock (servers
/// that start together migrate once). Never edit a registered migration: add the next one.
///
/// Instants are RFC 3339 text in the offset they were written with, as in SQLite, so that a copy between
/// the stores gives back the same text (the audit chain's hashes cover it). `seq` columns keep the order
/// rows were written in.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        var statements: [String]
        /// Work after the statements, in the same transaction (rows computed in Swift).
        var then: (@Sendable (PostgresConnection, Logger) async throws -> Void)? = nil
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "the whole store",
            statements: [
                "CREATE TABLE unit (id text PRIMARY KEY, name text NOT NULL)",
                """
                CREATE TABLE client (id text PRIMARY KEY, unit text REFERENCES unit, display_name text, contact text, language text,
                  registered_at text NOT NULL, erased_at text, schema_reference text)
                """,
                "CREATE INDEX client_unit ON client (unit)",
                """
                CREATE TABLE app_user (id text PRIMARY KEY, role text NOT NULL, display_name text, client text REFERENCES client,
                  created_at text NOT NULL, password_hash text)
                """,
                "CREATE INDEX app_user_client ON app_user (client)",
                """
                CREATE TABLE unit_member (unit text NOT NULL REFERENCES unit, member text NOT NULL REFERENCES app_user ON DELETE CASCADE,
                  PRIMARY KEY (unit, member))
                """,
                """
                CREATE TABLE period (seq bigserial UNIQUE, id text PRIMARY KEY, client text NOT NULL REFERENCES client, pathway text NOT NULL,
                  decision_start text, decision_end text, closed_at text, outcome text)
                """,
                "CREATE INDEX period_client ON period (client)",
                // One open period per client, whichever server starts it.
                "CREATE UNIQUE INDEX period_open ON period (client) WHERE closed_at IS NULL",
                """
                CREATE TABLE phase_change (period text NOT NULL REFERENCES period ON DELETE CASCADE, sequence integer NOT NULL,
                  phase text NOT NULL, at text NOT NULL, by_user text NOT NULL, PRIMARY KEY (period, sequence))
                """,
                """
                CREATE TABLE assessment (client text NOT NULL REFERENCES client, id text NOT NULL, position integer NOT NULL,
                  assessed_at text NOT NULL, assessor text NOT NULL, evidence text NOT NULL, instrument text, checkpoint text, period text,
                  responses text NOT NULL, levels text NOT NULL, note text, PRIMARY KEY (client, id), UNIQUE (client, position))
                """,
                """
                CREATE TABLE attestation (client text NOT NULL REFERENCES client, position integer NOT NULL, badge text NOT NULL,
                  by_user text NOT NULL, role text NOT NULL, at text NOT NULL, PRIMARY KEY (client, position))
                """,
                """
                CREATE TABLE held_award (client text NOT NULL REFERENCES client, position integer NOT NULL, badge text NOT NULL,
                  issued_at text NOT NULL, valid_until text, revoked boolean NOT NULL, credential text, PRIMARY KEY (client, position))
                """,
                """
                CREATE TABLE credential (seq bigserial UNIQUE, id text PRIMARY KEY, badge text NOT NULL, client text NOT NULL,
                  recipient text NOT NULL, format text NOT NULL, key_id text, issued_at text NOT NULL, valid_until text,
                  definitions_digest text NOT NULL, language text NOT NULL, bytes bytea NOT NULL)
                """,
                "CREATE INDEX credential_client ON credential (client, seq)",
                // The credential a client holds of a badge in a format: one row each, so that two servers
                // awarding the same badge at once meet here (the second waits for the first, then is refused).
                """
                CREATE TABLE award_slot (client text NOT NULL, badge text NOT NULL, format text NOT NULL,
                  credential text NOT NULL REFERENCES credential, PRIMARY KEY (client, badge, format))
                """,
                """
                CREATE TABLE revocation (seq bigserial UNIQUE, credential_id text PRIMARY KEY REFERENCES credential, reason text NOT NULL,
                  revoked_at text NOT NULL, by_user text NOT NULL)
                """,
                """
                CREATE TABLE suspension (seq bigserial UNIQUE, credential_id text PRIMARY KEY REFERENCES credential, reason text NOT NULL,
                  suspended_at text NOT NULL, by_user text NOT NULL)
                """,
                """
                CREATE TABLE status_place (seq bigserial UNIQUE, list integer NOT NULL, idx integer NOT NULL, reserved_at text NOT NULL,
                  credential text UNIQUE REFERENCES credential, PRIMARY KEY (list, idx))
                """,
                "CREATE TABLE status_change (sequence bigserial PRIMARY KEY, at text NOT NULL)",
                """
                CREATE TABLE audit (sequence bigint PRIMARY KEY, at text NOT NULL, actor text NOT NULL, action text NOT NULL,
                  subject text NOT NULL, detail text NOT NULL, detail_digest text, redacted boolean NOT NULL DEFAULT false,
                  previous text NOT NULL UNIQUE, hash text NOT NULL)
                """,
                // The chain's head: every writer appends under this row's lock, so the chain never forks.
                "CREATE TABLE audit_head (id integer PRIMARY KEY CHECK (id = 1), sequence bigint NOT NULL, hash text NOT NULL)",
                "INSERT INTO audit_head (id, sequence, hash) VALUES (1, 0, '\(AuditEntry.genesis)')",
                """
                CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'the audit log is append-only'; END IF;
                  IF NEW.sequence IS DISTINCT FROM OLD.sequence OR NEW.at IS DISTINCT FROM OLD.at OR NEW.actor IS DISTINCT FROM OLD.actor
                    OR NEW.action IS DISTINCT FROM OLD.action OR NEW.subject IS DISTINCT FROM OLD.subject
                    OR NEW.previous IS DISTINCT FROM OLD.previous OR NEW.hash IS DISTINCT FROM OLD.hash
                    OR NEW.detail_digest IS DISTINCT FROM OLD.detail_digest OR OLD.detail_digest IS NULL OR NOT NEW.redacted THEN
                    RAISE EXCEPTION 'the audit log is append-only: only a detail may be redacted';
                  END IF;
                  RETURN NEW;
                END $$
                """,
                "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
                """
                CREATE TABLE api_token (seq bigserial UNIQUE, id text PRIMARY KEY, owner text NOT NULL REFERENCES app_user, name text NOT NULL,
                  scopes text NOT NULL, secret_hash text NOT NULL, created_at text NOT NULL, expires_at text, revoked_at text)
                """,
                """
                CREATE TABLE session (id text PRIMARY KEY, owner text NOT NULL REFERENCES app_user, csrf text NOT NULL, created_at text NOT NULL,
                  expires_at text NOT NULL)
                """,
                "CREATE INDEX session_owner ON session (owner)",
                """
                CREATE TABLE sign_in_code (id text PRIMARY KEY, owner text NOT NULL REFERENCES app_user, created_by text NOT NULL,
                  created_at text NOT NULL, expires_at text NOT NULL, used_at text)
                """,
                """
                CREATE TABLE share (token text PRIMARY KEY, credential text NOT NULL UNIQUE REFERENCES credential ON DELETE CASCADE,
                  client text NOT NULL, created_at text NOT NULL)
                """,
                "CREATE INDEX share_client ON share (client)",
                """
                CREATE TABLE definitions_version (seq bigserial UNIQUE, digest text PRIMARY KEY, files integer NOT NULL, uploaded_by text NOT NULL,
                  uploaded_at text NOT NULL, archive bytea NOT NULL)
                """,
                // Failed sign-ins by throttle key, shared by the servers (microseconds since 1970).
                "CREATE TABLE sign_in_failure (key text PRIMARY KEY, failures integer NOT NULL, first bigint NOT NULL, last bigint NOT NULL)",
                "CREATE INDEX sign_in_failure_first ON sign_in_failure (first)",
                "CREATE TABLE definitions_active (id integer PRIMARY KEY CHECK (id = 1), digest text NOT NULL REFERENCES definitions_version)",
            ]),
        Migration(
            version: 2, name: "wallet exchanges",
            statements: [
                // The SHA-256 of each exchange's secret; times in microseconds since 1970 (exchanges live 15
                // minutes and are not copied between stores).
                """
                CREATE TABLE wallet_exchange (id text PRIMARY KEY, client text NOT NULL REFERENCES client, badge text NOT NULL, challenge text NOT NULL,
                  created_at bigint NOT NULL, expires_at bigint NOT NULL, completed_at bigint)
                """,
                "CREATE INDEX wallet_exchange_client ON wallet_exchange (client)",
                "CREATE INDEX wallet_exchange_expires ON wallet_exchange (expires_at)",
            ]),
        Migration(
            version: 3, name: "oauth",
            statements: [
                // OAuth 2.0 for the Open Badges 3.0 API: each record as JSON beside the columns it is found
                // by; secrets (client secrets, codes, tokens) only as their SHA-256.
                "CREATE TABLE oauth_client (id text PRIMARY KEY, created_at bigint NOT NULL, doc text NOT NULL)",
                "CREATE INDEX oauth_client_created ON oauth_client (created_at)",
                """
                CREATE TABLE oauth_grant (seq bigserial UNIQUE, id text PRIMARY KEY, client text NOT NULL REFERENCES client, service text NOT NULL,
                  doc text NOT NULL)
                """,
                "CREATE INDEX oauth_grant_client ON oauth_grant (client)",
                "CREATE INDEX oauth_grant_service ON oauth_grant (service)",
                """
                CREATE TABLE oauth_token (hash text PRIMARY KEY, grant_id text NOT NULL REFERENCES oauth_grant, origin text, expires_at bigint NOT NULL,
                  doc text NOT NULL)
                """,
                "CREATE INDEX oauth_token_grant ON oauth_token (grant_id)",
                "CREATE INDEX oauth_token_origin ON oauth_token (origin)",
                "CREATE INDEX oauth_token_expires ON oauth_token (expires_at)",
            ]),
        Migration(
            version: 4, name: "client lists",
            statements: [
                // Client lists a page at a time (keyset paging): the open period's current phase and decision end
                // (microseconds since 1970; none sorts last) beside the client, with an index for each filter and
                // order. Pseudonyms sort byte by byte (COLLATE "C"), as in SQLite, whatever the database's locale.
                "ALTER TABLE client ADD COLUMN open_phase text, ADD COLUMN open_due bigint NOT NULL DEFAULT 9223372036854775807",
                """
                UPDATE client c SET open_phase = (SELECT f.phase FROM phase_change f WHERE f.period = p.id ORDER BY f.sequence DESC LIMIT 1),
                  open_due = coalesce((extract(epoch FROM p.decision_end::timestamptz) * 1000000)::bigint, 9223372036854775807)
                FROM period p WHERE p.client = c.id AND p.closed_at IS NULL
                """,
                "CREATE INDEX client_id_c ON client (id COLLATE \"C\")",
                "CREATE INDEX app_user_id_c ON app_user (id COLLATE \"C\")",
                "CREATE INDEX client_unit_id ON client (unit, id COLLATE \"C\")",
                "CREATE INDEX client_phase_id ON client (open_phase, id COLLATE \"C\") WHERE open_phase IS NOT NULL",
                "CREATE INDEX client_due_id ON client (open_due, id COLLATE \"C\")",
                "CREATE INDEX client_unit_due_id ON client (unit, open_due, id COLLATE \"C\")",
            ]),
        Migration(
            version: 5, name: "audit mentions",
            statements: [
                // Which audit entries name which client or user (AuditEntry.mentions): erasing a client reads
                // these entries only, not the whole log while every other writer waits on the audit head.
                "CREATE TABLE audit_mention (name text NOT NULL, sequence bigint NOT NULL, PRIMARY KEY (name, sequence))"
            ],
            then: { connection, logger in
                // The entries written before, indexed as they would have been, 10,000 at a time.
                var after: Int64 = 0
                while true {
                    let rows = try await connection.query(
                        "SELECT sequence, action, subject, detail FROM audit WHERE sequence > \(after) ORDER BY sequence LIMIT 10000", logger: logger
                    ).collect()
                    guard !rows.isEmpty else { break }
                    var names: [String] = []
                    var sequences: [Int64] = []
                    for row in rows {
                        let (sequence, action, subject, detail) = try row.decode((Int64, String, String, String).self)
                        for name in AuditEntry.mentions(action: action, subject: subject, detail: detail) {
                            names.append(name)
                            sequences.append(sequence)
                        }
                        after = sequence
                    }
                    try await PostgresStore.insertMentions(names: names, sequences: sequences, connection, logger)
                }
            }),
    ]
}
