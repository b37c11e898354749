import ArgumentParser
import Definitions
import Evaluation
import Foundation

extension Merkisto {
    /// `merkisto bench`: speed figures measured in this run (use a release build).
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure evaluation speed on this machine (build with -c release for real figures)."
        )

        @Option(help: "Seconds to measure each figure.")
        var seconds: Double = 2

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @OptionGroup var definitions: DefinitionOptions

        func run() throws {
            guard seconds > 0, seconds <= 600 else {
                printError("merkisto bench: --seconds must be between 0 and 600")
                throw ExitCode(2)
            }
            let compiled = CompiledDefinitions(try definitions.load())
            let figures = EvaluationBenchmark.run(compiled: compiled, seconds: seconds)
            switch format {
            case .json:
                var object: [String: JSONValue] = [:]
                for figure in figures { object[figure.name] = .double(figure.value.rounded()) }
                object["seconds_per_figure"] = .double(seconds)
                #if DEBUG
                object["build"] = "debug"
                #else
                object["build"] = "release"
                #endif
                print(String(decoding: try JSONValue.object(object).encoded(), as: UTF8.self))
            case .text:
                for figure in figures {
                    let value = String(Int(figure.value.rounded()))
                    print("\(figure.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(value.leftPadded(to: 12))  \(figure.note)")
                }
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
