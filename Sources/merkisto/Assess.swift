public import ArgumentParser
import Basics
public import Definitions
import Foundation
import MerkistoCore
import Storage

extension Evidence: ExpressibleByArgument {}
extension Criterion.Role: ExpressibleByArgument {}

extension Merkisto {
    struct Assess: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "assess",
            abstract: "Record an assessment for a stored client: from a file, or levels given directly.",
            discussion: """
                --from reads one assessment written as an entry of a client record's "assessments" list \
                (Schemas/json/client-record.schema.json). Without it, give --level for each competence and the \
                --evidence. An assessment at a --checkpoint joins the client's open pathway period.
                """)

        @Argument(help: "The client id.")
        var client: String

        @Option(help: "A JSON file with one assessment.")
        var from: String?

        @Option(name: .customLong("level"), help: "A competence level, COMPETENCE=LEVEL (2.1=2); repeat for more.")
        var levels: [String] = []

        @Option(help: "How the levels were seen: self, test or observed.")
        var evidence: Evidence?

        @Option(help: "The pathway checkpoint (alkukartoitus, valiarviointi, loppuarviointi in the shipped model).")
        var checkpoint: String?

        @Option(help: "The assessment's id; default: arvio- and eight random hex digits.")
        var id: String?

        @Option(help: "Who assessed (a pseudonymous id); default: the file's, else cli.")
        var assessor: String?

        @Option(help: "When (RFC 3339 or a date); default: now.", transform: Timestamp.argument)
        var at: Timestamp?

        @OptionGroup var options: ServiceOptions

        func validate() throws {
            if from != nil, !levels.isEmpty || evidence != nil {
                throw ValidationError("give either --from FILE or --level with --evidence, not both")
            }
            if from == nil, levels.isEmpty { throw ValidationError("give --from FILE, or at least one --level COMPETENCE=LEVEL") }
            if from == nil, evidence == nil { throw ValidationError("--level needs --evidence self, test or observed") }
        }

        func run() async throws {
            let time = at
            let service = try await options.service("assess", existing: true)
            var input: AssessmentInput
            if let from {
                guard let data = FileManager.default.contents(atPath: from) else {
                    printError("merkisto assess: \(from): cannot read the file")
                    throw ExitCode(2)
                }
                input = AssessmentInput(
                    try await MerkistoCLI.run("assess") { try ClientRecordFormat.readAssessment(data, client: client, compiled: service.compiled, now: service.now) })
            } else {
                var parsed: [StoredAssessment.Level] = []
                for text in levels {
                    let parts = text.split(separator: "=", omittingEmptySubsequences: false)
                    guard parts.count == 2, let level = Int(parts[1]) else {
                        printError("merkisto assess: --level \"\(text)\" is not COMPETENCE=LEVEL, such as 2.1=2")
                        throw ExitCode(2)
                    }
                    parsed.append(StoredAssessment.Level(competence: String(parts[0]), level: level))
                }
                input = AssessmentInput(evidence: evidence, levels: parsed)
            }
            if let id { input.id = id }
            if let checkpoint { input.checkpoint = checkpoint }
            if let time { input.assessedAt = time }
            if let assessor { input.assessor = assessor }
            let given = input
            let recorded = try await MerkistoCLI.run("assess") { try await service.recordAssessment(given, client: client, as: .console) }
            print("recorded assessment \(recorded.id) for \(client)")
        }
    }

    struct Attest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attest",
            abstract: "Confirm a badge's attestation requirement for a client (<attestation role=…/> in its criteria), or withdraw it.")

        @Argument(help: "The client id.")
        var client: String

        @Option(help: "The badge id.")
        var badge: String

        @Option(help: "The role you confirm in: instructor or admin (default: the first the badge asks that is not given yet).")
        var role: Criterion.Role?

        @Flag(help: "Withdraw the badge's confirmations instead.")
        var withdraw = false

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let service = try await options.service("attest", existing: true)
            if withdraw {
                let withdrawn = try await MerkistoCLI.run("attest") { try await service.withdrawAttestation(client: client, badge: badge, as: .console) }
                for attestation in withdrawn { print("withdrawn: \(attestation.role.rawValue) confirmation of \(badge) for \(client), given by \(attestation.by)") }
            } else {
                let attestation = try await MerkistoCLI.run("attest") { try await service.attest(client: client, badge: badge, role: role, as: .console) }
                print("recorded: \(attestation.role.rawValue) confirms \(badge) for \(client)")
            }
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Check or show the audit log.", subcommands: [Verify.self, Show.self])

        struct Verify: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "verify",
                abstract: "Check that the audit log's hash chain is unbroken (exit 1 when it is not).")

            @OptionGroup var store: StoreOptions

            func run() async throws {
                let ledger = try await store.ledger("audit verify")
                let check = try await MerkistoCLI.run("audit verify") { try await ledger.verifyAudit() }
                for problem in check.problems { printError("merkisto audit verify: \(problem)") }
                guard check.isIntact else { throw ExitCode(1) }
                print("audit log intact: \(check.entries) entries, head \(check.head)")
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the audit log, oldest first.")

            @OptionGroup var store: StoreOptions

            func run() async throws {
                let ledger = try await store.ledger("audit show")
                let entries = try await MerkistoCLI.run("audit show") { try await ledger.auditLog() }
                for entry in entries {
                    print("\(entry.sequence)  \(entry.at)  \(entry.actor)  \(entry.action)  \(entry.subject)  \(entry.detail)")
                }
            }
        }
    }
}
