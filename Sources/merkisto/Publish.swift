import Basics
import Storage
import ArgumentParser
import Foundation
import MerkistoCore

extension Merkisto {
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish",
            abstract: "Write every public document a verifier needs (profiles, achievements, badge classes, keys, revocation lists, hosted assertions)."
        )

        @Option(help: "The output folder.")
        var out: String

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let service = try await options.service("publish")
            let (base, written) = try await MerkistoCLI.run("publish") { try await service.publish(to: out) }
            print("published \(written.count) documents to \(out) for \(base)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke an issued credential with a reason (run `merkisto publish` afterwards to update the revocation lists).")

        @Argument(help: "The credential id (urn:uuid:… or the hosted assertion URL).")
        var credential: String

        @Option(help: "Why the credential is revoked (kept for staff; verifiers see only that it is revoked).")
        var reason: String

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let service = try await store.storeService("revoke")
            let revocation = try await MerkistoCLI.run("revoke") { try await service.revoke(credential: credential, reason: reason, as: .console) }
            print("revoked \(revocation.credentialID) at \(revocation.revokedAt)")
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "suspend",
            abstract: "Suspend an OB 3.0 credential, or lift its suspension with --lift (run `merkisto publish` afterwards to update the status lists).",
            discussion: """
                A suspended credential fails verification, named as suspended, until the suspension is lifted; a \
                revocation, by contrast, is for good. The credential's bit in the issuer's suspension list is set \
                while it is suspended.
                """)

        @Argument(help: "The credential id (urn:uuid:…).")
        var credential: String

        @Option(help: "Why the credential is suspended (kept in the database, not published).")
        var reason: String?

        @Flag(help: "Lift the suspension.")
        var lift = false

        @OptionGroup var store: StoreOptions

        func validate() throws {
            if lift, reason != nil { throw ValidationError("--lift takes no --reason") }
        }

        func run() async throws {
            let service = try await store.storeService("suspend")
            if lift {
                try await MerkistoCLI.run("suspend") { try await service.liftSuspension(credential: credential, as: .console) }
                print("lifted the suspension of \(credential)")
            } else {
                let suspension = try await MerkistoCLI.run("suspend") { try await service.suspend(credential: credential, reason: reason ?? "", as: .console) }
                print("suspended \(suspension.credentialID) at \(suspension.suspendedAt)")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write an issued credential again, byte for byte as it was issued, from the database.")

        @Argument(help: "The credential id (urn:uuid:… or the hosted assertion URL).")
        var credential: String

        @Option(help: "Write to this file instead of standard output.")
        var out: String?

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let ledger = try await store.ledger("export")
            let found = try await MerkistoCLI.run("export") { try await ledger.credential(id: credential) }
            try writeOutput(found.bytes, to: out, command: "export")
        }
    }
}

/// Writes a file the user named: atomically (a new file renamed into place) when it is or will be a
/// regular file, straight into it when it is a device or a pipe (`/dev/stdout`, `/dev/null`), which a
/// rename would replace.
func writeFile(_ bytes: some DataProtocol, to path: String) throws {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    let regular = attributes.map { ($0[.type] as? FileAttributeType) == .typeRegular } ?? true
    try Data(bytes).write(to: URL(fileURLWithPath: path), options: regular ? .atomic : [])
}

/// Writes bytes to a file or to standard output, ending standard output with a newline.
func writeOutput(_ bytes: [UInt8], to path: String?, command: String) throws {
    if let path {
        do {
            try writeFile(bytes, to: path)
        } catch {
            printError("merkisto \(command): cannot write \(path)")
            throw ExitCode(1)
        }
    } else {
        FileHandle.standardOutput.write(Data(bytes))
        if bytes.last != UInt8(ascii: "\n") { print() }
    }
}
