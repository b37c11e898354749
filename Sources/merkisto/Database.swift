import ArgumentParser
import Foundation
import Storage

extension Merkisto {
    struct DatabaseCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "db", abstract: "Move the database between SQLite and PostgreSQL.", subcommands: [Copy.self])

        struct Copy: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "copy",
                abstract: "Copy everything from one database into a new, empty one (SQLite ↔ PostgreSQL).",
                discussion: """
                    FROM and TO are SQLite files or postgres://USER@HOST:PORT/DB addresses. The audit log is copied entry for \
                    entry and verified after, to the source's head. Sessions and one-time codes are not copied: people sign in \
                    again. Stop the servers that write to FROM first.
                    """)

            @Option(help: "The database to copy from.")
            var from: String

            @Option(help: "The new, empty database to copy into (a SQLite file is created).")
            var to: String

            func run() async throws {
                let source = try await Self.copyable(from, existing: true)
                let target = try await Self.copyable(to, existing: false)
                let dump = try await MerkistoCLI.run("db copy") { try await target.copy(from: source) }
                for (kind, count) in dump.counts.sorted(by: { $0.key < $1.key }) { print("\(kind): \(count)") }
                let head = AuditVerification(checking: dump.audit).head
                print("copied; the audit log verifies in the copy: \(dump.audit.count) entries, head \(head)")
                await (source as? PostgresStore)?.close()
                await (target as? PostgresStore)?.close()
            }

            static func copyable(_ location: String, existing: Bool) async throws -> any CopyableStore {
                if existing, !StoreOptions.exists(location) {
                    printError("merkisto db copy: there is no database at \(location)")
                    throw ExitCode(2)
                }
                guard let store = try await StoreOptions.open(location, "db copy") as? any CopyableStore else {
                    printError("merkisto db copy: \(location) cannot be copied")
                    throw ExitCode(2)
                }
                return store
            }
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Write a consistent copy of the database to a new file while it stays in use.",
            discussion: """
                SQLite: the online backup; the copy is itself a Merkisto database (restore: stop the server, put the copy in \
                place of the database, start it; or use it as --db). PostgreSQL: pg_dump's custom format (restore into a new \
                database with pg_restore --dbname postgres://…/NEW FILE, then point --db at it).
                """)

        @OptionGroup var store: StoreOptions

        @Option(help: "The new file to write.")
        var out: String

        func run() async throws {
            try store.requireExisting("backup")
            if StoreOptions.isPostgres(store.path) {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["pg_dump", "--format=custom", "--file", out, "--dbname", store.path]
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else {
                    printError("merkisto backup: pg_dump failed (status \(process.terminationStatus))")
                    throw ExitCode(1)
                }
                // It holds everything about the clients: readable by its owner only.
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: out)
            } else {
                guard let database = try await store.open("backup") as? SQLiteStore else { throw ExitCode(2) }
                try await MerkistoCLI.run("backup") { try database.backup(to: out) }
            }
            print("backed up to \(out)")
        }
    }
}
