import Basics
public import ArgumentParser
import Definitions

/// `--definitions DIR`, shared by every command that works on a loaded definition set.
struct DefinitionOptions: ParsableArguments {
    static let defaultDirectory = "BadgeDefinitions"

    @Option(name: .customLong("definitions"), help: "The definition folder to load.")
    var directory: String = Self.defaultDirectory

    /// Loads and checks the definitions; errors are printed and end the command with exit status 1.
    func load() throws -> DefinitionSet { try Self.load(directory) }

    /// Loads and checks the definitions in a folder, as ``load()`` does.
    static func load(_ directory: String) throws -> DefinitionSet {
        let result: LoadResult
        do {
            result = try DefinitionLoader.load(paths: [directory])
        } catch {
            printError("merkisto: \(error)")
            throw ExitCode(2)
        }
        if result.hasErrors {
            for diagnostic in result.diagnostics where diagnostic.severity == .error { printError(diagnostic.description) }
            printError("merkisto: the definitions in \(directory) have errors; run `merkisto lint \(directory)` for details.")
            throw ExitCode(1)
        }
        return result.definitions
    }
}

extension Language: ExpressibleByArgument {}
