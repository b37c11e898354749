import Basics
import Definitions
import Foundation
import Testing

@testable import Evaluation

/// Bad client records are refused with the JSON path of every problem, never a crash.
@Suite("Client records")
struct ClientRecordReaderTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var json: String
        var path: String
        var message: String
        var testDescription: String { name }
    }

    static let valid = Fixture.assessment("a", responses: ["s1": 2])

    static let cases: [Case] = [
        Case(name: "not JSON at all", json: "name,level\nmatti,3\n", path: "", message: "not valid JSON"),
        Case(name: "an array instead of an object", json: "[1, 2]", path: "", message: "expected an object, found an array"),
        Case(name: "no client", json: "{\"assessments\": []}", path: "", message: "\"client\" is missing"),
        Case(name: "client is a number", json: "{\"client\": 42}", path: "client", message: "expected a string, found a number"),
        Case(name: "client looks like a personal identity code", json: "{\"client\": \"010190-123A\"}", path: "client", message: "not a valid pseudonymous id"),
        Case(
            name: "an unknown field", json: "{\"client\": \"x\", \"assesments\": []}", path: "assesments",
            message: "unknown field"),
        Case(
            name: "assessments is an object", json: "{\"client\": \"x\", \"assessments\": {}}", path: "assessments",
            message: "expected an array, found an object"),
        Case(
            name: "a value outside its scale",
            json: Fixture.record([valid, Fixture.assessment("b", responses: ["s1": 5])]),
            path: "assessments[1].responses[0].value", message: "5 is not an option of scale s; use one of 0, 1, 2, 3"),
        Case(
            name: "a value of the wrong type",
            json: Fixture.record([
                "{\"id\": \"a\", \"assessedAt\": \"2026-03-01T10:00:00+02:00\", \"assessor\": \"o\", \"evidence\": \"self\", \"instrument\": \"q\", \"responses\": [{\"item\": \"s1\", \"value\": \"2\"}]}"
            ]),
            path: "assessments[0].responses[0].value", message: "expected a whole number, found a string"),
        Case(
            name: "an unknown item", json: Fixture.record([Fixture.assessment("a", responses: ["s9": 1])]),
            path: "assessments[0].responses[0].item", message: "instrument \"q\" has no item \"s9\""),
        Case(
            name: "an unknown competence", json: Fixture.record([Fixture.assessment("a", levels: ["9.9": 1])]),
            path: "assessments[0].levels[0].competence", message: "no competence \"9.9\""),
        Case(
            name: "a level outside the framework", json: Fixture.record([Fixture.assessment("a", levels: ["1.1": 7])]),
            path: "assessments[0].levels[0].level", message: "7 is not a level of t; use 0–4"),
        Case(
            name: "a timestamp without an offset", json: Fixture.record([Fixture.assessment("a", at: "2026-03-01T10:00:00", levels: ["1.1": 1])]),
            path: "assessments[0].assessedAt", message: "has no UTC offset"),
        Case(
            name: "a date that does not exist", json: Fixture.record([Fixture.assessment("a", at: "2026-02-30T10:00:00Z", levels: ["1.1": 1])]),
            path: "assessments[0].assessedAt", message: "not a real date"),
        Case(
            name: "duplicate assessment ids",
            json: Fixture.record([Fixture.assessment("a", levels: ["1.1": 1]), Fixture.assessment("a", levels: ["1.2": 1])]),
            path: "assessments[1].id", message: "already the id of assessments[0]"),
        Case(
            name: "an unknown evidence kind", json: Fixture.record([Fixture.assessment("a", evidence: "hearsay", levels: ["1.1": 1])]),
            path: "assessments[0].evidence", message: "use self, test or observed"),
        Case(
            name: "an unknown instrument",
            json: Fixture.record([Fixture.assessment("a", responses: ["s1": 1]).replacingOccurrences(of: "\"q\"", with: "\"kysely\"")]),
            path: "assessments[0].instrument", message: "no instrument \"kysely\""),
        Case(
            name: "an item answered twice",
            json: Fixture.record([
                "{\"id\": \"a\", \"assessedAt\": \"2026-03-01T10:00:00+02:00\", \"assessor\": \"o\", \"evidence\": \"self\", \"instrument\": \"q\", \"responses\": [{\"item\": \"s1\", \"value\": 1}, {\"item\": \"s1\", \"value\": 2}]}"
            ]),
            path: "assessments[0].responses[1].item", message: "already answered in responses[0]"),
        Case(
            name: "an unknown badge in an award",
            json: Fixture.record([], awards: ["{\"badge\": \"nope\", \"issuedAt\": \"2026-01-01T00:00:00Z\"}"]),
            path: "awards[0].badge", message: "no badge \"nope\""),
        Case(
            name: "an award that expires before it is issued",
            json: Fixture.record(
                [], awards: ["{\"badge\": \"c\", \"issuedAt\": \"2026-01-01T00:00:00Z\", \"validUntil\": \"2025-01-01T00:00:00Z\"}"]),
            path: "awards[0].validUntil", message: "is not after issuedAt"),
        Case(
            name: "an attestation role that cannot attest",
            json: Fixture.record(
                [], attestations: ["{\"badge\": \"att\", \"by\": \"x\", \"role\": \"client\", \"at\": \"2026-01-01T00:00:00Z\"}"]),
            path: "attestations[0].role", message: "not a role that can attest"),
        Case(
            name: "an assessment with nothing in it",
            json: Fixture.record(["{\"id\": \"a\", \"assessedAt\": \"2026-03-01T10:00:00+02:00\", \"assessor\": \"o\", \"evidence\": \"self\"}"]),
            path: "assessments[0]", message: "needs responses, levels or both"),
    ]

    @Test("is refused with the JSON path of the problem", arguments: cases)
    func refused(_ test: Case) {
        do {
            _ = try Fixture.read(test.json)
            Issue.record("the record was accepted")
        } catch {
            let match = error.errors.first { $0.path == test.path && $0.message.contains(test.message) }
            #expect(match != nil, "\(error.errors)")
        }
    }

    @Test("reports every problem in one pass")
    func allProblems() {
        let json = Fixture.record([
            Fixture.assessment("a", at: "2026-03-01", responses: ["s1": 9]), Fixture.assessment("b", levels: ["7.7": 1]),
        ])
        #expect(throws: ClientRecordErrors.self) { try Fixture.read(json) }
        do {
            _ = try Fixture.read(json)
        } catch {
            #expect(Set(error.errors.map(\.path)) == ["assessments[0].assessedAt", "assessments[0].responses[0].value", "assessments[1].levels[0].competence"])
        }
    }

    @Test("random mutations of a valid record never crash the reader")
    func mutations() throws {
        let original = Array(Fixture.record([Fixture.assessment("a", responses: ["s1": 2, "k1": 1], levels: ["2.1": 1])]).utf8)
        var random = SplitMix64(seed: 99)
        for _ in 0..<500 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] = [UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "]"), UInt8(ascii: "9"), UInt8(ascii: "-"), 0xFF].randomElement(using: &random)!
            }
            do {
                _ = try ClientRecordReader(definitions: Fixture.compiled).read(Data(bytes))
            } catch {
                #expect(!error.errors.isEmpty)
            }
        }
    }

    @Test(
        "RFC 3339 timestamps", arguments: [
            ("2026-03-01T10:00:00+02:00", "2026-03-01T10:00:00+02:00"), ("2026-03-01t08:00:00z", "2026-03-01T08:00:00Z"),
            ("2026-03-01T10:00:00.250-05:30", "2026-03-01T10:00:00.250000-05:30"), ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"),
        ])
    func timestamps(text: String, canonical: String) throws {
        guard case .success(let time) = Timestamp.parse(text) else {
            Issue.record("\(text) did not parse")
            return
        }
        #expect(time.description == canonical)
    }

    @Test("validity months are added on the calendar", arguments: [
        ("2026-01-31T12:00:00+02:00", 1, "2026-02-28T12:00:00+02:00"), ("2024-05-10T12:00:00+03:00", 24, "2026-05-10T12:00:00+03:00"),
        ("2026-11-15T00:00:00Z", 3, "2027-02-15T00:00:00Z"),
    ])
    func addingMonths(start: String, months: Int, end: String) {
        #expect(Fixture.time(start).addingMonths(months).description == end)
    }
}

@Suite("Definitions digest")
struct DigestTests {
    @Test("is stable for the same definitions and changes with their meaning, not their formatting")
    func digest() throws {
        let directory = NSTemporaryDirectory() + "merkisto-digest-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path + "/defs"
        try FileManager.default.copyItem(atPath: source, toPath: directory)
        func digest() throws -> String {
            let result = try DefinitionLoader.load(paths: [directory])
            #expect(!result.hasErrors, "\(result.diagnostics)")
            return CompiledDefinitions(result.definitions).digest
        }
        let original = try digest()
        #expect(original == Fixture.compiled.digest)
        #expect(original.count == 64)
        let badge = directory + "/badges/c.xml"
        let text = try String(contentsOfFile: badge, encoding: .utf8)
        try text.replacingOccurrences(of: "<criteria>", with: "<!-- a comment -->\n  <criteria>\n    ").write(
            toFile: badge, atomically: true, encoding: .utf8)
        #expect(try digest() == original)
        try text.replacingOccurrences(of: "min-level=\"2\"", with: "min-level=\"3\"").write(toFile: badge, atomically: true, encoding: .utf8)
        #expect(try digest() != original)
    }
}
