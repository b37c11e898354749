import ArgumentParser
import Definitions
import Foundation

extension Merkisto {
    /// `merkisto lint`: check definition files and print located diagnostics.
    struct Lint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint",
            abstract: "Check definition files (XML) and report every problem with its file, line and column.",
            discussion: """
                Exit status: 0 when there are no errors (warnings are allowed unless --strict), 1 when there \
                are errors, 2 for usage or I/O problems.
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text
            case json
        }

        @Argument(help: "Files or folders to check (all *.xml below a folder). References resolve across all of them.")
        var paths: [String] = defaultPaths

        static let defaultPaths = ["BadgeDefinitions"]

        @Flag(help: "Treat warnings (such as a missing Swedish or English translation) as errors.")
        var strict = false

        @Option(help: "Output format: text (one diagnostic per line) or json (an array).")
        var format: Format = .text

        func run() async throws {
            try Self.lint(paths: paths, strict: strict, format: format)
        }

        /// The paths of `merkisto lint PATH…` when nothing else is given (no option, nothing that starts with
        /// "-", no "help"), read without the argument parser; nil for any other command line, which the
        /// parser reads. Its first use in a process takes some 2.3 ms of CPU (Swift's run-time look-ups of the
        /// commands' types), a fifth of linting one file, and editors lint on every save.
        static func plainPaths(_ arguments: [String]) -> [String]? {
            guard arguments.first == configuration.commandName else { return nil }
            let rest = arguments.dropFirst()
            guard rest.allSatisfy({ !$0.hasPrefix("-") && $0 != "help" }) else { return nil }
            return rest.isEmpty ? defaultPaths : Array(rest)
        }

        static func lint(paths: [String], strict: Bool, format: Format) throws {
            let result: LoadResult
            do {
                result = try DefinitionLoader.load(paths: paths)
            } catch {
                printError("merkisto lint: \(error)")
                throw ExitCode(2)
            }
            var diagnostics = result.diagnostics
            if strict {
                diagnostics = diagnostics.map { diagnostic in
                    var copy = diagnostic
                    copy.severity = .error
                    return copy
                }
            }
            switch format {
            case .text:
                for diagnostic in diagnostics { print(diagnostic) }
                let files = result.definitions.files.count
                printError(
                    "\(files) file\(files == 1 ? "" : "s") checked: \(diagnostics.errorCount) error(s), \(diagnostics.warningCount) warning(s).")
            case .json:
                print(try DiagnosticJSON.encode(diagnostics))
            }
            // Exits here, the definitions still held: the system takes the memory back at once, where freeing
            // 2,000 badges' models one by one took a hundredth of linting them (compilers end the same way).
            let status: Int32 = diagnostics.errorCount > 0 ? 1 : 0
            withExtendedLifetime(result) { Foundation.exit(status) }
        }
    }
}

func printError(_ message: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((message + terminator).utf8))
}
