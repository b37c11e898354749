public import Basics
import RDF

extension JSONLDProcessor {
    // MARK: Expansion (JSON-LD 1.1 API, 5.1)

    /// The document in expanded form: an array of node objects.
    public func expand(_ document: JSONValue) throws(JSONLDError) -> [JSONValue] {
        let expanded = try expand(document, active: .initial, property: nil, at: "$")
        switch expanded {
        case .null: return []
        case .array(let list): return list
        case .object(let fields) where fields.count == 1 && fields["@graph"] != nil:
            if case .array(let list)? = fields["@graph"] { return list }
            return [fields["@graph"]!]
        default: return [expanded]
        }
    }

    func expand(_ element: JSONValue, active given: Context, property: String?, at path: String, fromMap: Bool = false) throws(JSONLDError) -> JSONValue {
        var active = given
        switch element {
        case .null:
            return .null
        case .array(let items):
            var result: [JSONValue] = []
            for (index, item) in items.enumerated() {
                let expanded = try expand(item, active: active, property: property, at: "\(path)[\(index)]")
                if case .array(let more) = expanded { result += more } else if expanded != .null { result.append(expanded) }
            }
            return .array(result)
        case .bool, .int, .double, .string:
            // A value outside any property (free-floating) is dropped.
            guard let property, property != "@graph" else { return .null }
            // A property-scoped context applies to the property's plain values too (5.1.2, step 5): the
            // terms of `proofPurpose` ("assertionMethod") are defined only there.
            if let scoped = given.terms[property]?.context {
                active = try process(scoped.value, onto: active, at: path, overrideProtected: true, scoped: scoped.key)
            }
            return try expandValue(element, active: active, property: property, at: path)
        case .object(let fields):
            let (active, typeScoped, typeKey) = try nodeContexts(fields, given: given, property: property, at: path, fromMap: fromMap)
            return try expandObject(fields, active: active, typeScoped: typeScoped, typeKey: typeKey, property: property, at: path)
        }
    }

    /// The contexts an object met as the value of `property` in `given` is expanded in (5.1.2, steps 7–11):
    /// `active` for its keys and values, `typeScoped` (before any type-scoped context) for its types, and
    /// the key its types are under.
    func nodeContexts(
        _ fields: [String: JSONValue], given: Context, property: String?, at path: String, fromMap: Bool = false
    ) throws(JSONLDError) -> (active: Context, typeScoped: Context, typeKey: String?) {
        var active = given
        // A context that does not propagate applies only to its own node object.
        if let previous = active.previous, !fromMap, !fields.keys.contains(where: { Self.isAlias($0, of: "@value", in: active) }),
            !(fields.count == 1 && Self.isAlias(fields.keys.first!, of: "@id", in: active))
        {
            active = previous.context
        }
        if let property, let scoped = given.terms[property]?.context {
            active = try process(scoped.value, onto: active, at: path, overrideProtected: true, scoped: scoped.key)
        }
        if let local = fields["@context"] { active = try process(local, onto: active, at: path + ".@context") }
        // Type-scoped contexts, looked up in the context before any of them. The keys are taken in sorted
        // order, each one an alias of @type in the context as it is by then.
        let typeScoped = active
        func applyTypes(of key: String, onto active: inout Context) throws(JSONLDError) {
            var types: [String] = []
            switch fields[key]! {
            case .string(let one): types = [one]
            case .array(let many): types = many.compactMap { if case .string(let one) = $0 { one } else { nil } }
            default: break
            }
            for type in types.count > 1 ? types.sorted() : types {
                if let scoped = typeScoped.terms[type]?.context {
                    active = try process(scoped.value, onto: active, at: path + "." + key, propagate: false, scoped: scoped.key)
                }
            }
        }
        // Most objects have one such key, and the contexts its types bring alias no later key to @type: then
        // the sorted walk over every key comes to the same without sorting them.
        var typeKeys = 0
        var onlyTypeKey: String?
        for key in fields.keys where Self.isAlias(key, of: "@type", in: typeScoped) {
            typeKeys += 1
            onlyTypeKey = key
        }
        if typeKeys <= 1 {
            guard let key = onlyTypeKey else { return (active, typeScoped, nil) }
            try applyTypes(of: key, onto: &active)
            if !fields.keys.contains(where: { Self.isAlias($0, of: "@type", in: active) && $0 > key }) {
                return (active, typeScoped, key)
            }
            active = typeScoped
        }
        var typeKey: String?
        for key in fields.keys.sorted() where Self.isAlias(key, of: "@type", in: active) {
            typeKey = key
            try applyTypes(of: key, onto: &active)
        }
        return (active, typeScoped, typeKey)
    }

    private func expandObject(
        _ fields: [String: JSONValue], active: Context, typeScoped: Context, typeKey: String?, property: String?, at path: String
    ) throws(JSONLDError) -> JSONValue {
        var result: [String: JSONValue] = [:]
        func add(_ key: String, _ value: JSONValue) {
            var list: [JSONValue] = if case .array(let existing)? = result[key] { existing } else { [] }
            if case .array(let more) = value { list += more } else { list.append(value) }
            result[key] = .array(list)
        }
        for key in fields.keys.sorted() where key != "@context" {
            let value = fields[key]!
            let here = path + "." + key
            let expandedProperty = try expandIRI(key, active, vocab: true, documentRelative: false, at: here)
            if expandedProperty.hasPrefix("@") {
                switch expandedProperty {
                case "@id":
                    guard case .string(let id) = value else { throw JSONLDError(path: here, message: "@id must be a string") }
                    result["@id"] = .string(try absolute(try expandIRI(id, active, vocab: false, documentRelative: true, at: here), id, at: here))
                case "@type":
                    var types: [JSONValue] = []
                    for item in (value.arrayValue ?? [value]) {
                        guard case .string(let type) = item else { throw JSONLDError(path: here, message: "@type values must be strings") }
                        let iri = try expandIRI(type, typeScoped, vocab: true, documentRelative: true, at: here)
                        // Stricter than JSON-LD: a type the contexts do not define would be signed as a relative IRI
                        // that no RDF holds (pyld resolves it against a made-up base); refuse it.
                        guard JSONLDProcessor.term(forID: iri) != nil else {
                            throw JSONLDError(path: here, message: "the type \(type) is not defined by the context")
                        }
                        types.append(.string(iri))
                    }
                    result["@type"] = .array(types)
                case "@value":
                    result["@value"] = value
                case "@language":
                    guard case .string(let tag) = value else { throw JSONLDError(path: here, message: "@language must be a string") }
                    result["@language"] = .string(tag.lowercased())
                case "@graph":
                    let expanded = try expand(value, active: active, property: "@graph", at: here)
                    result["@graph"] = expanded.arrayValue.map(JSONValue.array) ?? .array([expanded])
                case "@list":
                    let expanded = try expand(value, active: active, property: property, at: here)
                    result["@list"] = expanded.arrayValue.map(JSONValue.array) ?? .array(expanded == .null ? [] : [expanded])
                case "@set":
                    add("@set", try expand(value, active: active, property: property, at: here))
                case "@index":
                    result["@index"] = value
                default:
                    throw JSONLDError(path: here, message: "\(expandedProperty) is not supported here")
                }
                continue
            }
            guard expandedProperty.contains(Character(":")) else { throw JSONLDError(path: here, message: "\(key) does not expand to an IRI") }
            let term = active.terms[key]
            let container = term?.container ?? []
            var expanded: JSONValue
            if term?.type == "@json" {
                expanded = .object(["@value": value, "@type": "@json"])
            } else if container.contains("@language"), case .object(let map) = value {
                var items: [JSONValue] = []
                for language in map.keys.sorted() {
                    for item in map[language]!.arrayValue ?? [map[language]!] {
                        guard case .string(let text) = item else { throw JSONLDError(path: here + "." + language, message: "a language map holds strings") }
                        items.append(language == "@none" ? ["@value": .string(text)] : ["@value": .string(text), "@language": .string(language.lowercased())])
                    }
                }
                expanded = .array(items)
            } else {
                expanded = try expand(value, active: active, property: key, at: here)
            }
            if expanded == .null { continue }
            if container.contains("@list"), !(expanded.objectValue?["@list"] != nil) {
                expanded = .object(["@list": expanded.arrayValue.map(JSONValue.array) ?? .array([expanded])])
            }
            if container.contains("@graph") {
                expanded = .array((expanded.arrayValue ?? [expanded]).map { item in .object(["@graph": .array(item.arrayValue ?? [item])]) })
            }
            add(expandedProperty, expanded)
        }
        // A value object, checked.
        if let value = result["@value"] {
            if case .array = value { throw JSONLDError(path: path, message: "@value cannot be an array") }
            if result["@type"] != nil, case .array(let types)? = result["@type"] {
                guard types.count == 1 else { throw JSONLDError(path: path, message: "a value has one @type") }
                result["@type"] = types[0]
            }
            if value == .null { return .null }
            return .object(result)
        }
        if let set = result["@set"] { return set }
        if result.count == 1, result["@language"] != nil { return .null }
        return .object(result)
    }

    /// Stricter than JSON-LD, as for types: an identifier that stays a relative IRI would be left out of
    /// the RDF, and so out of what a proof signs, while the JSON still shows it; refuse it.
    func absolute(_ iri: String, _ written: String, at path: String) throws(JSONLDError) -> String {
        guard JSONLDProcessor.term(forID: iri) != nil else {
            throw JSONLDError(path: path, message: "\(written) is neither an absolute IRI nor a term the context defines")
        }
        return iri
    }

    /// What a plain value (a string, number or boolean) of a term expands to (5.3.2): a node's IRI, or a
    /// value with its datatype or language.
    enum ExpandedValue {
        case id(String)
        case value(JSONValue, type: String?, language: String?)
    }

    /// Value expansion (5.3.2) of a plain value of `term` (the property's definition in `active`).
    func expandedValue(_ value: JSONValue, term: Term?, active: Context, at path: String) throws(JSONLDError) -> ExpandedValue {
        if case .string(let text) = value {
            switch term?.type {
            case "@id"?: return .id(try absolute(try expandIRI(text, active, vocab: false, documentRelative: true, at: path), text, at: path))
            case "@vocab"?: return .id(try absolute(try expandIRI(text, active, vocab: true, documentRelative: true, at: path), text, at: path))
            default: break
            }
        }
        if let type = term?.type, type != "@id", type != "@vocab", type != "@none" {
            return .value(value, type: type, language: nil)
        }
        if case .string = value, let language = term?.language ?? active.language {
            return .value(value, type: nil, language: language)
        }
        return .value(value, type: nil, language: nil)
    }

    /// Value expansion (5.3.2), as expanded JSON.
    func expandValue(_ value: JSONValue, active: Context, property: String, at path: String) throws(JSONLDError) -> JSONValue {
        switch try expandedValue(value, term: active.terms[property], active: active, at: path) {
        case .id(let iri): return .object(["@id": .string(iri)])
        case .value(let value, let type?, _): return .object(["@value": value, "@type": .string(type)])
        case .value(let value, nil, let language?): return .object(["@value": value, "@language": .string(language)])
        case .value(let value, nil, nil): return .object(["@value": value])
        }
    }
}
