import ArgumentParser
import Foundation

/// The `merkisto` command: a thin front end over the Merkisto libraries.
@main
struct Merkisto: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merkisto",
        abstract: "Digital competence badges for rehabilitative work activity (DigComp 2.2, Open Badges).",
        subcommands: [Lint.self, Show.self, Evaluate.self, Bench.self]
    )

    /// Runs the command; usage mistakes exit with status 2 (not ArgumentParser's 64), as the README documents.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
