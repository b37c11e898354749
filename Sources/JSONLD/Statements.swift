import Basics
import RDF

extension JSONLDProcessor {
    // MARK: Statements straight from the document

    /// The statements of a document in the shape credentials are written in, made in one walk over the JSON:
    /// nil when the document uses anything beyond that shape, which ``toRDF(_:)`` then processes in full.
    ///
    /// The shape: one node object at the top; node objects nested under terms, with `@id` and `@type` (or
    /// their aliases) as the only keywords; values that are strings, numbers, booleans, value objects or
    /// arrays of them; no containers but `@set`, no `@json` terms, no blank node identifiers written in the
    /// document, no errors. The contexts are the same as in full processing: the walk decides each node's
    /// context with the same code as expansion (``nodeContexts(_:given:property:at:fromMap:)``), converts
    /// each value with the same code as expansion and deserialisation (``expandedValue(_:term:active:at:)``,
    /// ``literal(_:datatype:language:)``), and hands any value object to expansion itself. What it
    /// skips is the expanded document and the node map between them: the node map merges nodes with the same
    /// `@id` and drops a statement made twice, and a dataset is a set, so the statements are the same; only
    /// their order and the blank nodes' labels differ, which canonicalization and the policy checks do not
    /// read. Tests hold the two ways to the same canonical N-Quads (and the differential check to pyld's).
    func directStatements(_ document: JSONValue) -> [Quad]? {
        guard case .object(let fields) = document, !fields.keys.contains(where: { Self.isAlias($0, of: "@value", in: .initial) }) else { return nil }
        var walk = DirectWalk(processor: self)
        do {
            guard try walk.node(fields, given: .initial, property: nil, at: "$") != nil else { return nil }
        } catch {
            return nil
        }
        return walk.quads
    }
}

/// One walk of ``JSONLDProcessor/directStatements(_:)``: a node object's statements, then its nested ones.
private struct DirectWalk {
    let processor: JSONLDProcessor
    var quads: [Quad] = []
    /// Blank nodes are only ever made here (a document's own `_:` identifiers send it to full processing).
    var blanks = 0

    init(processor: JSONLDProcessor) {
        self.processor = processor
        quads.reserveCapacity(128)
    }

    /// Adds the statements of a node object (the value of `property` in `given`; not a value object) and
    /// returns its subject; nil when the object is outside the shape (a keyword other than `@id` and `@type`).
    mutating func node(_ fields: [String: JSONValue], given: JSONLDProcessor.Context, property: String?, at path: String) throws(JSONLDError) -> RDFTerm? {
        let (active, typeScoped, _) = try processor.nodeContexts(fields, given: given, property: property, at: path)
        // The subject first: properties are read in the dictionary's order.
        var subject: RDFTerm?
        var typeValue: JSONValue?
        for (key, value) in fields where key != "@context" {
            guard let keyword = JSONLDProcessor.keyword(key, in: active) else { continue }
            switch keyword {
            case "@id":
                guard subject == nil, case .string(let id) = value else { return nil }
                let iri = try processor.absolute(
                    try processor.expandIRI(id, active, vocab: false, documentRelative: true, at: path), id, at: path)
                guard case .iri = JSONLDProcessor.term(forID: iri) else { return nil }
                subject = .iri(iri)
            case "@type":
                guard typeValue == nil else { return nil }
                typeValue = value
            default:
                return nil
            }
        }
        let node = subject ?? newBlank()
        if let typeValue {
            for item in typeValue.arrayValue ?? [typeValue] {
                guard case .string(let type) = item else { return nil }
                let iri = try processor.expandIRI(type, typeScoped, vocab: true, documentRelative: true, at: path)
                guard case .iri = JSONLDProcessor.term(forID: iri) else { return nil }
                quads.append(Quad(node, .iri(JSONLDProcessor.rdfType), .iri(iri)))
            }
        }
        for (key, value) in fields where key != "@context" && JSONLDProcessor.keyword(key, in: active) == nil {
            // As IRI expansion does it (a term's IRI, else a compact or absolute IRI), with one look-up.
            let term = active.terms[key]
            let iri: String
            if let term {
                guard !term.iri.isEmpty, term.type != "@json", term.container.isEmpty || term.container == ["@set"] else { return nil }
                iri = term.iri
            } else {
                iri = try processor.expandIRI(key, active, vocab: true, documentRelative: false, at: path)
            }
            guard !iri.hasPrefix("@"), case .iri = JSONLDProcessor.term(forID: iri) else { return nil }
            guard try values(value, of: key, term: term, predicate: .iri(iri), subject: node, active: active, at: path) else { return nil }
        }
        return node
    }

    mutating func newBlank() -> RDFTerm {
        defer { blanks += 1 }
        return .blank("b" + String(blanks))
    }

    /// Adds the statements `subject predicate value` (an array is each of its items); false when a value is
    /// outside the shape.
    mutating func values(
        _ value: JSONValue, of key: String, term: JSONLDProcessor.Term?, predicate: RDFTerm, subject: RDFTerm, active: JSONLDProcessor.Context,
        at path: String
    ) throws(JSONLDError) -> Bool {
        let object: RDFTerm
        switch value {
        case .null:
            return true
        case .array(let items):
            for item in items {
                guard try values(item, of: key, term: term, predicate: predicate, subject: subject, active: active, at: path) else { return false }
            }
            return true
        case .bool, .int, .double, .string:
            // A property-scoped context applies to the property's plain values too, as in expansion.
            var scoped = active
            var definition = term
            if let context = term?.context {
                scoped = try processor.process(context.value, onto: active, at: path, overrideProtected: true, scoped: context.key)
                definition = scoped.terms[key]
            }
            switch try processor.expandedValue(value, term: definition, active: scoped, at: path) {
            case .id(let iri):
                guard case .iri = JSONLDProcessor.term(forID: iri) else { return false }
                object = .iri(iri)
            case .value(let value, let type, let language):
                object = try JSONLDProcessor.literal(value, datatype: type, language: language)
            }
        case .object(let fields):
            if fields.keys.contains(where: { JSONLDProcessor.isAlias($0, of: "@value", in: active) }) {
                // A value object: expanded as expansion does it, then made a literal.
                let expanded = try processor.expand(value, active: active, property: key, at: path)
                guard case .object(let result) = expanded else { return expanded == .null }
                guard result["@id"] == nil, result["@list"] == nil, let value = result["@value"] else { return false }
                object = try JSONLDProcessor.literal(value, datatype: result["@type"]?.stringValue, language: result["@language"]?.stringValue)
            } else {
                guard let node = try node(fields, given: active, property: key, at: path) else { return false }
                object = node
            }
        }
        quads.append(Quad(subject, predicate, object))
        return true
    }
}
