import Foundation
import Testing

@Suite("merkisto evaluate")
struct EvaluateCommandTests {
    static let clients = [
        "aloittelija", "edistyja", "kansalaisen-perustaso", "tyoelaman-perustaso", "itsearvio-korkea", "vanhentunut-merkki",
    ]
    static let at = "2026-11-22T12:00:00+02:00"

    @Test("text output of every example client in each language", arguments: clients, ["fi", "sv", "en"])
    func text(client: String, language: String) throws {
        let output = try CommandRunner.run(["evaluate", "examples/clients/\(client).json", "--at", Self.at, "--lang", language])
        #expect(output.status == 0, "\(output.stderr)")
        try Snapshot.assert(output.stdout, named: "evaluate-\(client)-\(language).txt")
    }

    @Test("JSON output of every example client in each language", arguments: clients, ["fi", "sv", "en"])
    func json(client: String, language: String) throws {
        let output = try CommandRunner.run([
            "evaluate", "examples/clients/\(client).json", "--at", Self.at, "--format", "json", "--lang", language,
        ])
        #expect(output.status == 0, "\(output.stderr)")
        let document = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        for key in ["client", "evaluatedAt", "definitionsDigest", "competences", "badges", "baselines", "next"] {
            #expect(document[key] != nil, "missing \(key)")
        }
        try Snapshot.assert(output.stdout, named: "evaluate-\(client)-\(language).json")
    }

    @Test("what the examples are meant to show")
    func exampleStories() throws {
        func result(_ client: String) throws -> [String: Any] {
            let output = try CommandRunner.run(["evaluate", "examples/clients/\(client).json", "--at", Self.at, "--format", "json"])
            return try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        }
        func levels(_ document: [String: Any]) -> [Int] {
            (document["competences"] as? [[String: Any]] ?? []).compactMap { $0["level"] as? Int }
        }
        func baselineMet(_ document: [String: Any], _ id: String) -> Bool? {
            (document["baselines"] as? [[String: Any]])?.first { $0["id"] as? String == id }?["met"] as? Bool
        }
        func earned(_ document: [String: Any]) -> [String] {
            (document["badges"] as? [[String: Any]] ?? []).filter { $0["earned"] as? Bool == true }.compactMap { $0["id"] as? String }
        }
        let beginner = try result("aloittelija")
        #expect(levels(beginner).allSatisfy { $0 == 0 })
        #expect(earned(beginner).isEmpty)

        let citizen = try result("kansalaisen-perustaso")
        #expect(baselineMet(citizen, "kansalaisen-perustaso") == true)
        #expect(baselineMet(citizen, "tyoelaman-perustaso") == false)

        let work = try result("tyoelaman-perustaso")
        #expect(baselineMet(work, "tyoelaman-perustaso") == true)
        #expect(earned(work).contains("tyoelaman-digitaidot"))

        let selfHigh = try result("itsearvio-korkea")
        #expect(!earned(selfHigh).contains("sahkoposti-ja-liitteet"))
        #expect(baselineMet(selfHigh, "tyoelaman-perustaso") == false)

        let expired = try result("vanhentunut-merkki")
        let security = (expired["badges"] as? [[String: Any]])?.first { $0["id"] as? String == "tietoturvan-perusteet" }
        #expect(security?["held"] is NSNull)
        #expect(security?["earned"] as? Bool == false)
    }

    @Test("progress over three checkpoints: levels rise and badges follow")
    func progress() throws {
        func earnedCount(at time: String) throws -> Int {
            let output = try CommandRunner.run(["evaluate", "examples/clients/edistyja.json", "--at", time, "--format", "json"])
            let document = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            return (document["badges"] as? [[String: Any]] ?? []).count { $0["earned"] as? Bool == true }
        }
        let start = try earnedCount(at: "2026-02-03T00:00:00+02:00")
        let interim = try earnedCount(at: "2026-04-17T00:00:00+03:00")
        let end = try earnedCount(at: "2026-06-12T00:00:00+03:00")
        #expect(start < interim && interim < end)
    }

    struct BadRecord: Sendable, CustomTestStringConvertible {
        var name: String
        var content: String
        var message: String
        var testDescription: String { name }
    }

    static let badRecords: [BadRecord] = [
        BadRecord(name: "not JSON", content: "asiakas;taso\n", message: "not valid JSON"),
        BadRecord(name: "wrong type", content: "{\"client\": [\"x\"]}", message: "client: expected a string, found an array"),
        BadRecord(
            name: "value outside its scale",
            content:
                "{\"client\": \"x\", \"assessments\": [{\"id\": \"a\", \"assessedAt\": \"2026-01-01T10:00:00Z\", \"assessor\": \"o\", \"evidence\": \"self\", \"instrument\": \"digitaitojen-kartoitus\", \"responses\": [{\"item\": \"haku\", \"value\": 5}]}]}",
            message: "assessments[0].responses[0].value: 5 is not an option of scale taito"),
        BadRecord(
            name: "unknown item",
            content:
                "{\"client\": \"x\", \"assessments\": [{\"id\": \"a\", \"assessedAt\": \"2026-01-01T10:00:00Z\", \"assessor\": \"o\", \"evidence\": \"self\", \"instrument\": \"digitaitojen-kartoitus\", \"responses\": [{\"item\": \"hakku\", \"value\": 1}]}]}",
            message: "assessments[0].responses[0].item: instrument \"digitaitojen-kartoitus\" has no item \"hakku\""),
        BadRecord(
            name: "unknown competence",
            content:
                "{\"client\": \"x\", \"assessments\": [{\"id\": \"a\", \"assessedAt\": \"2026-01-01T10:00:00Z\", \"assessor\": \"o\", \"evidence\": \"self\", \"levels\": [{\"competence\": \"6.1\", \"level\": 1}]}]}",
            message: "assessments[0].levels[0].competence: there is no competence \"6.1\""),
        BadRecord(
            name: "timestamp without offset",
            content:
                "{\"client\": \"x\", \"assessments\": [{\"id\": \"a\", \"assessedAt\": \"2026-01-01T10:00:00\", \"assessor\": \"o\", \"evidence\": \"self\", \"levels\": [{\"competence\": \"1.1\", \"level\": 1}]}]}",
            message: "assessments[0].assessedAt: \"2026-01-01T10:00:00\" has no UTC offset"),
        BadRecord(
            name: "duplicate assessment ids",
            content:
                "{\"client\": \"x\", \"assessments\": [{\"id\": \"a\", \"assessedAt\": \"2026-01-01T10:00:00Z\", \"assessor\": \"o\", \"evidence\": \"self\", \"levels\": [{\"competence\": \"1.1\", \"level\": 1}]}, {\"id\": \"a\", \"assessedAt\": \"2026-01-02T10:00:00Z\", \"assessor\": \"o\", \"evidence\": \"self\", \"levels\": [{\"competence\": \"1.2\", \"level\": 1}]}]}",
            message: "assessments[1].id: \"a\" is already the id of assessments[0]"),
        BadRecord(name: "binary", content: "\u{0}\u{1}\u{2}\u{FFFD}", message: "not valid JSON"),
    ]

    @Test("bad client records exit 1 naming the file and the JSON path", arguments: badRecords)
    func badRecord(_ bad: BadRecord) throws {
        let directory = NSTemporaryDirectory() + "merkisto-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/client.json"
        try bad.content.write(toFile: path, atomically: true, encoding: .utf8)
        let output = try CommandRunner.run(["evaluate", path, "--at", Self.at])
        #expect(output.status == 1)
        #expect(output.stdout.isEmpty)
        #expect(output.stderr.contains("\(path): \(bad.message)"), "\(output.stderr)")
    }

    @Test("usage problems exit 2")
    func usage() throws {
        #expect(try CommandRunner.run(["evaluate", "examples/clients/edistyja.json", "--at", "yesterday"]).status == 2)
        #expect(try CommandRunner.run(["evaluate", "no-such-client.json"]).status == 2)
        #expect(try CommandRunner.run(["evaluate", "examples/clients/edistyja.json", "--lang", "de"]).status == 2)
    }
}
