import ArgumentParser

/// The `merkisto` command: a thin front end over the Merkisto libraries.
@main
struct Merkisto: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merkisto",
        abstract: "Digital competence badges for rehabilitative work activity (DigComp 2.2, Open Badges).",
        subcommands: [Lint.self, Show.self]
    )
}
