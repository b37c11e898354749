import Credentials
import ArgumentParser
import Basics
import Definitions
import Foundation
import MerkistoCore
import Storage

extension Merkisto {
    struct Client: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "client",
            abstract: "Register, list, show, export and erase clients.",
            subcommands: [Add.self, List.self, Show.self, ExportRecord.self, Erase.self])
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Read client-record files (JSON) into the database; a folder means every *.json in it.",
            discussion: """
                Each file goes in whole or not at all: a refused file stores nothing, and the files around it still \
                go in. Exit status 1 when any file was refused.
                """)

        @Argument(help: "Client-record files or folders.")
        var paths: [String]

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let files = try recordFiles(paths)
            let service = try await options.service("import")
            var refused = 0
            for path in files {
                guard let data = FileManager.default.contents(atPath: path) else {
                    printError("\(path): cannot read the file")
                    refused += 1
                    continue
                }
                let imported = try await MerkistoCLI.run("import") { try await service.importRecords([(path, [UInt8](data))], as: .console) }
                for file in imported {
                    switch file.result {
                    case .success(let client):
                        print("imported \(client.client.id) from \(path): \(client.assessments.count) assessments")
                    case .failure(let error):
                        printError("\(path): \(error.message)")
                        for problem in error.problems { printError("\(path): \(problem)") }
                        refused += 1
                    }
                }
            }
            if refused > 0 {
                printError("merkisto import: \(refused) of \(files.count) files refused (nothing of them was stored); the other \(files.count - refused) went in")
                throw ExitCode(1)
            }
        }

        private func recordFiles(_ paths: [String]) throws -> [String] {
            var files: [String] = []
            for path in paths {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    printError("merkisto import: \(path) does not exist")
                    throw ExitCode(2)
                }
                if isDirectory.boolValue {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                    files += names.filter { $0.hasSuffix(".json") }.sorted().map { path + "/" + $0 }
                } else {
                    files.append(path)
                }
            }
            return files
        }
    }
}

extension Merkisto.Client {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Register a client under a pseudonymous id.")

        @Argument(help: "The pseudonymous id (letters a–z, digits, - or _), never a name or a personal identity code.")
        var id: String

        @Option(help: "The work activity place (unit) id.")
        var unit: String?

        @Option(name: .customLong("name"), help: "A display name for instructors (kept only in the database, never in credentials or logs).")
        var displayName: String?

        @Option(help: "Contact details for instructors (kept only in the database).")
        var contact: String?

        @Option(help: "The language the client is served in and their credentials are built in: fi, sv or en.")
        var lang: Language?

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let service = try await options.service("client add")
            _ = try await MerkistoCLI.run("client add") {
                try await service.registerClient(id: id, unit: unit, displayName: displayName, contact: contact, language: lang, as: .console)
            }
            print("registered \(id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List clients with their unit, pathway phase and decision end; a period past its decision's end is flagged.")

        @Option(help: "Only the clients of this unit.")
        var unit: String?

        @Option(help: "As of this time (RFC 3339 or a date); default: now.", transform: Timestamp.argument)
        var at: Timestamp?

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let time = at
            let service = try await options.service("client list", existing: true)
            let summaries = try await MerkistoCLI.run("client list") { try await service.clientSummaries(unit: unit, at: time) }
            let rows = summaries.map { summary -> [String] in
                let phase = summary.client.erasedAt != nil ? "(erased)" : summary.phase ?? "-"
                let end = summary.decisionEnd.map { dateText($0) } ?? "-"
                return [
                    summary.client.id, summary.client.unit ?? "-", phase, end + (summary.overdue ? " PAST END" : ""), String(summary.assessments),
                    String(summary.credentials),
                ]
            }
            print(table(header: ["client", "unit", "phase", "decision ends", "assessments", "credentials"], rows: rows), terminator: "")
            let overdue = summaries.filter(\.overdue).count
            if overdue > 0 { printError("\(overdue) open period(s) past the decision's end: review or close them") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show what is stored about a client: pathway periods, assessments, credentials.")

        @Argument(help: "The client id.")
        var id: String

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let service = try await options.service("client show", existing: true)
            let file = try await MerkistoCLI.run("client show") { try await service.clientFile(id, as: .console) }
            let client = file.client
            print("client \(client.id)" + (client.erasedAt.map { " (personal data erased \(dateText($0)))" } ?? ""))
            if let name = client.displayName { print("name: \(name)") }
            if let contact = client.contact { print("contact: \(contact)") }
            print("unit: \(client.unit ?? "-")   language: \(client.language?.rawValue ?? "-")   registered: \(dateText(client.registeredAt))")
            for period in file.periods {
                let state = period.isOpen ? "open" : "closed \(period.closedAt.map(dateText) ?? ""), outcome \(period.outcome ?? "-")"
                let decision = "decision \(period.decisionStart.map(dateText) ?? "?") – \(period.decisionEnd.map(dateText) ?? "?")"
                print("period \(period.id) (\(period.pathway)): \(state); \(decision)")
                for change in period.phases { print("  \(dateText(change.at))  \(change.phase)  by \(change.by)") }
            }
            for assessment in file.assessments {
                let what = [
                    assessment.instrument.map { "\($0): \(assessment.responses.count) answers" },
                    assessment.levels.isEmpty ? nil : "\(assessment.levels.count) levels",
                ].compactMap { $0 }.joined(separator: ", ")
                print("assessment \(assessment.id)  \(assessment.assessedAt)  \(assessment.evidence.rawValue)  \(assessment.checkpoint ?? "-")  \(what)")
            }
            for credential in file.credentials {
                let revoked = file.isRevoked(credential.id) ? "  REVOKED" : ""
                print("credential \(credential.id)  \(credential.badge)  \(credential.format.rawValue)  \(dateText(credential.issuedAt))\(revoked)")
            }
        }
    }

    struct ExportRecord: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Write a stored client's record in the client-record format (JSON).")

        @Argument(help: "The client id.")
        var id: String

        @Option(help: "Write to this file instead of standard output.")
        var out: String?

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let service = try await options.service("client export", existing: true)
            try writeOutput(try await MerkistoCLI.run("client export") { try await service.exportClient(id, as: .console).record }, to: out, command: "client export")
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "erase",
            abstract: "Erase a client's personal data: name, contact, assessments, attestations, pathway periods.",
            discussion: "The pseudonymous id, the credentials issued and their revocations stay, so verifiers can still check them.")

        @Argument(help: "The client id.")
        var id: String

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let service = try await options.service("client erase", existing: true)
            try await MerkistoCLI.run("client erase") { try await service.eraseClient(id, confirm: id, as: .console) }
            print("erased the personal data of \(id)")
        }
    }
}

/// The local calendar date of an instant (YYYY-MM-DD).
func dateText(_ time: Timestamp) -> String {
    String(time.description.prefix(10))
}

/// A plain text table with columns padded to their widest cell.
func table(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            .trimmingCharacters(in: .whitespaces) + "\n"
    }.joined()
}
