import Basics
import ArgumentParser
import Definitions
import Evaluation
import Foundation
import MerkistoCore
import Storage
import Credentials

extension Merkisto {
    /// `merkisto evaluate`: where a client stands, which badges are earned and why, what next.
    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "Evaluate a client record: badges earned and why, gaps to the baselines, what to practise next.",
            discussion: "Exit status: 0 on success, 1 when the client record or the definitions have errors, 2 for usage problems."
        )

        @Argument(help: "A stored client's id, or a client record file (JSON, see Schemas/json/client-record.schema.json).")
        var client: String?

        @Option(
            name: .customLong("as-of-award"),
            help: "Replay the decision behind an issued credential (its id): the client's record as it stood when it was issued, under the definitions version it was issued under (from --db).")
        var award: String?

        @OptionGroup var keys: KeyOptions

        @OptionGroup var definitions: DefinitionOptions
        @OptionGroup var store: StoreOptions

        @Option(help: "Evaluate as of this time (RFC 3339 or a date); default: now.", transform: Timestamp.argument)
        var at: Timestamp?

        @Option(help: "Output format: text (for people) or json.")
        var format: OutputFormat = .text

        @Option(help: "Language of the text: fi, sv or en.")
        var lang: Language = .fi

        func validate() throws {
            guard (client == nil) != (award == nil) else { throw ValidationError("give a client, or --as-of-award CREDENTIAL") }
            if award != nil, at != nil { throw ValidationError("--at and --as-of-award do not go together: the award's own time is used") }
        }

        func run() async throws {
            let compiled: CompiledDefinitions
            let result: EvaluationResult
            if let award {
                try store.requireExisting("evaluate")
                let service = BadgeService(store: try await store.open("evaluate"), compiled: CompiledDefinitions(DefinitionSet()), keys: keys.store)
                let live = LiveService(service, definitionsDirectory: nil, versionsFolder: store.versionsFolder)
                let replay = try await MerkistoCLI.run("evaluate") { try await live.replayAward(award, as: .console) }
                printError(
                    "the award of \(replay.credential.badge) to \(replay.credential.client) at \(replay.credential.issuedAt), under definitions "
                        + "\(replay.credential.definitionsDigest.prefix(16)): \(replay.earned ? "earned" : "NOT earned")")
                (compiled, result) = (replay.compiled, replay.result)
            } else {
                compiled = CompiledDefinitions(try definitions.load())
                let record = try await ClientArgument(client ?? "").record(compiled: compiled, store: store)
                result = Evaluator(compiled).evaluate(record, at: at ?? .now)
            }
            switch format {
            case .text:
                print(EvaluationReport(compiled: compiled, language: lang).render(result), terminator: "")
            case .json:
                let data = try EvaluationJSON(compiled: compiled, language: lang).document(result).encoded()
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}


/// A client given on the command line: a record file when a file exists at that path, else a stored client's id.
struct ClientArgument {
    var text: String

    init(_ text: String) { self.text = text }

    /// A path: a file exists there, or it looks like one (a client id has neither `/` nor `.json`).
    var isFile: Bool { FileManager.default.fileExists(atPath: text) || text.contains("/") || text.hasSuffix(".json") }

    /// The bound record and, for a stored client, the stored client.
    func resolve(_ service: BadgeService, command: String) async throws -> (record: ClientRecord, client: StoredClient?) {
        if isFile { return (try readClientRecord(text, compiled: service.compiled), nil) }
        return try await MerkistoCLI.run(command) {
            let file = try await service.clientFile(text, as: .console)
            return (try service.record(of: file), file.client)
        }
    }

    /// The record from a file, or from the database without creating one.
    func record(compiled: CompiledDefinitions, store: StoreOptions) async throws -> ClientRecord {
        if isFile { return try readClientRecord(text, compiled: compiled) }
        guard StoreOptions.exists(store.path) else {
            printError("merkisto: \(text) is neither a file nor a client in a database (there is no database at \(store.path))")
            throw ExitCode(2)
        }
        let service = BadgeService(store: try await store.open("evaluate"), compiled: compiled, keys: KeyStore(directory: "keys"))
        return try await resolve(service, command: "evaluate").record
    }
}

/// Reads a client record; every problem is printed as `FILE: JSON.PATH: message` and ends with exit 1.
func readClientRecord(_ path: String, compiled: CompiledDefinitions) throws -> ClientRecord {
    guard let data = FileManager.default.contents(atPath: path) else {
        printError("merkisto: \(path): cannot read the file")
        throw ExitCode(2)
    }
    do {
        return try ClientRecordReader(definitions: compiled).read(data)
    } catch {
        for problem in error.errors { printError("\(path): \(problem)") }
        throw ExitCode(1)
    }
}
