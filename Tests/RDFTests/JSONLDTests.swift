import Basics
import Foundation
import JSONLD
import RDF
import Testing

@Suite("JSON-LD")
struct JSONLDTests {
    /// The 1EdTech worked example, kept with the credential tests' fixtures (see its NOTICE.md).
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CredentialsTests/Fixtures/data-integrity").path

    @Test("the 1EdTech worked example: the same canonical N-Quads as the specification's")
    func workedExample() throws {
        let data = try #require(FileManager.default.contents(atPath: Self.vectors + "/ldp-ob-credential.json"))
        let document = try JSONDecoder().decode(JSONValue.self, from: data)
        let quads = try JSONLDProcessor(loader: .bundled).toRDF(document)
        let canonical = try RDFCanonicalizer().canonicalNQuads(quads)
        let expected = try String(contentsOfFile: Self.vectors + "/obv3p0_document-canon.txt", encoding: .utf8)
        #expect(canonical == expected)
    }
}

@Test("the bundled contexts are processed once and kept: the same statements from a kept context as from a fresh one, and a document's own context is never kept")
func keptContexts() throws {
    let data = try #require(FileManager.default.contents(atPath: JSONLDTests.vectors + "/ldp-ob-credential.json"))
    let document = try JSONDecoder().decode(JSONValue.self, from: data)
    let documents = try #require(ContextLoader.bundledDocuments)
    let loader = ContextLoader(documents)
    #expect(loader.keptContexts == 0)
    let first = try JSONLDProcessor(loader: loader).toRDF(document)
    let kept = loader.keptContexts
    #expect(kept > 0)
    let again = try JSONLDProcessor(loader: loader).toRDF(document)
    #expect(again == first)
    #expect(loader.keptContexts == kept)
    #expect(try RDFCanonicalizer().canonicalNQuads(again) == (try String(contentsOfFile: JSONLDTests.vectors + "/obv3p0_document-canon.txt", encoding: .utf8)))
    // A context the document carries in itself (an object, not a URL) is processed each time and not kept,
    // nor is anything beneath it; a term it defines is in the statements.
    guard case .object(var fields) = document, case .array(var contexts)? = fields["@context"] else { Issue.record("no contexts"); return }
    contexts.append(.object(["nickname": "https://example.org/nickname"]))
    fields["@context"] = .array(contexts)
    fields["nickname"] = "x"
    let own = try JSONLDProcessor(loader: loader).toRDF(.object(fields))
    #expect(own.contains { $0.predicate == .iri("https://example.org/nickname") })
    #expect(own.count == first.count + 1)
    #expect(loader.keptContexts == kept)
}

@Test("stricter than JSON-LD: an unknown context, an undefined term or an undefined type is an error, with its JSON path")
func jsonldRefusals() throws {
    let processor = JSONLDProcessor(loader: .bundled)
    let contexts: JSONValue = .array(["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"])
    let cases: [(JSONValue, String)] = [
        (.object(["@context": "https://example.org/other", "name": "x"]), "$.@context"),
        (.object(["@context": contexts, "type": ["VerifiableCredential"], "nickname": "x"]), "$.nickname"),
        (.object(["@context": contexts, "type": ["VerifiableCredential", "MadeUpCredential"], "name": "x"]), "$.type"),
    ]
    for (document, path) in cases {
        do {
            _ = try processor.toRDF(document)
            Issue.record("accepted \(path)")
        } catch {
            #expect(error.path == path, "\(error)")
        }
    }
}

/// A differential run against pyld: JSONLD_DIFF_INPUT names a JSON-lines file of documents; our canonical
/// N-Quads go, one JSON line each, to JSONLD_DIFF_OUTPUT (compared with jsonld_canon.py --jsonl by a script).
@Test("JSON-LD differential output (when asked)", .enabled(if: ProcessInfo.processInfo.environment["JSONLD_DIFF_INPUT"] != nil))
func jsonldDifferential() throws {
    let environment = ProcessInfo.processInfo.environment
    let input = try String(contentsOfFile: environment["JSONLD_DIFF_INPUT"]!, encoding: .utf8)
    var lines: [String] = []
    let processor = JSONLDProcessor(loader: .bundled)
    for line in input.split(separator: "\n") where !line.isEmpty {
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))
        do {
            let nquads = try RDFCanonicalizer().canonicalNQuads(try processor.toRDF(document))
            lines.append(String(decoding: JSONValue.object(["nquads": .string(nquads)]).jsonBytes(), as: UTF8.self))
        } catch {
            lines.append(String(decoding: JSONValue.object(["error": .string("\(error)")]).jsonBytes(), as: UTF8.self))
        }
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: environment["JSONLD_DIFF_OUTPUT"] ?? "/tmp/jsonld-ours.jsonl", atomically: true, encoding: .utf8)
}
