import Basics
import JSONLD
import RDF

/// A JSON-LD document with a marker in each place that changes per credential (a slot), turned once into
/// its JSON text and its RDF statements, so that each credential only fills in values: the JSON-LD
/// processing that the values cannot change is done once per badge, not once per credential.
///
/// A marker is a whole JSON string, `merkisto-slot:\u{1}N`: an absolute IRI where the contexts take an
/// IRI, a plain or typed literal elsewhere, and never text that definitions can hold (XML cannot hold
/// U+0001). A slot's value replaces the marker's term in every statement it is in, which gives the very
/// statements that processing the filled-in document would give, as long as each value is what the slot's
/// place takes (an absolute IRI for an id, a date and time for a date); tests check this against the
/// JSON-LD processor for the credentials Merkisto makes.
struct SignedDocumentTemplate: Sendable {
    static let markerPrefix = "merkisto-slot:\u{1}"

    static func marker(_ slot: Int) -> String { markerPrefix + String(slot) }

    /// The slot of a marker, or nil when the text is not one.
    static func slot(_ text: String) -> Int? {
        guard text.hasPrefix(markerPrefix) else { return nil }
        return Int(text.dropFirst(markerPrefix.count))
    }

    enum JSONPiece: Sendable {
        case fixed([UInt8])
        case slot(Int)
    }

    enum Term: Sendable {
        case fixed(RDFTerm)
        case iri(slot: Int)
        case literal(slot: Int, datatype: String, language: String?)

        init(_ term: RDFTerm) {
            switch term {
            case .iri(let iri):
                if let slot = SignedDocumentTemplate.slot(iri) { self = .iri(slot: slot) } else { self = .fixed(term) }
            case .literal(let value, let datatype, let language):
                if let slot = SignedDocumentTemplate.slot(value) {
                    self = .literal(slot: slot, datatype: datatype, language: language)
                } else {
                    self = .fixed(term)
                }
            case .blank:
                self = .fixed(term)
            }
        }

        func filled(_ values: [String]) -> RDFTerm {
            switch self {
            case .fixed(let term): term
            case .iri(let slot): .iri(values[slot])
            case .literal(let slot, let datatype, let language): .literal(values[slot], datatype: datatype, language: language)
            }
        }
    }

    struct TemplateQuad: Sendable {
        var subject: Term
        var predicate: RDFTerm
        var object: Term
        var graph: Term?
    }

    let json: [JSONPiece]
    let statements: [TemplateQuad]
    /// The slot the document's `proof` goes in (JSON only: the proof is not part of what it signs).
    let proofSlot: Int

    /// - Parameters:
    ///   - document: the document with markers, without `proof`.
    ///   - proofSlot: a slot number no marker in `document` uses; the JSON text gets `proof` there.
    init(_ document: [String: JSONValue], proofSlot: Int) throws(JSONLDError) {
        let quads = try JSONLDProcessor(loader: .bundled).toRDF(.object(document))
        statements = quads.map { quad in
            TemplateQuad(subject: Term(quad.subject), predicate: quad.predicate, object: Term(quad.object), graph: quad.graph.map(Term.init))
        }
        var withProof = document
        withProof["proof"] = .string(Self.marker(proofSlot))
        json = Self.pieces(JSONValue.object(withProof).jsonBytes())
        self.proofSlot = proofSlot
    }

    /// The JSON text split at each marker string (quotes included).
    private static func pieces(_ text: [UInt8]) -> [JSONPiece] {
        let prefix = Array("\"merkisto-slot:\\u0001".utf8)
        var pieces: [JSONPiece] = []
        var fixed: [UInt8] = []
        var index = 0
        while index < text.count {
            if text[index] == prefix[0], text[index...].starts(with: prefix) {
                var cursor = index + prefix.count
                var slot = 0
                while cursor < text.count, text[cursor] >= 0x30, text[cursor] <= 0x39 {
                    slot = slot * 10 + Int(text[cursor] - 0x30)
                    cursor += 1
                }
                if cursor < text.count, cursor > index + prefix.count, text[cursor] == UInt8(ascii: "\"") {
                    pieces.append(.fixed(fixed))
                    fixed.removeAll(keepingCapacity: true)
                    pieces.append(.slot(slot))
                    index = cursor + 1
                    continue
                }
            }
            fixed.append(text[index])
            index += 1
        }
        pieces.append(.fixed(fixed))
        return pieces
    }

    /// The statements with each slot's value filled in (values by slot; the proof slot is not read).
    func quads(_ values: [String]) -> [Quad] {
        statements.map { statement in
            Quad(statement.subject.filled(values), statement.predicate, statement.object.filled(values), statement.graph?.filled(values))
        }
    }

    /// The JSON text with each slot's value as a JSON string, and `proof` (JSON text) in its slot.
    func json(_ values: [String], proof: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(8192)
        for piece in json {
            switch piece {
            case .fixed(let bytes): output.append(contentsOf: bytes)
            case .slot(let slot) where slot == proofSlot: output.append(contentsOf: proof)
            case .slot(let slot): JSONValue.writeString(values[slot], into: &output)
            }
        }
        return output
    }
}
