import ArgumentParser
import Basics
import Credentials
import Definitions
import Foundation
import MerkistoCore

extension Merkisto {
    /// `merkisto handover`: the client's hand-over package (CLR 2.0), made by the core's one use case.
    struct Handover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "handover",
            abstract: "Make a client's hand-over package: one signed CLR 2.0 credential with their valid badges and their progress towards the baselines.",
            discussion: """
                The package is a ClrCredential: every valid OB 3.0 credential the client holds, each exactly as \
                issued with its own proof, the badges and baselines as achievements with associations, and the \
                progress towards each baseline as a signed credential with results. ob3-ldp (default) signs it \
                with eddsa-rdfc-2022 and carries the ob3-ldp credentials; ob3-jwt makes it a VC-JWT and also \
                carries the ob3-jwt credentials. Credentials it cannot carry are listed on standard error. The \
                making is audited (consent: command line). Ask the client first.
                """)

        enum PackageFormat: String, ExpressibleByArgument, CaseIterable {
            case ob3LDP = "ob3-ldp"
            case ob3JWT = "ob3-jwt"
        }

        @Argument(help: "The client id.")
        var client: String

        @Option(help: "Write the package to this file instead of standard output.")
        var out: String?

        @Option(help: "ob3-ldp (JSON with a Data Integrity proof, default) or ob3-jwt (a VC-JWT).")
        var format: PackageFormat = .ob3LDP

        @Option(help: "Language of the package's texts: fi, sv or en; default: the client's own language.")
        var lang: Language?

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let service = try await options.service("handover", existing: true)
            let handover = try await MerkistoCLI.run("handover") {
                try await service.handover(client: client, format: format == .ob3LDP ? .ob3LDP : .ob3JWT, language: lang, as: .console)
            }
            try writeOutput(handover.package.bytes, to: out, command: "handover")
            let package = handover.package
            printError(
                "handover: \(package.id) (\(package.format.rawValue)) with \(package.included.count) credentials and the progress towards \(package.baselines.count) baselines"
                    + (out.map { " written to \($0)" } ?? ""))
            if !package.leftOut.isEmpty {
                printError(
                    "handover: not carried (\(format == .ob3LDP ? "a Data Integrity package carries only ob3-ldp credentials; try --format ob3-jwt" : "OB 2.0 assertions are not carried")): "
                        + package.leftOut.joined(separator: ", "))
            }
        }
    }
}
