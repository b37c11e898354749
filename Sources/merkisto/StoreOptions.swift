import ArgumentParser
import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import Logging
import MerkistoCore
import Storage

/// `--db PATH|URL`: the Merkisto database, shared by every command that reads or changes it: a SQLite file,
/// or a PostgreSQL database (`postgres://USER@HOST:PORT/DB`); without it, `MERKISTO_DATABASE_URL`, else
/// `merkisto.sqlite`.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: "The Merkisto database: a SQLite file (created on first use) or postgres://USER@HOST:PORT/DB. Default: $MERKISTO_DATABASE_URL, else merkisto.sqlite.")
    var given: String?

    /// The database named by `--db`, the environment or the default.
    var path: String { Self.location(given) }

    static func location(_ given: String?) -> String {
        given ?? ProcessInfo.processInfo.environment["MERKISTO_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "merkisto.sqlite"
    }

    static func isPostgres(_ location: String) -> Bool { location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") }

    /// Whether the database exists (a PostgreSQL database is assumed to: connecting tells).
    static func exists(_ location: String) -> Bool { isPostgres(location) || SQLiteStore.exists(at: location) }

    /// For commands that only read or change what exists: exit 2 rather than create an empty database.
    func requireExisting(_ command: String) throws {
        guard Self.exists(path) else {
            printError("merkisto \(command): there is no database at \(path)")
            throw ExitCode(2)
        }
    }

    /// The core over an existing database, for use cases that need no definitions (revoking, suspending):
    /// as the console, through the same checked use cases as the API and the pages.
    func storeService(_ command: String) async throws -> BadgeService {
        try requireExisting(command)
        return BadgeService(store: try await open(command), compiled: CompiledDefinitions(DefinitionSet()), keys: KeyStore(directory: "keys"))
    }

    /// The live core over a key folder and the database, through which keys are made and retired as the
    /// admin pages and the API do it: audited in the database when there is one (keys usually come before it;
    /// a key command does not make a database), in memory otherwise.
    func keyService(_ command: String, keys: KeyStore) async throws -> LiveService {
        let store: any Store = Self.exists(path) ? try await open(command) : MemoryStore()
        return LiveService(BadgeService(store: store, compiled: CompiledDefinitions(DefinitionSet()), keys: keys), definitionsDirectory: nil)
    }

    /// The ledger use cases over an existing database.
    func ledger(_ command: String) async throws -> Ledger {
        try requireExisting(command)
        return Ledger(store: try await open(command))
    }

    func open(_ command: String) async throws -> any Store { try await Self.open(path, command) }

    /// Where the definition sets the database keeps are unpacked to be read: beside a SQLite file; for
    /// PostgreSQL, in the temporary folder (a cache, made again when missing).
    var versionsFolder: String { Self.versionsFolder(path) }

    static func versionsFolder(_ database: String) -> String {
        guard isPostgres(database) else { return database + "-definitions" }
        return FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-definitions").path
    }

    /// Opens (or creates) the database at `location`; a failure is printed and ends the command with status 1.
    static func open(_ location: String, _ command: String) async throws -> any Store {
        do {
            if isPostgres(location) {
                var logger = Logger(label: "merkisto.postgres")
                logger.logLevel = .warning
                return try await PostgresStore.open(url: location, logger: logger)
            }
            return try SQLiteStore(path: location)
        } catch {
            printError("merkisto \(command): \(error)")
            throw ExitCode(1)
        }
    }
}

/// What commands over the store share: the database, the definitions and the keys.
struct ServiceOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var definitions: DefinitionOptions
    @OptionGroup var keys: KeyOptions

    @Option(name: .customLong("base-url"), help: "Where the public documents are hosted; default: the issuer's base-url.")
    var baseURL: String?

    /// Opens the service; `existing` refuses to create a new database.
    func service(_ command: String, existing: Bool = false) async throws -> BadgeService {
        if existing { try store.requireExisting(command) }
        let compiled = CompiledDefinitions(try definitions.load())
        return BadgeService(store: try await store.open(command), compiled: compiled, keys: keys.store, baseURL: baseURL)
    }

    /// After issuing: the definitions the credentials were issued under are kept as a version (when they
    /// are not yet), so that every award can be replayed under them (`evaluate --as-of-award`).
    /// The credentials are issued whatever happens here: a failure is told, not made the command's.
    func keepDefinitions(of service: BadgeService, _ command: String) async {
        let live = LiveService(service, definitionsDirectory: nil, versionsFolder: store.versionsFolder)
        do {
            try await live.keepLoaded(folder: definitions.directory, as: .console)
        } catch {
            printError("merkisto \(command): the definitions the credentials were issued under could not be kept as a version (\(error.message)); keep them with `merkisto definitions push \(definitions.directory)`")
        }
    }
}

/// Who the CLI acts as in the audit log.
let cliActor = "cli"

enum MerkistoCLI {
    /// Runs a use case; a refusal is printed plainly (with every problem) and ends with exit status 1.
    static func run<T>(_ command: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as CoreError {
            printError("merkisto \(command): \(error.message)")
            for problem in error.problems { printError("  \(problem)") }
            throw ExitCode(1)
        } catch let error as CredentialError {
            printError("merkisto \(command): \(error.message)")
            throw ExitCode(1)
        } catch let error as StoreError {
            printError("merkisto \(command): \(error.message)")
            throw ExitCode(1)
        }
    }
}

extension Timestamp {
    /// A time option, parsed as ArgumentParser reads it: RFC 3339 with an offset, or a date (YYYY-MM-DD,
    /// taken as midnight in Finland's standard time); anything else is a usage error that says so.
    static func argument(_ text: String) throws -> Timestamp {
        guard let time = Timestamp.dateOrTime(text) else {
            throw ValidationError("\"\(text)\" is not a date (2026-03-31) or an RFC 3339 time with an offset")
        }
        return time
    }
}
