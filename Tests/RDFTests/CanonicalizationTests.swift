import Foundation
@testable import RDF
import Testing

/// The W3C RDFC-1.0 test suite, copied into `rdf-canon/` beside this file (its licence in
/// `rdf-canon/LICENCE.md`), so that the suite runs on a clone with nothing beside it.
enum RDFCanonSuite {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("rdf-canon").path

    struct Entry: CustomTestStringConvertible, Sendable {
        var id: String
        var type: String
        var name: String
        var action: String
        var result: String?
        var hashAlgorithm: String?
        var testDescription: String { "\(id) \(name)" }
    }

    static func entries() -> [Entry] {
        guard let data = FileManager.default.contents(atPath: folder + "/manifest.jsonld"),
            let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let list = manifest["entries"] as? [[String: Any]]
        else { return [] }
        return list.compactMap { entry in
            guard let id = entry["id"] as? String, let type = entry["type"] as? String, let action = entry["action"] as? String else { return nil }
            return Entry(
                id: id, type: type, name: entry["name"] as? String ?? "", action: action, result: entry["result"] as? String,
                hashAlgorithm: entry["hashAlgorithm"] as? String)
        }
    }

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: folder + "/" + path, encoding: .utf8)
    }
}

@Suite("RDFC-1.0")
struct CanonicalizationTests {
    @Test("the W3C test suite: canonical N-Quads, issued identifier maps and the poison graph", arguments: RDFCanonSuite.entries())
    func w3c(entry: RDFCanonSuite.Entry) throws {
        let input = try NQuads.parse(try RDFCanonSuite.read(entry.action))
        let canonicalizer = RDFCanonicalizer(hashAlgorithm: try #require(RDFCanonicalizer.HashAlgorithm(rawValue: entry.hashAlgorithm ?? "SHA256")))
        switch entry.type {
        case "rdfc:RDFC10EvalTest":
            let expected = try RDFCanonSuite.read(try #require(entry.result))
            #expect(try canonicalizer.canonicalNQuads(input) == expected)
        case "rdfc:RDFC10MapTest":
            let result = try #require(entry.result)
            let map = try JSONSerialization.jsonObject(with: Data(try RDFCanonSuite.read(result).utf8))
            let expected = try #require(map as? [String: String])
            #expect(try canonicalizer.canonicalize(input).issued == expected)
        case "rdfc:RDFC10NegativeEvalTest":
            let started = ContinuousClock.now
            #expect(throws: CanonicalizationError.self) { try canonicalizer.canonicalNQuads(input) }
            // Refused promptly, not after the exponential work.
            #expect(ContinuousClock.now - started < .seconds(10))
        default:
            Issue.record("unknown test type \(entry.type)")
        }
    }

    @Test("the suite is in the repository and has every kind of test")
    func suiteShape() {
        let kinds = Set(RDFCanonSuite.entries().map(\.type))
        #expect(kinds == ["rdfc:RDFC10EvalTest", "rdfc:RDFC10MapTest", "rdfc:RDFC10NegativeEvalTest"])
        #expect(RDFCanonSuite.entries().count > 80)
    }

    @Test("N-Quads: bad lines are refused with their line number")
    func badInput() {
        for (text, line) in [("<a> <b> .", 1), ("<s> <p> <o> .\n\"lit\" <p> <o> .", 2), ("<s> _:p <o> .", 1), ("<s> <p> \"open .", 1), ("<s> <p> <o> . x", 1), ("<s> <p> _:b1.. ", 1), ("_:. <p> <o> .", 1), ("<s> <p\\u0012> <o> .", 1), ("<s> <p\\u003E> <o> .", 1), ("<s\\u0020> <p> <o> .", 1)] {
            #expect(throws: NQuadsError.self) { try NQuads.parse(text) }
            do {
                _ = try NQuads.parse(text)
            } catch {
                #expect(error.line == line, "\(text)")
            }
        }
    }

    @Test("a dataset is a set: quads given twice canonicalize as given once, and the canonical form is its own")
    func duplicates() throws {
        // A cycle of blank nodes with a loop and a second predicate (from what the fuzzer found).
        let cycle = (0..<8).map { "_:n\($0) <http://example.org/p> _:n\(($0 + 1) % 8) ." } + ["_:n3 <http://example.org/q> _:n3 .", "_:n5 <http://example.org/q> _:n0 ."]
        let once = try NQuads.parse(cycle.joined(separator: "\n") + "\n")
        let twice = try NQuads.parse((cycle + cycle.shuffled() + cycle.prefix(3)).joined(separator: "\n") + "\n")
        let canonicalizer = RDFCanonicalizer()
        let canonical = try canonicalizer.canonicalNQuads(once)
        #expect(try canonicalizer.canonicalNQuads(twice) == canonical)
        #expect(try canonicalizer.canonicalNQuads(try NQuads.parse(canonical)) == canonical)
        #expect(try canonicalizer.canonicalize(twice).quads.count == once.count)
    }

    @Test("the empty dataset canonicalizes to the empty document; two blank nodes whose quads mask to the same line keep both lines in their hash")
    func emptyAndMaskedLines() throws {
        let canonicalizer = RDFCanonicalizer()
        #expect(try canonicalizer.canonicalNQuadsBytes([]) == [])
        // _:a's two quads mask to the same line ("_:a <p> _:z ."); the first-degree hash reads it twice, so
        // _:a differs from _:c, whose one quad masks to that line once.
        let quads = try NQuads.parse("_:a <http://example.org/p> _:b .\n_:a <http://example.org/p> _:d .\n_:c <http://example.org/p> _:e .\n")
        let canonical = try canonicalizer.canonicalNQuads(quads)
        #expect(try canonicalizer.canonicalNQuads(try NQuads.parse(canonical)) == canonical)
        var state = RDFCanonicalizer.State(quads: quads, workLimit: 1000, hashAlgorithm: .sha256)
        try state.run()
        #expect(state.hashFirstDegree("a") != state.hashFirstDegree("c"))
    }
}
