import ArgumentParser
import Credentials
import Definitions
import Evaluation
import Foundation
import Storage

extension Merkisto {
    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every public document a verifier needs (profiles, achievements, badge classes, keys, revocation lists, hosted assertions)."
        )

        @Option(name: .customLong("base-url"), help: "The URL the folder will be served at; default: the issuer's base-url.")
        var baseURL: String?

        @Option(help: "The output folder.")
        var out: String

        @OptionGroup var definitions: DefinitionOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let compiled = CompiledDefinitions(try definitions.load())
            let publisher = try withCredentialErrors { try CredentialPublisher(compiled: compiled, keys: keys.store, baseURL: baseURL) }
            let revoked: [CredentialPublisher.RevokedEntry]
            let hosted: [CredentialPublisher.HostedAssertion]
            do {
                let store = try SQLiteLedger(path: ledger.path)
                revoked = try store.revocations().map { CredentialPublisher.RevokedEntry(id: $0.credentialID, reason: $0.reason) }
                hosted = try store.credentials().filter { $0.format == CredentialFormat.ob2Hosted.rawValue }.compactMap { credential in
                    guard credential.id.hasPrefix(publisher.layout.base) else { return nil }
                    return CredentialPublisher.HostedAssertion(
                        id: credential.id, path: String(credential.id.dropFirst(publisher.layout.base.count)), bytes: credential.bytes)
                }
            } catch {
                printError("merkisto publish: \(error)")
                throw ExitCode(1)
            }
            let written = try withCredentialErrors { try publisher.publish(to: out, revoked: revoked, hosted: hosted) }
            print("published \(written.count) documents to \(out) for \(publisher.layout.base)")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an issued credential with a reason (run `merkisto publish` afterwards to update the revocation lists).")

        @Argument(help: "The credential id (urn:uuid:… or the hosted assertion URL).")
        var credential: String

        @Option(help: "Why the credential is revoked (shown to verifiers).")
        var reason: String

        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                printError("merkisto revoke: --reason must say why")
                throw ExitCode(2)
            }
            try ledger.requireExisting("revoke")
            do {
                let revocation = try SQLiteLedger(path: ledger.path).revoke(id: credential, reason: reason, at: Timestamp.now.description, actor: "cli")
                print("revoked \(revocation.credentialID) at \(revocation.revokedAt)")
            } catch {
                printError("merkisto revoke: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an issued credential again, byte for byte as it was issued, from the ledger.")

        @Argument(help: "The credential id (urn:uuid:… or the hosted assertion URL).")
        var credential: String

        @Option(help: "Write to this file instead of standard output.")
        var out: String?

        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            try ledger.requireExisting("export")
            let found: IssuedCredential?
            do {
                found = try SQLiteLedger(path: ledger.path).credential(id: credential)
            } catch {
                printError("merkisto export: \(error)")
                throw ExitCode(1)
            }
            guard let found else {
                printError("merkisto export: no credential \(credential) in \(ledger.path)")
                throw ExitCode(1)
            }
            if let out {
                do {
                    try Data(found.bytes).write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    printError("merkisto export: cannot write \(out)")
                    throw ExitCode(1)
                }
            } else {
                FileHandle.standardOutput.write(Data(found.bytes))
                if found.bytes.last != UInt8(ascii: "\n") { print() }
            }
        }
    }
}
