import Basics
import ArgumentParser
import Definitions
import Evaluation
import MerkistoCore

extension Merkisto {
    struct DryRun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dry-run",
            abstract: "Before a change of definitions goes live: which stored clients would gain or lose which badge.",
            discussion: "Exit status 0 with no changes, 3 when some client would gain or lose a badge, 1 on errors.")

        @Option(name: .customLong("definitions"), help: "The changed definition folder.")
        var proposed: String

        @Option(help: "The definitions in use now.")
        var current: String = "BadgeDefinitions"

        @Option(help: "As of this time (RFC 3339 or a date); default: now.", transform: Timestamp.argument)
        var at: Timestamp?

        @OptionGroup var store: StoreOptions
        @OptionGroup var keys: KeyOptions

        func run() async throws {
            let time = at
            let now = CompiledDefinitions(try DefinitionOptions.load(current))
            let next = CompiledDefinitions(try DefinitionOptions.load(proposed))
            try store.requireExisting("dry-run")
            let service = BadgeService(store: try await store.open("dry-run"), compiled: now, keys: keys.store)
            let (changes, clients) = try await MerkistoCLI.run("dry-run") { try await service.dryRun(against: next, at: time) }
            for change in changes {
                var parts: [String] = []
                if !change.gained.isEmpty { parts.append("gains " + change.gained.joined(separator: ", ")) }
                if !change.lost.isEmpty { parts.append("loses " + change.lost.joined(separator: ", ")) }
                if !change.unbindable.isEmpty { parts.append("record no longer fits: " + change.unbindable.joined(separator: "; ")) }
                print("\(change.client): \(parts.joined(separator: "; "))")
            }
            printError("\(clients) clients checked against \(proposed): \(changes.count) would change")
            if !changes.isEmpty { throw ExitCode(3) }
        }
    }
}
