import Storage
import ArgumentParser
import Basics
import Definitions
import MerkistoCore
import Rendering

extension Merkisto {
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "A client's progress for the interim review and the continuation plan: levels at each checkpoint, the gap to the baselines, badges by phase, next steps.",
            discussion: "--format html writes one self-contained page (no script, no external request) that prints on A4.")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text
            case json
            case html
        }

        @Argument(help: "The client id.")
        var client: String

        @Option(help: "text, json or html.")
        var format: Format = .text

        @Option(help: "Language: fi, sv or en; default: the client's own language (Finnish when not set).")
        var lang: Language?

        @Option(help: "As of this time (RFC 3339 or a date); default: now.", transform: Timestamp.argument)
        var at: Timestamp?

        @Option(help: "Write to this file instead of standard output.")
        var out: String?

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let time = at
            let service = try await options.service("report", existing: true)
            let (report, language) = try await MerkistoCLI.run("report") {
                let report = try await service.progressReport(client: client, at: time)
                return (report, service.credentialLanguage(for: try await service.clientFile(client).client, requested: lang))
            }
            let bytes: [UInt8] =
                switch format {
                case .text: Array(ProgressReportText(compiled: service.compiled, language: language).render(report).utf8)
                case .json: ProgressReportJSON(compiled: service.compiled, language: language).document(report).prettyJSONBytes()
                case .html: Array(ProgressReportHTML(compiled: service.compiled, language: language).render(report).utf8)
                }
            try writeOutput(bytes, to: out, command: "report")
        }
    }
}
