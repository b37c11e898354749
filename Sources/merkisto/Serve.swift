import ArgumentParser
import DemoContent
import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
import Logging
import Metrics
import Prometheus
import MerkistoCore
import Server
import Storage

extension Merkisto {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Run the Merkisto server: the public Open Badges documents at the URLs credentials name.",
            discussion: """
                SIGTERM or SIGINT (Ctrl-C) stops taking new connections, lets the requests in flight finish, then \
                closes the database. With --demo, a new database in a temporary folder is filled with the example \
                clients, keys and users first, and the base URL is the server's own address.
                """)

        @Option(
            name: .customLong("db"),
            help: "The Merkisto database: a SQLite file (created on first use) or postgres://USER@HOST:PORT/DB. Default: $MERKISTO_DATABASE_URL, else merkisto.sqlite, or a temporary one with --demo.")
        var database: String?

        @OptionGroup var definitions: DefinitionOptions

        @Option(name: .customLong("keys"), help: "The key folder. Default: keys, or one beside the demo database.")
        var keys: String?

        @Option(help: "The address to listen on.")
        var host: String = "127.0.0.1"

        @Option(help: "The port to listen on (0: any free port).")
        var port: Int = 8080

        @Option(name: .customLong("base-url"), help: "The public URL the documents are served under. Default: the issuer's base-url, or http://HOST:PORT/ with --demo.")
        var baseURL: String?

        @Flag(help: "The server is behind a reverse proxy that appends the client's address to X-Forwarded-For: throttle sign-ins by that address.")
        var behindProxy = false

        @Option(name: .customLong("idle-timeout"), help: "Close a connection that sends nothing for this many seconds while its request is read, or between requests (1-3600).")
        var idleTimeout: Int = 20

        enum LogFormat: String, ExpressibleByArgument, CaseIterable {
            case text
            case json
        }

        @Option(name: .customLong("log-format"), help: "How the log is written to standard error: text, or json (one object per line).")
        var logFormat: LogFormat = .text

        @Option(name: .customLong("wallet-exchange-seconds"), help: "How long an exchange that puts a badge into a wallet works after the client opens it (10-3600).")
        var walletExchangeSeconds: Int = 900

        @Flag(help: "Start with a demonstration database: example clients with pathways and assessments, keys, users, issued badges.")
        var demo = false

        static let defaultExamples = "examples/clients"

        @Option(help: "With --demo: the folder of example client records (default: examples/clients, else the copy the program carries).")
        var examples: String = Self.defaultExamples

        func validate() throws {
            guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1 to 3600 seconds") }
            guard (10...3600).contains(walletExchangeSeconds) else { throw ValidationError("--wallet-exchange-seconds must be 10 to 3600") }
        }

        func run() async throws {
            let format = logFormat
            LoggingSystem.bootstrap { label in
                switch format {
                case .text:
                    var handler = StreamLogHandler.standardError(label: label)
                    handler.logLevel = .info
                    return handler
                case .json:
                    return JSONLogHandler(label: label)
                }
            }
            // Counters and histograms for /metrics (from this machine only).
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let logger = Logger(label: "merkisto")
            // The demo keeps its database and keys together: in a new temporary folder, or beside --db.
            var folder: String?
            // The environment's database, unless --demo makes one of its own.
            let database = self.database ?? (demo ? nil : ProcessInfo.processInfo.environment["MERKISTO_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 })
            if demo {
                if let database, !StoreOptions.isPostgres(database) {
                    folder = (database as NSString).deletingLastPathComponent.isEmpty ? "." : (database as NSString).deletingLastPathComponent
                } else {
                    let path = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-demo-\(UUID().uuidString.prefix(8).lowercased())").path
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                    folder = path
                }
            }
            let databasePath = database ?? folder.map { $0 + "/merkisto.sqlite" } ?? "merkisto.sqlite"
            let keyFolder = keys ?? folder.map { $0 + "/keys" } ?? "keys"
            let shown = StoreOptions.isPostgres(databasePath) ? "the database" : databasePath
            // Port 0 with --demo would leave the base URL unknown until the server runs: the demo needs a port.
            if demo, baseURL == nil, port == 0 {
                printError("merkisto serve: --demo needs a fixed --port (or a --base-url)")
                throw ExitCode(2)
            }
            let base = baseURL ?? (demo ? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/" : nil)
            // The demo runs from any folder: without the shipped folders here, it uses the copies the program carries.
            let definitionsFolder = demo ? DemoContent.fallback(definitions.directory, default: DefinitionOptions.defaultDirectory, carried: DemoContent.definitions) : definitions.directory
            let examplesFolder = DemoContent.fallback(examples, default: Self.defaultExamples, carried: DemoContent.clients)
            let compiled = CompiledDefinitions(try DefinitionOptions.load(definitionsFolder))
            let store = try await StoreOptions.open(databasePath, "serve")
            var service = BadgeService(store: store, compiled: compiled, keys: KeyStore(directory: keyFolder), baseURL: base)
            service.walletExchangeLifetime = Int64(walletExchangeSeconds) * 1_000_000

            if demo {
                let seed = try await MerkistoCLI.run("serve") { try await service.seedDemo(examples: try Self.readExamples(examplesFolder), by: cliActor) }
                say("Demo data in \(shown) (keys in \(keyFolder)): \(seed.clients.count) clients in unit \(seed.unit), \(seed.credentials.count) credentials issued.")
                say("Open \(base ?? "the server") and sign in (or POST /api/v1/session) as:")
                for (user, role) in [(seed.admin, "admin"), (seed.instructor, "instructor"), (seed.clientUser, "client")] {
                    if let password = seed.passwords[user] { say("  \(user) (\(role)), password \(password)") }
                }
                if let code = seed.clientCode {
                    say("  \(code.user) also with the one-time link \(code.link) (or the code \(code.code), POST /api/v1/session/code)")
                }
                if let publisher = try? service.publisher() {
                    say("Try:")
                    say("  \(publisher.layout.issuerProfile)")
                    say("  \(publisher.layout.base)keys/jwks.json")
                    if let token = seed.credentials.first(where: { $0.format == .ob3JWT }) {
                        say("  \(publisher.layout.credential(String(token.id.dropFirst("urn:uuid:".count))))")
                    }
                    if let hosted = seed.credentials.first(where: { $0.format == .ob2Hosted }) { say("  \(hosted.id)") }
                }
            } else if try await !MerkistoCLI.run("serve", { try await service.hasAdmin() }) {
                say("There is no admin yet. Create the first one with: merkisto user add ID --role admin --db \(shown)")
            }

            let application = try await MerkistoCLI.run("serve") {
                try await MerkistoServer.application(
                    service: service, definitions: definitionsFolder, versionsFolder: StoreOptions.versionsFolder(databasePath), configuration: ServerConfiguration(
                        host: host, port: port, behindProxy: behindProxy, idleTimeout: .seconds(idleTimeout), metrics: registry), logger: logger,
                    onServerRunning: { port in
                        logger.info("Merkisto is serving on http://\(host):\(port)/")
                    })
            }
            try await MerkistoServer.run(application)
            await (store as? PostgresStore)?.close()
            logger.info("Merkisto stopped")
        }

        /// Prints at once (unbuffered), so that what the demo says comes before the server's log, in a pipe too.
        func say(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }

        static func readExamples(_ folder: String) throws -> [(name: String, bytes: [UInt8])] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                throw CoreError(.notFound, "there is no folder of example clients at \(folder) (run from the repository, or give --examples)")
            }
            return try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
                guard let data = FileManager.default.contents(atPath: folder + "/" + name) else {
                    throw CoreError(.notFound, "cannot read \(folder)/\(name)")
                }
                return (name, Array(data))
            }
        }
    }
}
