import Basics
import ArgumentParser
import Credentials
import Definitions
import Evaluation
import Foundation
import MerkistoCore
import Storage

extension Merkisto {
    /// `merkisto issue`: evaluate, refuse what is not earned, sign, record durably, then hand out.
    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue",
            abstract: "Issue a signed Open Badges credential for a badge the client has earned.",
            discussion: """
                The client is evaluated first; a badge that is not earned is refused with exit status 3 and the \
                reasons, and nothing is written. The credential is committed to the database before it is printed \
                or written to --out.

                --all-earned issues every badge the stored clients (all, or those named) have earned and do not \
                yet hold (only --badge, when given), committing them in groups; progress is reported as groups \
                become durable.
                """
        )

        @Argument(help: "A stored client's id, or a client record file (JSON); with --all-earned, any number of stored clients (default: all).")
        var clients: [String] = []

        @Option(help: "The badge id.")
        var badge: String?

        @Flag(name: .customLong("all-earned"), help: "Issue every earned badge that is not yet held.")
        var allEarned = false

        @Option(name: .customLong("recipient-email"), help: "The recipient's e-mail address (only a salted hash goes in the credential).")
        var recipientEmail: String?

        @Option(name: .customLong("recipient-id"), help: "A pseudonymous subject id (a URI such as urn:uuid:… or a DID).")
        var recipientID: String?

        @Option(help: "ob3-jwt (default), ob3-ldp (Data Integrity proof, eddsa-rdfc-2022, an Ed25519 key), ob2-signed or ob2-hosted.")
        var format: CredentialFormatArgument = .ob3JWT

        @Option(help: "The key id to sign with; default: the newest active key of the algorithm.")
        var key: String?

        @Option(help: "Signature algorithm for ob3-jwt when --key is not given: ES256 (default), RS256 or EdDSA.")
        var alg: SigningAlgorithm?

        @Option(help: "Write the credential to this file instead of standard output.")
        var out: String?

        @Option(help: "Language of the credential's texts: fi, sv or en; default: the client's own language (Finnish when not set).")
        var lang: Language?

        @Flag(help: "Replace the credential of this badge and format the client holds: it is revoked (reason \"replaced\") in the transaction that records the new one.")
        var replace = false

        @OptionGroup var options: ServiceOptions

        func validate() throws {
            if replace, allEarned || clients.first.map({ ClientArgument($0).isFile }) == true {
                throw ValidationError("--replace replaces a stored client's credential: give a client id, not a record file or --all-earned")
            }
            if allEarned {
                if out != nil || recipientEmail != nil || recipientID != nil || lang != nil {
                    throw ValidationError("--all-earned issues to stored clients in their own language; --out, --recipient-email, --recipient-id and --lang do not apply")
                }
            } else {
                guard clients.count == 1 else { throw ValidationError("give one client (a stored id or a record file), or use --all-earned") }
                guard badge != nil else { throw ValidationError("--badge is required (or use --all-earned)") }
            }
        }

        func run() async throws {
            if allEarned { return try await issueAllEarned() }
            let client = clients[0]
            let badge = badge ?? ""
            if recipientEmail != nil && recipientID != nil {
                printError("merkisto issue: give --recipient-email or --recipient-id, not both")
                throw ExitCode(2)
            }
            let recipient: Recipient =
                recipientEmail.map { .email($0) } ?? recipientID.map { .subjectID($0) } ?? .anonymous
            if case .subjectID(let id) = recipient, !id.contains(":") {
                printError("merkisto issue: --recipient-id must be a URI such as urn:uuid:… or did:…")
                throw ExitCode(2)
            }
            let service = try await options.service("issue")
            let argument = ClientArgument(client)
            // A record file is issued from as it is; a stored client through the core's use case, which refuses
            // an erased client and a badge already held, and chooses the language.
            let record = argument.isFile ? try readClientRecord(client, compiled: service.compiled) : nil
            var language = lang ?? .fi
            if record == nil {
                language = try await MerkistoCLI.run("issue") { service.credentialLanguage(for: try await service.clientFile(client).client, requested: lang) }
            }
            let document: IssuedCredential
            do {
                if let record {
                    document = try await service.issue(
                        record: record, badge: badge, format: format.format, recipient: recipient, language: language, kid: key, algorithm: alg, as: .console)
                } else {
                    document = try await service.issue(
                        client: client, badge: badge, format: format.format, recipient: recipient, language: lang, kid: key, algorithm: alg,
                        replacing: replace, as: .console)
                }
            } catch let refused as NotEarned {
                printError(Localizer.shared.text("issue.notEarned", language, ["badge": badge, "client": record?.client ?? client]))
                printError(EvaluationReport(compiled: service.compiled, language: language).renderBadge(badge, in: refused.result), terminator: "")
                throw ExitCode(3)
            } catch let error as CredentialError {
                printError("merkisto issue: \(error.message)")
                throw ExitCode(1)
            } catch let error as CoreError {
                printError("merkisto issue: the credential was not issued: \(error.message)")
                throw ExitCode(1)
            }
            // Durable in the database: now hand it out.
            await options.keepDefinitions(of: service, "issue")
            let issuedArguments = ["id": document.id, "format": document.format.rawValue, "badge": badge]
            if let out {
                do {
                    try writeFile(document.bytes, to: out)
                } catch {
                    printError("merkisto issue: issued \(document.id) (in the database) but cannot write \(out); write it again with `merkisto export \(document.id) --out FILE`")
                    throw ExitCode(1)
                }
                printError(Localizer.shared.text("issue.issued", language, issuedArguments) + " → \(out)")
            } else {
                FileHandle.standardOutput.write(Data(document.bytes))
                if document.bytes.last != UInt8(ascii: "\n") { print() }
                printError(Localizer.shared.text("issue.issued", language, issuedArguments))
            }
        }
    }
}

extension Merkisto.Issue {
    private func issueAllEarned() async throws {
        try options.store.requireExisting("issue")
        let service = try await options.service("issue")
        let bar = ProgressBar(label: "issue")
        let result = try await MerkistoCLI.run("issue") {
            try await service.issueAllEarned(
                clients: clients.isEmpty ? nil : clients, badge: badge, format: format.format, kid: key, algorithm: alg, as: .console
            ) { issued, done, total in
                bar.update(done: done, total: total, note: "\(issued) credentials")
            }
        }
        bar.finish()
        if !result.issued.isEmpty { await options.keepDefinitions(of: service, "issue") }
        for (client, reason) in result.skipped { printError("merkisto issue: skipped \(client): \(reason)") }
        for credential in result.issued { print("\(credential.id)\t\(credential.client)\t\(credential.badge)\t\(credential.language.rawValue)") }
        printError("issued \(result.issued.count) credentials")
        if let failure = result.failure { printError("merkisto issue: stopped: \(failure); the credentials listed are issued, the rest are not") }
        if !result.skipped.isEmpty || result.failure != nil { throw ExitCode(1) }
    }
}

enum CredentialFormatArgument: String, ExpressibleByArgument, CaseIterable {
    case ob3JWT = "ob3-jwt"
    case ob3LDP = "ob3-ldp"
    case ob2Signed = "ob2-signed"
    case ob2Hosted = "ob2-hosted"

    var format: CredentialFormat {
        switch self {
        case .ob3JWT: .ob3JWT
        case .ob3LDP: .ob3LDP
        case .ob2Signed: .ob2Signed
        case .ob2Hosted: .ob2Hosted
        }
    }
}
