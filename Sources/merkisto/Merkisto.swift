import ArgumentParser
import CMalloc
import Foundation

/// The `merkisto` command: a thin front end over the Merkisto libraries.
@main
struct Merkisto: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merkisto",
        abstract: "Digital competence badges for rehabilitative work activity (DigComp 2.2, Open Badges).",
        subcommands: [
            Lint.self, Show.self, DefinitionsCommand.self, Evaluate.self, Client.self, Import.self, PathwayCommand.self, Assess.self, Attest.self, Report.self, DryRun.self, Keys.self, Issue.self,
            Revoke.self, Suspend.self, Export.self, Handover.self, Publish.self, Verify.self, Bake.self, Unbake.self, UnitCommand.self, UserCommand.self, Audit.self, TokenCommand.self, DatabaseCommand.self, Backup.self, Bench.self, ScaleFillCommand.self, Serve.self,
        ]
    )

    /// Runs the command; usage mistakes exit with status 2 (not ArgumentParser's 64), as the README documents.
    static func main() async {
        // `lint` reads many files on several threads: their malloc heaps grow 4 MB at a time rather than by the
        // page (2,000 badges made some 1,100 mprotect calls). Set before the argument parser runs, so that
        // the heaps made from then on have it. Other commands, the server first, keep glibc's settings.
        #if canImport(Glibc)
        if CommandLine.arguments.dropFirst().first == Lint.configuration.commandName { _ = mallopt(M_TOP_PAD, 4 << 20) }
        #endif
        do {
            if let paths = Lint.plainPaths(Array(CommandLine.arguments.dropFirst())) {
                return try Lint.lint(paths: paths, strict: false, format: .text)
            }
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
