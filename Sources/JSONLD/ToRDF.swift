public import Basics
public import RDF
import Foundation

extension JSONLDProcessor {
    static let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    static let xsd = "http://www.w3.org/2001/XMLSchema#"
    static let rdfType = rdf + "type"
    static let xsdBoolean = xsd + "boolean"
    static let xsdInteger = xsd + "integer"
    static let xsdDouble = xsd + "double"

    /// The document as an RDF dataset (JSON-LD 1.1 API, 8.1). A document in the shape credentials are written
    /// in is walked straight to its statements (``directStatements(_:)``); any other goes through expansion
    /// and the node map (``fullRDF(_:)``), which also gives every error its path. The statements are the same
    /// either way; their order and blank node labels are not part of a dataset.
    public func toRDF(_ document: JSONValue) throws(JSONLDError) -> [Quad] {
        if let quads = directStatements(document) { return quads }
        return try fullRDF(document)
    }

    /// The document as an RDF dataset by the specification's steps: expansion, node map, quads (sorted by
    /// graph, subject and property). The same statements as ``toRDF(_:)``, slower; kept public for the
    /// differential fuzz target.
    public func fullRDF(_ document: JSONValue) throws(JSONLDError) -> [Quad] {
        var map = NodeMap()
        for element in try expand(document) { map.add(element, graph: "@default", subject: nil, property: nil, list: nil) }
        var quads: [Quad] = []
        for graph in map.graphs.keys.sorted() {
            let graphTerm: RDFTerm? = graph == "@default" ? nil : Self.term(forID: graph)
            if graph != "@default", graphTerm == nil { continue }
            let nodes = map.graphs[graph]!
            for subject in nodes.keys.sorted() {
                guard let subjectTerm = Self.term(forID: subject) else { continue }
                let node = nodes[subject]!
                for property in node.keys.sorted() {
                    let values = node[property]!
                    if property == "@type" {
                        for type in values {
                            if case .string(let iri) = type, let object = Self.term(forID: iri) {
                                quads.append(Quad(subjectTerm, .iri(Self.rdfType), object, graphTerm))
                            }
                        }
                        continue
                    }
                    if property.hasPrefix("@") || property.hasPrefix("_:") || Self.term(forID: property) == nil { continue }
                    for item in values {
                        var listQuads: [Quad] = []
                        if let object = try objectTerm(item, graph: graphTerm, listQuads: &listQuads, blanks: &map) {
                            quads.append(Quad(subjectTerm, .iri(property), object, graphTerm))
                        }
                        quads += listQuads
                    }
                }
            }
        }
        return quads
    }

    /// An absolute IRI or a blank node; nil for a relative IRI (not RDF).
    static func term(forID id: String) -> RDFTerm? {
        let bytes = id.utf8
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon != bytes.startIndex else { return nil }
        if bytes.first == UInt8(ascii: "_"), bytes.index(after: bytes.startIndex) == colon { return .blank(String(id[bytes.index(after: colon)...])) }
        return .iri(id)
    }

    /// Object to RDF conversion (8.2) with lists (8.3).
    func objectTerm(_ item: JSONValue, graph: RDFTerm?, listQuads: inout [Quad], blanks: inout NodeMap) throws(JSONLDError) -> RDFTerm? {
        guard case .object(let fields) = item else { return nil }
        if let id = fields["@id"]?.stringValue, fields["@value"] == nil { return Self.term(forID: id) }
        if case .array(let list)? = fields["@list"] {
            guard !list.isEmpty else { return .iri(Self.rdf + "nil") }
            let nodes = list.map { _ in blanks.newBlank() }
            for (index, element) in list.enumerated() {
                let subject = RDFTerm.blank(String(nodes[index].dropFirst(2)))
                if let object = try objectTerm(element, graph: graph, listQuads: &listQuads, blanks: &blanks) {
                    listQuads.append(Quad(subject, .iri(Self.rdf + "first"), object, graph))
                }
                let rest: RDFTerm = index + 1 < nodes.count ? .blank(String(nodes[index + 1].dropFirst(2))) : .iri(Self.rdf + "nil")
                listQuads.append(Quad(subject, .iri(Self.rdf + "rest"), rest, graph))
            }
            return .blank(String(nodes[0].dropFirst(2)))
        }
        guard let value = fields["@value"] else { return nil }
        return try Self.literal(value, datatype: fields["@type"]?.stringValue, language: fields["@language"]?.stringValue)
    }

    /// The literal of a value with its datatype or language (8.2, steps 9–16).
    static func literal(_ value: JSONValue, datatype given: String?, language: String?) throws(JSONLDError) -> RDFTerm {
        var datatype = given
        if datatype == "@json" {
            return .literal(Self.canonicalJSON(value), datatype: Self.rdf + "JSON", language: nil)
        }
        let text: String
        switch value {
        case .bool(let flag):
            text = flag ? "true" : "false"
            datatype = datatype ?? Self.xsdBoolean
        // A number without a fractional part is written as an integer, keeping a coerced datatype, unless the
        // datatype is xsd:double (JSON-LD 1.1 API, 8.2 step 10-11).
        case .int(let number) where datatype != Self.xsdDouble:
            text = String(number)
            datatype = datatype ?? Self.xsdInteger
        case .double(let number) where datatype != Self.xsdDouble && number.rounded() == number && abs(number) < 1e21:
            text = String(Int64(number))
            datatype = datatype ?? Self.xsdInteger
        case .int(let number):
            text = Self.canonicalDouble(Double(number))
        case .double(let number):
            text = Self.canonicalDouble(number)
            datatype = datatype ?? Self.xsdDouble
        case .string(let string):
            text = string
        default:
            throw JSONLDError(path: "$", message: "a value that is not a string, number or boolean")
        }
        if let language { return .literal(text, datatype: RDFTerm.rdfLangString, language: language) }
        return .literal(text, datatype: datatype ?? RDFTerm.xsdString, language: nil)
    }

    /// The canonical lexical form of an xsd:double: `1.1E0`, `-2.5E-3`.
    static func canonicalDouble(_ value: Double) -> String {
        let formatted = String(format: "%1.15E", value)
        guard let e = formatted.firstIndex(of: "E") else { return formatted }
        var mantissa = String(formatted[..<e])
        while mantissa.hasSuffix("0") { mantissa.removeLast() }
        if mantissa.hasSuffix(".") { mantissa += "0" }
        let exponent = Int(formatted[formatted.index(after: e)...]) ?? 0
        return mantissa + "E" + String(exponent)
    }

    /// JSON canonicalization (RFC 8785) for `@json` literals: sorted keys, no whitespace.
    static func canonicalJSON(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return number.rounded() == number && abs(number) < 1e21 ? String(Int64(number)) : "\(number)"
        case .string: return String(decoding: value.jsonBytes(), as: UTF8.self)
        case .array(let items): return "[" + items.map(canonicalJSON).joined(separator: ",") + "]"
        case .object(let fields):
            let keys = fields.keys.sorted { Array($0.utf16).lexicographicallyPrecedes(Array($1.utf16)) }
            return "{" + keys.map { String(decoding: JSONValue.string($0).jsonBytes(), as: UTF8.self) + ":" + canonicalJSON(fields[$0]!) }.joined(separator: ",") + "}"
        }
    }
}

/// The node map of flattening (7.3): graphs → subjects → properties → values, blank nodes relabelled.
struct NodeMap {
    var graphs: [String: [String: [String: [JSONValue]]]] = ["@default": [:]]
    private var labels: [String: String] = [:]
    private var counter = 0

    mutating func newBlank() -> String {
        defer { counter += 1 }
        return "_:b\(counter)"
    }

    mutating func label(_ id: String) -> String {
        guard id.hasPrefix("_:") else { return id }
        if let known = labels[id] { return known }
        let new = newBlank()
        labels[id] = new
        return new
    }

    private mutating func append(_ value: JSONValue, graph: String, subject: String, property: String) {
        let isList = if case .object(let fields) = value { fields["@list"] != nil } else { false }
        graphs[graph]![subject]![property, default: []].appendUnlessPresent(value, always: isList)
    }

    /// Adds an expanded element; `list` collects the items of a list being built.
    mutating func add(_ element: JSONValue, graph: String, subject: String?, property: String?, list: UnsafeMutablePointer<[JSONValue]>?) {
        switch element {
        case .array(let items):
            for item in items { add(item, graph: graph, subject: subject, property: property, list: list) }
        case .object(var fields):
            if graphs[graph] == nil { graphs[graph] = [:] }
            if case .array(let types)? = fields["@type"] {
                fields["@type"] = .array(types.map { type in type.stringValue.map { .string(label($0)) } ?? type })
            }
            if fields["@value"] != nil {
                if let list { list.pointee.append(.object(fields)) } else if let subject, let property {
                    append(.object(fields), graph: graph, subject: subject, property: property)
                }
                return
            }
            if case .array(let items)? = fields["@list"] {
                var collected: [JSONValue] = []
                withUnsafeMutablePointer(to: &collected) { pointer in
                    for item in items { add(item, graph: graph, subject: subject, property: property, list: pointer) }
                }
                let value = JSONValue.object(["@list": .array(collected)])
                if let list { list.pointee.append(value) } else if let subject, let property {
                    append(value, graph: graph, subject: subject, property: property)
                }
                return
            }
            let id = fields["@id"]?.stringValue.map { label($0) } ?? newBlank()
            if graphs[graph]![id] == nil { graphs[graph]![id] = [:] }
            if let property {
                let reference = JSONValue.object(["@id": .string(id)])
                if let list { list.pointee.append(reference) } else if let subject { append(reference, graph: graph, subject: subject, property: property) }
            }
            if case .array(let types)? = fields["@type"] {
                for type in types { append(type, graph: graph, subject: id, property: "@type") }
            }
            if let inner = fields["@graph"] { add(inner, graph: id, subject: nil, property: nil, list: nil) }
            for key in fields.keys.sorted() where !key.hasPrefix("@") {
                let property = label(key)
                if graphs[graph]![id]![property] == nil { graphs[graph]![id]![property] = [] }
                add(fields[key]!, graph: graph, subject: id, property: property, list: nil)
            }
        default:
            return
        }
    }
}

extension Array where Element == JSONValue {
    fileprivate mutating func appendUnlessPresent(_ value: JSONValue, always: Bool) {
        if always || !contains(value) { append(value) }
    }
}
