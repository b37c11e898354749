import Basics
public import ArgumentParser
public import Credentials
import Evaluation
import Foundation
import MerkistoCore

extension SigningAlgorithm: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

/// `--keys DIR`, shared by every command that signs or publishes.
struct KeyOptions: ParsableArguments {
    @Option(name: .customLong("keys"), help: "The key folder.")
    var directory: String = "keys"

    var store: KeyStore { KeyStore(directory: directory) }
}

extension Merkisto {
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keys",
            abstract: "Manage signing keys (private keys are stored with mode 0600 and never printed).",
            subcommands: [Generate.self, List.self, Retire.self]
        )

        struct Generate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate a signing key.")

            @Option(help: "ES256 (default, OB 3.0), RS256 (needed for OB 2.0 signed badges) or EdDSA.")
            var alg: SigningAlgorithm = .es256

            @Option(help: "Key id (lowercase letters, digits, hyphens); default: generated.")
            var kid: String?

            @Option(name: .customLong("dir"), help: "The key folder.")
            var directory: String = "keys"

            @OptionGroup var database: StoreOptions

            func run() async throws {
                let store = KeyStore(directory: directory)
                let before = Set(try withCredentialErrors { try store.list() }.map(\.kid))
                // Through the core, as the admin pages and the API do it: audited in the database.
                let live = try await database.keyService("keys generate", keys: store)
                let key = try await MerkistoCLI.run("keys generate") { try await live.generateKey(alg, kid: kid, as: .console) }
                print("generated \(key.algorithm.rawValue) key \(key.kid) in \(directory) (private key file mode 0600)")
                for added in try withCredentialErrors({ try store.list() }) where added.kid != key.kid && !before.contains(added.kid) {
                    print("generated \(added.algorithm.rawValue) key \(added.kid) as well: the status lists are signed with it")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys: id, algorithm, created, retired.")

            @Option(name: .customLong("dir"), help: "The key folder.")
            var directory: String = "keys"

            func run() async throws {
                let keys = try withCredentialErrors { try KeyStore(directory: directory).list() }
                if keys.isEmpty { print("no keys in \(directory); create one with `merkisto keys generate`") }
                for key in keys {
                    let state = key.retired.map { "retired \($0)" } ?? "active"
                    print("\(key.kid)\t\(key.algorithm.rawValue)\tcreated \(key.created)\t\(state)")
                }
            }
        }

        struct Retire: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "retire",
                abstract: "Retire a key: it signs nothing new but stays published, so old credentials still verify.")

            @Argument(help: "The key id.")
            var kid: String

            @Option(name: .customLong("dir"), help: "The key folder.")
            var directory: String = "keys"

            @OptionGroup var database: StoreOptions

            func run() async throws {
                let live = try await database.keyService("keys retire", keys: KeyStore(directory: directory))
                _ = try await MerkistoCLI.run("keys retire") { try await live.retireKey(kid, as: .console) }
                print("retired \(kid)")
            }
        }
    }
}

/// Runs a body and turns a ``CredentialError`` into a plain message with exit status 1.
func withCredentialErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as CredentialError {
        printError("merkisto: \(error.message)")
        throw ExitCode(1)
    }
}
