import Storage
import ArgumentParser
import Basics
import MerkistoCore

extension Merkisto {
    struct PathwayCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pathway", abstract: "Follow a client's pathway: start a period, move it along the model, close it with an outcome.",
            subcommands: [Start.self, Advance.self, Close.self])
    }
}

extension Merkisto.PathwayCommand {
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a pathway period (a fixed-term decision) in the model's first phase.")

        @Argument(help: "The client id.")
        var client: String

        @Option(help: "The phase to start in; default: the model's first phase.")
        var phase: String?

        @Option(name: .customLong("decision-start"), help: "The decision's first day (2026-03-01).", transform: Timestamp.argument)
        var decisionStart: Timestamp?

        @Option(name: .customLong("decision-end"), help: "The decision's last day (2026-08-31).", transform: Timestamp.argument)
        var decisionEnd: Timestamp?

        @Option(help: "When the period started (RFC 3339 or a date); default: now.", transform: Timestamp.argument)
        var at: Timestamp?

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let time = at
            let start = decisionStart
            let end = decisionEnd
            let service = try await options.service("pathway start", existing: true)
            let period = try await MerkistoCLI.run("pathway start") {
                try await service.startPathway(client: client, phase: phase, decisionStart: start, decisionEnd: end, at: time, as: .console)
            }
            print("started \(period.id) for \(client) in phase \(period.currentPhase ?? "")")
        }
    }

    struct Advance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "advance", abstract: "Move the client's open period to a phase the model allows next.")

        @Argument(help: "The client id.")
        var client: String

        @Argument(help: "The next phase.")
        var phase: String

        @Option(help: "When the move happened (RFC 3339 or a date); default: now.", transform: Timestamp.argument)
        var at: Timestamp?

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let time = at
            let service = try await options.service("pathway advance", existing: true)
            let period = try await MerkistoCLI.run("pathway advance") { try await service.advancePathway(client: client, to: phase, at: time, as: .console) }
            print("\(period.id): now in phase \(period.currentPhase ?? "")")
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "close", abstract: "Close the client's open period with an outcome of the model.")

        @Argument(help: "The client id.")
        var client: String

        @Option(help: "The outcome (an <outcome> id of the pathway model).")
        var outcome: String

        @Option(help: "When the period ended (RFC 3339 or a date); default: now.", transform: Timestamp.argument)
        var at: Timestamp?

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let time = at
            let service = try await options.service("pathway close", existing: true)
            let period = try await MerkistoCLI.run("pathway close") { try await service.closePathway(client: client, outcome: outcome, at: time, as: .console) }
            print("closed \(period.id) with outcome \(outcome)")
        }
    }
}
