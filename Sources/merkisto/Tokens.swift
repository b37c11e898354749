public import ArgumentParser
import Basics
import Foundation
import MerkistoCore
public import Storage

extension APIToken.Scope: ExpressibleByArgument {}

extension Merkisto {
    struct TokenCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token", abstract: "API tokens for integrations: each acts as one user, within its scopes.",
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "create",
                abstract: "Make a token for a user and print it once (only a hash of its secret is stored).")

            @Argument(help: "The user the token acts as.")
            var user: String

            @Option(help: "What the token is for (shown in lists).")
            var name: String

            @Option(help: "read, record, award or admin; repeat for more.")
            var scope: [APIToken.Scope]

            @Option(help: "When the token stops working (2027-06-30, or an RFC 3339 time).", transform: Timestamp.argument)
            var expires: Timestamp?

            @OptionGroup var options: ServiceOptions

            func run() async throws {
                let expiresAt = expires
                let service = try await options.service("token create", existing: true)
                let (token, text) = try await MerkistoCLI.run("token create") {
                    try await service.createToken(for: user, name: name, scopes: scope, expiresAt: expiresAt, as: .console)
                }
                printError("token \(token.id) for \(token.user) (\(token.scopes.map(\.rawValue).joined(separator: " "))); it is shown only now:")
                print(text)
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the tokens (never their secrets).")

            @OptionGroup var options: ServiceOptions

            func run() async throws {
                let service = try await options.service("token list", existing: true)
                for token in try await MerkistoCLI.run("token list", { try await service.tokens(as: .console) }) {
                    let state = token.revokedAt.map { "revoked \($0)" } ?? token.expiresAt.map { "expires \($0)" } ?? "active"
                    print([token.id, token.user, token.scopes.map(\.rawValue).joined(separator: ","), state, token.name].joined(separator: "\t"))
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token: it stops working at once.")

            @Argument(help: "The token's id (the part after mrk_).")
            var id: String

            @OptionGroup var options: ServiceOptions

            func run() async throws {
                let service = try await options.service("token revoke", existing: true)
                try await MerkistoCLI.run("token revoke") { try await service.revokeToken(id, as: .console) }
                print("revoked token \(id)")
            }
        }
    }
}
