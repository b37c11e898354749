import MerkistoCore
import Basics
import ArgumentParser
import Credentials
import Definitions
import Evaluation
import Foundation
import Storage

extension Merkisto {
    /// `merkisto bench`: speed figures measured in this run (use a release build).
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Measure evaluation, issuing, verifying and ledger speed on this machine (build with -c release for real figures).",
            discussion: """
                Every figure is measured in this run. Each credential figure has a bare-cryptography figure \
                beside it, measured on the same inputs in the same run, so ratios compare like with like.
                """
        )

        @Option(help: "Seconds to measure each figure.")
        var seconds: Double = 2

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @Option(help: "Stored clients for the dry-run figure.")
        var clients: Int = 100_000

        @Option(help: "Only sign and verify this unsigned OB 3.0 credential (JSON) with a Data Integrity proof, as benchmarks/compare.sh has a peer do.")
        var document: String?

        @Option(help: "With --document: the VC-JWT payload (JSON) to sign and verify.")
        var payload: String?

        @Option(
            name: .customLong("db"),
            help: "A PostgreSQL server (postgres://USER@HOST:PORT/postgres): the store figures are measured there too, in a database of their own, beside SQLite's.")
        var database: String?

        @Option(name: .customLong("db-clients"), help: "With --db: stored clients for PostgreSQL's dry-run figure.")
        var databaseClients: Int = 10_000

        @OptionGroup var definitions: DefinitionOptions

        func run() async throws {
            guard seconds > 0, seconds <= 600 else {
                printError("merkisto bench: --seconds must be between 0 and 600")
                throw ExitCode(2)
            }
            if document != nil || payload != nil {
                guard let document, let payload else {
                    printError("merkisto bench: --document and --payload go together")
                    throw ExitCode(2)
                }
                let figures = try await MerkistoCLI.run("bench") { () throws -> [BenchmarkFigure] in
                    func object(_ path: String) throws -> [String: JSONValue] {
                        guard let data = FileManager.default.contents(atPath: path) else { throw CredentialError.io("cannot read \(path)") }
                        guard case .object(let fields) = try JSONDecoder().decode(JSONValue.self, from: data) else {
                            throw CredentialError.invalidInput("\(path) is not a JSON object")
                        }
                        return fields
                    }
                    return try CredentialBenchmark.sameDocument(try object(document), payload: try object(payload), now: .now, seconds: seconds)
                }
                try show(figures)
                return
            }
            let compiled = CompiledDefinitions(try definitions.load())
            var figures = EvaluationBenchmark.run(compiled: compiled, seconds: seconds)
            do {
                let workload = try CredentialWorkload(compiled: compiled, clients: 200)
                figures += try CredentialBenchmark.run(workload, seconds: seconds)
                await figures += try StoreBenchmark.run(
                    compiled: compiled, workload: workload, sizes: StoreBenchmark.Sizes(clients: clients), seconds: seconds)
                if let database {
                    guard StoreOptions.isPostgres(database) else {
                        printError("merkisto bench: --db takes a PostgreSQL server's address")
                        throw ExitCode(2)
                    }
                    let scratch = try await PostgresStore.makeScratchDatabase(server: database)
                    let store = try await PostgresStore.open(url: scratch)
                    do {
                        figures += try await StoreBenchmark.run(
                            compiled: compiled, workload: workload, sizes: StoreBenchmark.Sizes(clients: databaseClients), seconds: seconds, store: store,
                            kind: "postgres")
                    } catch {
                        await store.close()
                        try? await PostgresStore.dropScratchDatabase(scratch)
                        throw error
                    }
                    await store.close()
                    try? await PostgresStore.dropScratchDatabase(scratch)
                }
            } catch {
                printError("merkisto bench: \(error)")
                throw ExitCode(1)
            }
            try show(figures)
        }

        private func show(_ figures: [BenchmarkFigure]) throws {
            switch format {
            case .json:
                var object: [String: JSONValue] = [:]
                for figure in figures { object[figure.name] = .double(figure.value.rounded()) }
                object["seconds_per_figure"] = .double(seconds)
                #if DEBUG
                object["build"] = "debug"
                #else
                object["build"] = "release"
                #endif
                print(String(decoding: try JSONValue.object(object).encoded(), as: UTF8.self))
            case .text:
                for figure in figures {
                    let value = String(Int(figure.value.rounded()))
                    print("\(figure.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(value.leftPadded(to: 12))  \(figure.note)")
                }
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

extension Merkisto {
    struct ScaleFillCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scale-fill",
            abstract: "Fill a database with generated clients and their credentials, to measure at scale (benchmarks/scale.sh).",
            discussion: """
                Adds clients sk-0000001… up to --clients (those stored already are kept), a unit and an instructor \
                per thousand, an open pathway period each, generated assessments, and issues what they earned \
                (a third each as OB 3.0 VC-JWTs, hosted OB 2.0 assertions and OB 3.0 Data Integrity credentials). Refuses a database with any other client.
                """)

        @Option(help: "How many generated clients the database should hold.")
        var clients: Int

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            guard clients > 0, clients <= 10_000_000 else {
                printError("merkisto scale-fill: --clients must be between 1 and 10,000,000")
                throw ExitCode(2)
            }
            let service = try await options.service("scale-fill")
            let figures = try await MerkistoCLI.run("scale-fill") { () async throws -> ScaleFill.Figures in
                let from = try await ScaleFill.stored(in: service.store, below: clients + 1)
                guard from <= clients else { throw CoreError(.conflict, "the database holds more than \(clients) generated clients already") }
                return try await ScaleFill.fill(service: service, from: from, to: clients) { printError("merkisto scale-fill: \($0)") }
            }
            print("clients \(figures.clients) in \(String(format: "%.1f", figures.importSeconds)) s, credentials \(figures.credentials) in \(String(format: "%.1f", figures.issueSeconds)) s")
        }
    }
}

