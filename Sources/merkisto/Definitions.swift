import ArgumentParser
import Definitions
import Evaluation
import Foundation
import MerkistoCore
import Storage

extension Merkisto {
    /// `merkisto definitions push | list | activate`: the definition sets the database keeps.
    struct DefinitionsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "definitions",
            abstract: "Keep definition sets in the database as versions, list them and choose the one in use.",
            discussion: """
                The server uses the version the database has in use (a folder given with --definitions is only \
                the first version). A running server takes a version activated here at its next start; the \
                admin pages and the API activate one at once.
                """,
            subcommands: [Push.self, List.self, Activate.self])
    }
}

/// The live service the definitions commands work with: the database, and the versions unpacked beside it.
struct VersionOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var keys: KeyOptions

    func live(_ command: String) async throws -> LiveService {
        let service = BadgeService(store: try await store.open(command), compiled: CompiledDefinitions(DefinitionSet()), keys: keys.store)
        return LiveService(service, definitionsDirectory: nil, versionsFolder: store.versionsFolder)
    }
}

extension Merkisto.DefinitionsCommand {
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push", abstract: "Lint a definitions folder and, without errors, keep it as a version (not yet in use).",
            discussion: "Prints the version's digest. Exit status 1 when lint finds errors (nothing is kept).")

        @Argument(help: "The definitions folder.")
        var folder: String

        @OptionGroup var options: VersionOptions

        func run() async throws {
            let live = try await options.live("definitions push")
            let upload = try await MerkistoCLI.run("definitions push") { try await live.pushDefinitions(folder: folder, as: .console) }
            for diagnostic in upload.diagnostics { printError(folder + "/" + diagnostic.description) }
            guard let digest = upload.digest else {
                printError("merkisto definitions push: the definitions in \(folder) have errors; nothing was kept")
                throw ExitCode(1)
            }
            print(digest)
            printError(upload.added ? "kept as a new version; activate it with: merkisto definitions activate \(digest)" : "this version was kept already")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the kept versions, oldest first: digest, when and by whom kept, files, and \"in use\" for the one in use.")

        @OptionGroup var options: VersionOptions

        func run() async throws {
            try options.store.requireExisting("definitions list")
            let live = try await options.live("definitions list")
            for state in try await MerkistoCLI.run("definitions list", { try await live.definitionsVersions(as: .console) }) {
                let version = state.version
                print("\(version.digest)  \(version.uploadedAt)  \(version.files) files  by \(version.uploadedBy)\(state.active ? "  in use" : "")")
            }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "activate", abstract: "Put a kept version in use (rolling back is activating an older one).")

        @Argument(help: "The version's digest (as `definitions list` prints it).")
        var digest: String

        @OptionGroup var options: VersionOptions

        func run() async throws {
            try options.store.requireExisting("definitions activate")
            let live = try await options.live("definitions activate")
            _ = try await MerkistoCLI.run("definitions activate") { try await live.activateDefinitions(digest, as: .console) }
            print("in use: \(digest)")
        }
    }
}
