import Basics
import Definitions
import Foundation
import Hummingbird
import HummingbirdTesting
import MerkistoCore
import Storage
import Testing

/// The levels form records only what the instructor sets, with the evidence they choose: a form saved
/// unchanged cannot turn a self-assessment into an observation.
@Suite("The levels form")
struct AssessmentFormTests {
    /// The form's fields as a browser would send them unchanged: each select's selected option, the checked radio.
    static func unchangedForm(_ html: String) -> [(String, String)] {
        var fields: [(String, String)] = []
        var rest = Substring(html)
        while let select = rest.range(of: "<select id=\"") {
            let name = String(rest[select.upperBound...].prefix { $0 != "\"" })
            let end = rest[select.upperBound...].range(of: "</select>")!
            let body = rest[select.upperBound..<end.lowerBound]
            if let selected = body.range(of: "\" selected>") {
                let start = body[..<selected.lowerBound].range(of: "value=\"", options: .backwards)!
                fields.append((name, String(body[start.upperBound..<selected.lowerBound])))
            } else if let first = body.range(of: "value=\"") {
                fields.append((name, String(body[first.upperBound...].prefix { $0 != "\"" })))
            }
            rest = rest[end.upperBound...]
        }
        for match in html.components(separatedBy: "<input type=\"radio\"").dropFirst() where match.prefix(while: { $0 != ">" }).contains(" checked") {
            let name = match.components(separatedBy: "name=\"")[1].prefix { $0 != "\"" }
            let value = match.components(separatedBy: "value=\"")[1].prefix { $0 != "\"" }
            fields.append((String(name), String(value)))
        }
        return fields
    }

    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
    }

    @Test("fields start empty with the current levels as hints; saved unchanged, nothing is recorded and the form says why")
    func unchangedRecordsNothing() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let instructor = try await PageSession(world, world.seed.instructor)
        let before = try await world.service.clientFile(client).assessments.count
        #expect(before > 0)
        try await world.application().test(.router) { http in
            let form = try await http.execute(uri: "/clients/\(client)/assessment", method: .get, headers: instructor.headers("en")) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            // No level is chosen and no evidence is checked; the current levels are there as hints.
            #expect(!form.contains(" checked>"))
            #expect(form.contains("Now: "))
            let unchanged = Self.unchangedForm(form)
            #expect(unchanged.contains { $0.0 == "level-2.1" && $0.1 == "" })
            #expect(!unchanged.contains { $0.0.hasPrefix("level-") && !$0.1.isEmpty })
            #expect(!unchanged.contains { $0.0 == "evidence" })
            let body = Self.encode(unchanged + [("date", "2026-11-22"), ("csrf", instructor.csrf)])
            try await http.execute(
                uri: "/clients/\(client)/assessment", method: .post, headers: instructor.headers("en", form: true), body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest)
                let page = String(buffer: response.body)
                #expect(page.contains("Choose how the skill was shown. Nothing was saved."))
                #expect(page.contains("Choose a level for at least one skill. Nothing was saved."))
            }
            // A level without evidence: refused as well.
            let noEvidence = Self.encode([("level-2.1", "3"), ("date", "2026-11-22"), ("csrf", instructor.csrf)])
            try await http.execute(
                uri: "/clients/\(client)/assessment", method: .post, headers: instructor.headers("en", form: true), body: ByteBuffer(string: noEvidence)
            ) { response in #expect(response.status == .badRequest) }
            #expect(try await world.service.clientFile(client).assessments.count == before)

            // What the instructor sets is recorded, and only that.
            let chosen = Self.encode([("level-2.1", "3"), ("evidence", "observed"), ("date", "2026-11-22"), ("csrf", instructor.csrf)])
            try await http.execute(
                uri: "/clients/\(client)/assessment", method: .post, headers: instructor.headers("en", form: true), body: ByteBuffer(string: chosen)
            ) { response in #expect(response.status == .seeOther) }
            let recorded = try #require(try await world.service.clientFile(client).assessments.last)
            #expect(recorded.evidence == .observed)
            #expect(recorded.levels.map(\.competence) == ["2.1"] && recorded.levels.map(\.level) == [3])
            #expect(recorded.assessor == world.seed.instructor)
        }
    }
}
