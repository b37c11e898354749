import ArgumentParser
import Definitions
import Evaluation
import Foundation

extension Merkisto {
    /// `merkisto evaluate`: where a client stands, which badges are earned and why, what next.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate a client record: badges earned and why, gaps to the baselines, what to practise next.",
            discussion: "Exit status: 0 on success, 1 when the client record or the definitions have errors, 2 for usage problems."
        )

        @Argument(help: "The client record (JSON), see Schemas/json/client-record.schema.json.")
        var client: String

        @OptionGroup var definitions: DefinitionOptions

        @Option(help: "Evaluate as of this time (RFC 3339 with an offset); default: now.")
        var at: String?

        @Option(help: "Output format: text (for people) or json.")
        var format: OutputFormat = .text

        @Option(help: "Language of the text: fi, sv or en.")
        var lang: Language = .fi

        func run() throws {
            let time = try parseTime(at)
            let compiled = CompiledDefinitions(try definitions.load())
            let record = try readClientRecord(client, compiled: compiled)
            let result = Evaluator(compiled).evaluate(record, at: time)
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

/// `--at TIME`, or now (UTC) when absent; a bad time is a usage error (exit 2).
func parseTime(_ text: String?) throws -> Timestamp {
    guard let text else {
        return Timestamp(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
    }
    switch Timestamp.parse(text) {
    case .success(let time): return time
    case .failure:
        printError("merkisto: --at \"\(text)\" is not an RFC 3339 time with an offset, such as 2026-11-22T12:00:00+02:00")
        throw ExitCode(2)
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
