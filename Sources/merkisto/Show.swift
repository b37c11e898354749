import Basics
import ArgumentParser
import Definitions

extension Merkisto {
    /// `merkisto show`: a definition as an administrator reads it.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a definition as an administrator reads it.",
            subcommands: [ShowBadge.self]
        )
    }

    struct ShowBadge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "badge",
            abstract: "Show a badge with its criteria written out in plain language."
        )

        @Argument(help: "The badge id, for example sahkoposti-ja-liitteet.")
        var id: String

        @Option(help: "Language of the text: fi, sv or en.")
        var lang: Language = .fi

        @OptionGroup var definitions: DefinitionOptions

        func run() async throws {
            let set = try definitions.load()
            guard let badge = set.badge(id) else {
                printError("merkisto: there is no badge \"\(id)\"; known badges: \(set.badges.map(\.id).sorted().joined(separator: ", ")).")
                throw ExitCode(2)
            }
            print(BadgeSheet(definitions: set, language: lang).render(badge), terminator: "")
        }
    }
}
