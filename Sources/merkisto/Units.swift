public import ArgumentParser
import Foundation
import MerkistoCore
import Rendering
public import Storage

extension User.Role: ExpressibleByArgument {}

extension Merkisto {
    struct UnitCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unit", abstract: "Work activity places (units), which clients belong to and instructors are assigned to.",
            subcommands: [Add.self, List.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a unit.")

            @Argument(help: "The unit's id (letters a–z, digits, - or _).")
            var id: String

            @Option(help: "The unit's name as people know it.")
            var name: String

            @OptionGroup var options: ServiceOptions

            func run() async throws {
                let service = try await options.service("unit add")
                _ = try await MerkistoCLI.run("unit add") { try await service.addUnit(id: id, name: name, as: .console) }
                print("added unit \(id)")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the units.")

            @OptionGroup var options: ServiceOptions

            func run() async throws {
                let service = try await options.service("unit list", existing: true)
                let units = try await MerkistoCLI.run("unit list") { try await service.units() }
                for unit in units { print("\(unit.id)\t\(unit.name)") }
            }
        }
    }

    struct UserCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "People who sign in: administrators, instructors (assigned to units) and clients.",
            subcommands: [Add.self, List.self, Password.self, Code.self])

        struct Code: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "code",
                abstract: "Make a one-time sign-in code for a client user: a code to type, a link, and the link as a QR code (SVG).")

            @Argument(help: "The client user's id.")
            var id: String

            @Option(help: "Write the QR code of the link to this SVG file.")
            var qr: String?

            @OptionGroup var options: ServiceOptions

            func run() async throws {
                let service = try await options.service("user code", existing: true)
                let code = try await MerkistoCLI.run("user code") { try await service.createSignInCode(for: id, as: .console) }
                if let qr { try writeFile(Data((QRCode.svg(code.link, title: code.link) ?? "").utf8), to: qr) }
                print("code \(code.code) for \(code.user), once, until \(code.expiresAt)")
                print(code.link)
            }
        }

        struct Password: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "password",
                abstract: "Set a user's password, read from standard input (at least 10 characters); the user's sessions end.")

            @Argument(help: "The user's id.")
            var id: String

            @OptionGroup var options: ServiceOptions

            func run() async throws {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    printError("merkisto user password: give the password on standard input")
                    throw ExitCode(2)
                }
                let service = try await options.service("user password", existing: true)
                try await MerkistoCLI.run("user password") { try await service.setPassword(user: id, password: line, as: .console) }
                print("set the password of \(id)")
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a user.")

            @Argument(help: "The user's id (letters a–z, digits, - or _).")
            var id: String

            @Option(help: "admin, instructor or client.")
            var role: User.Role

            @Option(name: .customLong("name"), help: "A display name.")
            var displayName: String?

            @Option(name: .customLong("unit"), help: "A unit the instructor is assigned to; repeat for more.")
            var units: [String] = []

            @Option(help: "For a client user: the client record they may see.")
            var client: String?

            @OptionGroup var options: ServiceOptions

            func run() async throws {
                let service = try await options.service("user add")
                _ = try await MerkistoCLI.run("user add") {
                    try await service.addUser(id: id, role: role, displayName: displayName, client: client, units: units, as: .console)
                }
                print("added \(role.rawValue) \(id)")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the users.")

            @OptionGroup var options: ServiceOptions

            func run() async throws {
                let service = try await options.service("user list", existing: true)
                for user in try await MerkistoCLI.run("user list", { try await service.users(as: .console) }) {
                    print([user.id, user.role.rawValue, user.units.joined(separator: ","), user.client ?? ""].joined(separator: "\t"))
                }
            }
        }
    }
}
