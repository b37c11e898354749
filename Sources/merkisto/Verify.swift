import MerkistoCore
import Basics
import ArgumentParser
import Credentials
import Definitions
import Evaluation
import Foundation

extension Merkisto {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify a credential: signature, structure, dates, revocation and optionally the recipient.",
            discussion: """
                INPUT is a JWT/JWS, a JSON document or a baked PNG/SVG (a file, or the token itself). Without \
                --published or --jwks, it is checked as the server's verification page checks it: against the \
                keys, status lists and hosted assertions of the database (--db) and key folder (--keys). Exit 0 \
                valid, 1 not valid, 2 usage.
                """
        )

        @Argument(help: "The credential file or token.")
        var input: String

        @Option(help: "A folder written by `merkisto publish` (keys, revocation lists, hosted assertions).")
        var published: String?

        @Option(help: "A JWKS file with the issuer's public keys (no revocation check).")
        var jwks: String?

        @Option(name: .customLong("recipient-email"), help: "Check that the credential was issued to this e-mail address.")
        var recipientEmail: String?

        @Option(help: "Verify as of this time (RFC 3339 or a date); default: now.", transform: Timestamp.argument)
        var at: Timestamp?

        @OptionGroup var service: ServiceOptions

        @Option(help: "Language of the report: fi, sv or en.")
        var lang: Language = .fi

        func run() async throws {
            let time = at ?? .now
            // A file (not read when it is larger than a verifier takes), or the token itself.
            let bytes: [UInt8]?
            if FileManager.default.fileExists(atPath: input) {
                let size = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? 0
                bytes = size > CredentialVerifier.maximumInputBytes ? nil : FileManager.default.contents(atPath: input).map(Array.init) ?? []
            } else {
                bytes = Array(input.utf8)
            }
            if published == nil, jwks == nil {
                // Through the core, as the verification page does.
                let core = try await service.service("verify", existing: true)
                var report = CredentialVerifier.tooLarge
                if let bytes { report = try await MerkistoCLI.run("verify") { try await core.verify(bytes, recipientEmail: recipientEmail, at: time) } }
                try Self.say(report, lang)
                return
            }
            let verifier: CredentialVerifier
            do {
                if let published {
                    verifier = try CredentialVerifier(publishedDirectory: published)
                } else if let jwks, let data = FileManager.default.contents(atPath: jwks) {
                    verifier = try CredentialVerifier(jwksData: data)
                } else {
                    printError("merkisto verify: cannot read the JWKS file \(jwks ?? "")")
                    throw ExitCode(2)
                }
            } catch let error as CredentialError {
                printError("merkisto verify: \(error.message)")
                throw ExitCode(2)
            }
            try Self.say(bytes.map { verifier.verify(input: $0, recipientEmail: recipientEmail, now: time) } ?? CredentialVerifier.tooLarge, lang)
        }

        /// The report in plain words; not valid: exit 1.
        static func say(_ report: VerificationReport, _ lang: Language) throws {
            let strings = Localizer.shared
            let what = [
                report.kind, report.id, report.badgeName.map { "“\($0)”" }, report.keyID.map { strings.text("verify.key", lang, ["kid": $0]) },
            ]
            .compactMap { $0 }.joined(separator: " ")
            if report.isValid {
                print(strings.text("verify.valid", lang, ["what": what]))
            } else {
                print(strings.text("verify.invalid", lang, ["what": what]))
                for failure in report.failures { print("  - \(failure.text(in: lang))") }
                throw ExitCode(1)
            }
        }
    }

    struct Bake: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "bake", abstract: "Bake a credential into a PNG or SVG badge image.")

        @Option(help: "The credential (JWT/JWS or JSON file).")
        var credential: String

        @Option(help: "The badge image (PNG or SVG).")
        var image: String

        @Option(help: "The baked image to write.")
        var out: String

        func run() async throws {
            guard let credentialData = FileManager.default.contents(atPath: credential),
                let imageData = FileManager.default.contents(atPath: image)
            else {
                printError("merkisto bake: cannot read \(credential) or \(image)")
                throw ExitCode(2)
            }
            let baked = try withCredentialErrors {
                try Baker.bake(String(decoding: credentialData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), into: imageData)
            }
            do { try writeFile(baked, to: out) } catch {
                printError("merkisto bake: cannot write \(out)")
                throw ExitCode(1)
            }
            print("baked into \(out)")
        }
    }

    struct Unbake: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unbake", abstract: "Print the credential baked into a PNG or SVG.")

        @Argument(help: "The baked image.")
        var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("merkisto unbake: cannot read \(file)")
                throw ExitCode(2)
            }
            guard let credential = try withCredentialErrors({ try Baker.unbake(data) }) else {
                printError("merkisto unbake: nothing is baked into \(file)")
                throw ExitCode(1)
            }
            print(credential)
        }
    }
}
