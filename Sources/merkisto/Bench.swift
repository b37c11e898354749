import MerkistoCore
import Basics
import ArgumentParser
import Credentials
import Definitions
import Evaluation
import Foundation
import Storage

extension Merkisto {
    /// `merkisto bench`: speed figures measured in this run (use a release build).
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure evaluation, issuing, verifying and ledger speed on this machine (build with -c release for real figures).",
            discussion: """
                Every figure is measured in this run. Each credential figure has a bare-cryptography figure \
                beside it, measured on the same inputs in the same run, so ratios compare like with like.
                """
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
            var figures = EvaluationBenchmark.run(compiled: compiled, seconds: seconds)
            do {
                let workload = try CredentialWorkload(compiled: compiled, clients: 200)
                figures += try CredentialBenchmark.run(workload, seconds: seconds)
                figures.append(try ledgerFigure(workload))
            } catch {
                printError("merkisto bench: \(error)")
                throw ExitCode(1)
            }
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

/// Durable issues per second: build, sign and commit each credential to a fresh SQLite ledger
/// (WAL, synchronous FULL), one transaction per credential, as `merkisto issue` does.
private func ledgerFigure(_ workload: CredentialWorkload) throws -> BenchmarkFigure {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-bench-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try SQLiteStore(path: directory + "/merkisto.sqlite")
    var index = 0
    var failure: (any Error)?
    let rate = measureRate(seconds: 1) {
        for _ in 0..<8 {
            do {
                let document = try workload.issue(index)
                try store.recordCredential(IssuedCredential(document, client: "bench-\(index)", language: .fi), by: "bench", at: document.issuedAt)
            } catch {
                failure = error
            }
            index += 1
        }
        return 8
    }
    if let failure { throw failure }
    return BenchmarkFigure(
        name: "ledger_issues_per_s", value: rate,
        note: "durable issues per second: build, sign and commit to SQLite (WAL, synchronous FULL), one transaction each")
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
