import Basics
import Definitions
import Foundation
import Testing

@testable import Evaluation

/// The test definition set (`Fixtures/defs`) compiled once, and helpers to write client records as JSON.
enum Fixture {
    static let compiled: CompiledDefinitions = {
        let path = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path + "/defs"
        let result = try! DefinitionLoader.load(paths: [path])
        precondition(!result.hasErrors, "\(result.diagnostics)")
        return CompiledDefinitions(result.definitions)
    }()

    static let shipped: CompiledDefinitions = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let result = try! DefinitionLoader.load(paths: [repository.path + "/BadgeDefinitions"])
        precondition(!result.hasErrors, "\(result.diagnostics)")
        return CompiledDefinitions(result.definitions)
    }()

    static let now = time("2026-11-22T12:00:00+02:00")

    static func time(_ text: String) -> Timestamp {
        guard case .success(let time) = Timestamp.parse(text) else { preconditionFailure("bad time \(text)") }
        return time
    }

    /// An assessment of the test instrument `q`.
    static func assessment(
        _ id: String, at: String = "2026-03-01T10:00:00+02:00", evidence: String = "observed", responses: [String: Int] = [:],
        levels: [String: Int] = [:], instrument: Bool = true
    ) -> String {
        var fields = [
            "\"id\": \"\(id)\"", "\"assessedAt\": \"\(at)\"", "\"assessor\": \"ohjaaja-1\"", "\"evidence\": \"\(evidence)\"",
        ]
        if instrument { fields.append("\"instrument\": \"q\"") }
        if !responses.isEmpty {
            let list = responses.sorted { $0.key < $1.key }.map { "{\"item\": \"\($0.key)\", \"value\": \($0.value)}" }
            fields.append("\"responses\": [\(list.joined(separator: ", "))]")
        }
        if !levels.isEmpty {
            let list = levels.sorted { $0.key < $1.key }.map { "{\"competence\": \"\($0.key)\", \"level\": \($0.value)}" }
            fields.append("\"levels\": [\(list.joined(separator: ", "))]")
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    static func record(_ assessments: [String], attestations: [String] = [], awards: [String] = []) -> String {
        """
        {"client": "asiakas-1", "assessments": [\(assessments.joined(separator: ", "))],
         "attestations": [\(attestations.joined(separator: ", "))], "awards": [\(awards.joined(separator: ", "))]}
        """
    }

    static func read(_ json: String, definitions: CompiledDefinitions = compiled) throws(ClientRecordErrors) -> ClientRecord {
        try ClientRecordReader(definitions: definitions).read(Data(json.utf8))
    }

    static func evaluate(_ json: String, at time: Timestamp = now) throws -> EvaluationResult {
        Evaluator(compiled).evaluate(try read(json), at: time)
    }
}

extension EvaluationResult {
    func level(_ code: String) -> Int { competences.first { $0.code == code }?.level ?? -1 }
    func earned(_ badge: String) -> Bool { badges.first { $0.id == badge }?.earned ?? false }
    func badge(_ id: String) -> BadgeResult? { badges.first { $0.id == id } }
}
