import Basics
import Crypto
@testable import Credentials
import Foundation
import JSONLD
import RDF
import Testing

/// The Data Integrity template (statements made once, values filled in, canonical form worked out from
/// first-degree hashes) against full JSON-LD processing and the general RDFC-1.0 canonicalizer, on the
/// 1EdTech example credential with slots in it and many values, escapes and look-alike blank nodes included.
@Suite struct SignedDocumentTemplateTests {
    static func example(narratives: Int) throws -> [String: JSONValue] {
        guard case .object(var document) = try JSONDecoder().decode(
            JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: DataIntegrityTests.fixtures + "ldp-ob-credential.json")))
        else { preconditionFailure("the example is an object") }
        func marker(_ slot: Int) -> JSONValue { .string(SignedDocumentTemplate.marker(slot)) }
        document["id"] = marker(0)
        document["name"] = marker(1)
        document["validFrom"] = marker(2)
        if case .object(var subject)? = document["credentialSubject"] {
            subject["id"] = marker(3)
            document["credentialSubject"] = .object(subject)
        }
        // Evidence objects are blank nodes that only their narratives tell apart.
        document["evidence"] = .array((0..<narratives).map { .object(["type": ["Evidence"], "narrative": marker(4 + $0)]) })
        return document
    }

    @Test func filledTemplateEqualsFullProcessing() throws {
        let narratives = 3
        let template = try SignedDocumentTemplate(try Self.example(narratives: narratives), proofSlot: 4 + narratives)
        let texts = ["Tiimityö", "line\nbreak \"quoted\" \\ back\tslash", "\u{7F}\u{1}control", "same", "same", "日本語 ✓", ""]
        var cases: [[String]] = []
        for round in 0..<40 {
            var values = [
                "urn:uuid:\(UUID().uuidString.lowercased())", texts[round % texts.count], "2026-12-0\(round % 9 + 1)T10:00:00Z",
                // A subject that sorts before the badge's fixed lines, and one after many of them.
                round % 2 == 0 ? "did:example:\(round)" : "urn:example:\(round)",
            ]
            for index in 0..<narratives { values.append(texts[(round + index * (round % 3)) % texts.count]) }
            cases.append(values)
        }
        // Equal narratives: look-alike blank nodes, which only the general canonicalizer can order.
        cases.append(["urn:uuid:1", "x", "2026-01-01T00:00:00Z", "did:example:x", "same", "same", "same"])
        for values in cases {
            var filled = try Self.example(narratives: narratives)
            func fill(_ value: JSONValue) -> JSONValue {
                switch value {
                case .string(let text): SignedDocumentTemplate.slot(text).map { .string(values[$0]) } ?? value
                case .array(let items): .array(items.map(fill))
                case .object(let fields): .object(fields.mapValues(fill))
                default: value
                }
            }
            filled = fill(.object(filled)).objectValue!
            let expected = try RDFCanonicalizer().canonicalNQuadsBytes(try JSONLDProcessor(loader: .bundled).toRDF(.object(filled)))
            let made = try template.canonicalNQuads(values)
            #expect(made == expected, "\(values)")
            // The hash made from the fixed lines' kept state is the hash of the whole document.
            #expect(try template.canonicalHash(values) == Array(SHA256.hash(data: expected)), "\(values)")
            // And the JSON text is the filled document.
            let json = try template.json(values, proof: Array("[]".utf8))
            var withProof = filled
            withProof["proof"] = []
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(json)) == .object(withProof))
        }
        // A slot left without a value is refused, not signed as an empty string; a marker that is not a
        // whole string is refused when the template is made.
        var holes: [String?] = cases[0]
        holes[5] = nil
        #expect(throws: CredentialError.self) { try template.canonicalNQuads(holes) }
        #expect(throws: CredentialError.self) { try template.json(holes, proof: Array("[]".utf8)) }
        #expect(throws: CredentialError.self) { try template.canonicalNQuads(Array(cases[0].prefix(4))) }
        var leftover = try Self.example(narratives: 1)
        leftover["name"] = .string("x " + SignedDocumentTemplate.marker(9))
        #expect(throws: CredentialError.self) { try SignedDocumentTemplate(leftover, proofSlot: 5) }
    }
}
