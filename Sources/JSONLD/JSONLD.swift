import Foundation
public import Basics
import RDF
import Synchronization

/// Why a JSON-LD document could not be processed: what, and where (a JSON path).
public struct JSONLDError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// The contexts a document may name, by URL; no context is ever fetched from a network.
public struct ContextLoader: Sendable {
    let documents: [String: JSONValue]
    /// Active contexts made from these documents alone, kept: the documents never change, so processing
    /// the same context onto the same active context gives the same result every time.
    let cache = ContextCache()

    public init(_ documents: [String: JSONValue]) { self.documents = documents }

    /// How many active contexts the loader keeps now.
    public var keptContexts: Int { cache.count }

    func load(_ url: String, at path: String) throws(JSONLDError) -> JSONValue {
        guard let document = documents[url] else {
            throw JSONLDError(path: path, message: "unknown context \(url): only the bundled contexts are used, never one from the network")
        }
        guard case .object(let fields) = document, let context = fields["@context"] else {
            throw JSONLDError(path: path, message: "the context document \(url) has no @context")
        }
        return context
    }
}

/// A JSON-LD 1.1 processor for documents built on known contexts (VC 2.0, OB 3.0): context processing
/// (`@protected`, type- and property-scoped contexts, `@vocab`, `@base`, `@language`, `@type` coercion,
/// `@container` `@graph`, `@set`, `@list`, `@language`, `@json`), expansion and deserialisation to RDF.
/// Stricter than the specification where that protects a signer: an undefined term is an error, not
/// dropped, and so is an unknown context.
public struct JSONLDProcessor: Sendable {
    let loader: ContextLoader

    public init(loader: ContextLoader) { self.loader = loader }

    // MARK: Active context

    struct Term: Sendable, Equatable {
        var iri: String
        var type: String?
        var container: Set<String> = []
        var language: String??
        var context: Scoped?
        var protected = false
        var prefix = false
    }

    /// A term's scoped context; `key` names it in the loader's cache when it came from the loader's
    /// documents (and so is the same wherever it is used), nil when a document defined it.
    struct Scoped: Sendable, Equatable {
        var value: JSONValue
        var key: Int?
        static func == (a: Scoped, b: Scoped) -> Bool { a.value == b.value }
    }

    struct Context: Sendable {
        var terms: [String: Term] = [:]
        var vocab: String?
        var base: String?
        var language: String?
        /// The context to go back to when entering a node object (type-scoped contexts do not propagate).
        var previous: Box?
        /// Names this context in the loader's cache: set only on the empty context and on contexts made from
        /// it by the loader's documents alone (never by a context a document carries in itself).
        var key: Int?
        /// The terms that stand for a keyword (`id` for `@id`), kept beside `terms` when a context is made:
        /// a node's keys are told from its properties by a look along this short list, without hashing.
        var aliases: [Alias] = []

        struct Alias: Sendable {
            var term: String
            var keyword: String
        }

        /// Where expansion starts.
        static let initial = Context(key: 0)

        final class Box: Sendable {
            let context: Context
            init(_ context: Context) { self.context = context }
        }
    }

    static let keywords: Set<String> = [
        "@base", "@container", "@context", "@direction", "@graph", "@id", "@import", "@included", "@index", "@json", "@language", "@list",
        "@nest", "@none", "@prefix", "@propagate", "@protected", "@reverse", "@set", "@type", "@value", "@version", "@vocab",
    ]

    /// Whether a text is a keyword (most are not: they are told by their first byte, without hashing).
    @inline(__always) static func isKeyword(_ text: String) -> Bool {
        text.utf8.first == UInt8(ascii: "@") && keywords.contains(text)
    }

    /// Whether `key` expands to `keyword` in `active`: the keyword itself or a term aliasing it (a compact
    /// or absolute IRI, or a word under @vocab, never expands to a keyword).
    @inline(__always) static func isAlias(_ key: String, of keyword: String, in active: Context) -> Bool {
        key.isSame(as: keyword) || active.aliases.contains { $0.term.isSame(as: key) && $0.keyword.isSame(as: keyword) }
    }


    /// The keyword a key stands for in `active` (itself, or the keyword a term aliases); nil for any other key.
    @inline(__always) static func keyword(_ key: String, in active: Context) -> String? {
        if isKeyword(key) { return key }
        return active.aliases.first { $0.term.isSame(as: key) }?.keyword
    }

    /// Processes a local context (a URL, an object, or an array of them) onto `active`. `scoped` names a
    /// term's scoped context in the cache. A context made only from the loader's documents is kept in its cache
    /// and taken from there the next time.
    /// The JSON path (`path`, for errors) is made only when the context is processed, not when it is kept.
    func process(
        _ local: JSONValue, onto active: Context, at path: @autoclosure () -> String, propagate: Bool = true, overrideProtected: Bool = false,
        scoped: Int? = nil
    ) throws(JSONLDError) -> Context {
        guard let activeKey = active.key, let source = ContextCache.Source(local, scoped: scoped) else {
            return try process(local, onto: active, at: path(), propagate: propagate, overrideProtected: overrideProtected, fromLoader: false)
        }
        let key = ContextCache.Key(active: activeKey, source: source, propagate: propagate, overrideProtected: overrideProtected)
        if let kept = loader.cache[key] { return kept }
        var result = try process(local, onto: active, at: path(), propagate: propagate, overrideProtected: overrideProtected, fromLoader: true)
        result.key = loader.cache.keep(result, as: key)
        return result
    }

    /// Context processing (JSON-LD 1.1 API, 4.1). `fromLoader`: the local context is the loader's (its
    /// scoped contexts get cache names).
    private func process(
        _ local: JSONValue, onto active: Context, at path: String, propagate givenPropagate: Bool, overrideProtected: Bool, fromLoader: Bool
    ) throws(JSONLDError) -> Context {
        var result = active
        result.key = nil
        var contexts: [JSONValue]
        if case .array(let list) = local { contexts = list } else { contexts = [local] }
        var propagate = givenPropagate
        if case .object(let fields) = local, case .bool(let value)? = fields["@propagate"] { propagate = value }
        if !propagate, result.previous == nil { result.previous = Context.Box(active) }
        for (index, context) in contexts.enumerated() {
            let here = contexts.count > 1 ? "\(path)[\(index)]" : path
            switch context {
            case .null:
                guard overrideProtected || !result.terms.values.contains(where: \.protected) else {
                    throw JSONLDError(path: here, message: "a null context cannot clear protected terms")
                }
                result = Context(base: active.base)
            case .string(let url):
                result = try process(
                    try loader.load(url, at: here), onto: result, at: here, propagate: true, overrideProtected: overrideProtected, fromLoader: fromLoader)
            case .object(let fields):
                if case .string(let version)? = fields["@version"] ?? nil, version != "1.1" {
                    throw JSONLDError(path: here + ".@version", message: "only JSON-LD 1.1 is supported")
                }
                if fields["@import"] != nil { throw JSONLDError(path: here + ".@import", message: "@import is not supported") }
                if let base = fields["@base"] {
                    switch base {
                    case .null: result.base = nil
                    case .string(let iri): result.base = Self.resolve(iri, against: result.base)
                    default: throw JSONLDError(path: here + ".@base", message: "@base must be a string or null")
                    }
                }
                if let vocab = fields["@vocab"] {
                    switch vocab {
                    case .null: result.vocab = nil
                    case .string(let iri): result.vocab = try expandIRI(iri, result, vocab: true, documentRelative: true, at: here + ".@vocab")
                    default: throw JSONLDError(path: here + ".@vocab", message: "@vocab must be a string or null")
                    }
                }
                if let language = fields["@language"] {
                    switch language {
                    case .null: result.language = nil
                    case .string(let tag): result.language = tag.lowercased()
                    default: throw JSONLDError(path: here + ".@language", message: "@language must be a string or null")
                    }
                }
                let protectedDefault: Bool = if case .bool(let value)? = fields["@protected"] { value } else { false }
                var defined: [String: Bool] = [:]
                for key in fields.keys.sorted() where !["@base", "@vocab", "@language", "@version", "@protected", "@propagate", "@direction"].contains(key) {
                    try define(
                        key, from: fields, into: &result, defined: &defined, protectedDefault: protectedDefault, overrideProtected: overrideProtected,
                        fromLoader: fromLoader, at: here)
                }
            default:
                throw JSONLDError(path: here, message: "a context must be a URL, an object or null")
            }
        }
        // A term's IRI begins with "@" only when it is a keyword (a keyword-like @id is ignored above).
        result.aliases = result.terms.compactMap { term, definition in
            definition.iri.utf8.first == UInt8(ascii: "@") ? Context.Alias(term: term, keyword: definition.iri) : nil
        }.sorted { $0.term < $1.term }
        return result
    }

    /// Creates a term definition (JSON-LD 1.1 API, 4.2).
    func define(
        _ term: String, from local: [String: JSONValue], into active: inout Context, defined: inout [String: Bool], protectedDefault: Bool,
        overrideProtected: Bool, fromLoader: Bool, at path: String
    ) throws(JSONLDError) {
        let here = path + "." + term
        if let done = defined[term] {
            if done { return }
            throw JSONLDError(path: here, message: "a cyclic term definition")
        }
        defined[term] = false
        guard !Self.isKeyword(term) else { throw JSONLDError(path: here, message: "a keyword cannot be redefined") }
        let previous = active.terms[term]
        active.terms[term] = nil
        let value = local[term] ?? .null
        var fields: [String: JSONValue]
        switch value {
        case .null:
            fields = ["@id": .null]
        case .string(let id):
            fields = ["@id": .string(id)]
        case .object(let object):
            fields = object
        default:
            throw JSONLDError(path: here, message: "a term definition must be a string, an object or null")
        }
        var definition = Term(iri: "")
        definition.protected = if case .bool(let value)? = fields["@protected"] { value } else { protectedDefault }
        if let type = fields["@type"] {
            guard case .string(let typeText) = type else { throw JSONLDError(path: here + ".@type", message: "@type must be a string") }
            let expanded = try expandIRI(
                typeText, &active, vocab: true, documentRelative: false, local: local, defined: &defined, fromLoader: fromLoader, at: here + ".@type")
            guard ["@id", "@vocab", "@json", "@none"].contains(expanded) || (expanded.contains(Character(":")) && !expanded.hasPrefix("_:")) else {
                throw JSONLDError(path: here + ".@type", message: "invalid type mapping \(typeText)")
            }
            definition.type = expanded
        }
        if fields["@reverse"] != nil { throw JSONLDError(path: here, message: "@reverse terms are not supported") }
        switch fields["@id"] {
        case .string(let id)? where id != term:
            guard !id.hasPrefix("@") || Self.keywords.contains(id) else {
                // A keyword-like form that is not a keyword: ignored, as the specification says.
                defined[term] = true
                return
            }
            definition.iri = try expandIRI(
                id, &active, vocab: true, documentRelative: false, local: local, defined: &defined, fromLoader: fromLoader, at: here + ".@id")
            if definition.iri == "@context" { throw JSONLDError(path: here, message: "a term cannot be an alias of @context") }
            if !term.contains(Character(":")), !term.contains(Character("/")), let last = definition.iri.last, ":/?#[]@".contains(last) || definition.iri.hasPrefix("_:") {
                definition.prefix = true
            }
        case .null?:
            // Explicitly not a term: a use of it is an error.
            definition.iri = ""
        default:
            if let colon = term.firstIndex(of: ":"), term.index(after: colon) < term.endIndex {
                let prefix = String(term[..<colon])
                if local[prefix] != nil {
                    try define(
                        prefix, from: local, into: &active, defined: &defined, protectedDefault: protectedDefault, overrideProtected: overrideProtected,
                        fromLoader: fromLoader, at: path)
                }
                if let prefixTerm = active.terms[prefix] {
                    definition.iri = prefixTerm.iri + term[term.index(after: colon)...]
                } else {
                    definition.iri = term
                }
            } else if let vocab = active.vocab {
                definition.iri = vocab + term
            } else {
                throw JSONLDError(path: here, message: "the term \(term) has no IRI (no @id and no @vocab)")
            }
        }
        if let container = fields["@container"] {
            var values: [String] = []
            switch container {
            case .string(let one): values = [one]
            case .array(let many):
                for item in many {
                    guard case .string(let one) = item else { throw JSONLDError(path: here + ".@container", message: "@container values must be strings") }
                    values.append(one)
                }
            default: throw JSONLDError(path: here + ".@container", message: "@container must be a string or an array")
            }
            for value in values where !["@graph", "@set", "@list", "@language", "@index", "@id", "@type"].contains(value) {
                throw JSONLDError(path: here + ".@container", message: "unknown container \(value)")
            }
            definition.container = Set(values)
        }
        if let context = fields["@context"] {
            // Checked now, so that an error is reported at the definition (it is applied when used).
            _ = try process(context, onto: active, at: here + ".@context", propagate: true, overrideProtected: true, fromLoader: fromLoader)
            definition.context = Scoped(value: context, key: fromLoader ? loader.cache.newName() : nil)
        }
        if let language = fields["@language"], fields["@type"] == nil {
            switch language {
            case .null: definition.language = .some(nil)
            case .string(let tag): definition.language = .some(tag.lowercased())
            default: throw JSONLDError(path: here + ".@language", message: "@language must be a string or null")
            }
        }
        if let previous, previous.protected, !overrideProtected {
            var same = definition
            same.protected = previous.protected
            guard same == previous else {
                throw JSONLDError(path: here, message: "the protected term \(term) cannot be redefined")
            }
            definition = previous
        }
        active.terms[term] = definition
        defined[term] = true
    }

    /// IRI expansion (5.2) during context processing, defining terms of the local context on the way.
    func expandIRI(
        _ value: String, _ active: inout Context, vocab: Bool, documentRelative: Bool, local: [String: JSONValue], defined: inout [String: Bool],
        fromLoader: Bool, at path: String
    ) throws(JSONLDError) -> String {
        if Self.isKeyword(value) { return value }
        if local[value] != nil, defined[value] != true {
            try define(
                value, from: local, into: &active, defined: &defined, protectedDefault: false, overrideProtected: false, fromLoader: fromLoader, at: path)
        }
        if let colon = value.firstIndex(of: ":") {
            let prefix = String(value[..<colon])
            if local[prefix] != nil, defined[prefix] != true {
                try define(
                    prefix, from: local, into: &active, defined: &defined, protectedDefault: false, overrideProtected: false, fromLoader: fromLoader,
                    at: path)
            }
        }
        return try expandIRI(value, active, vocab: vocab, documentRelative: documentRelative, at: path)
    }

    /// IRI expansion (5.2): keywords, terms, compact IRIs, absolute IRIs, then @vocab or @base.
    func expandIRI(_ value: String, _ active: Context, vocab: Bool, documentRelative: Bool, at path: String) throws(JSONLDError) -> String {
        if Self.isKeyword(value) { return value }
        if vocab, let term = active.terms[value] {
            guard !term.iri.isEmpty else { throw JSONLDError(path: path, message: "\(value) is explicitly not a term here") }
            return term.iri
        }
        if let colon = value.utf8.firstIndex(of: UInt8(ascii: ":")) {
            let prefix = String(value[..<colon])
            let suffix = value[value.index(after: colon)...]
            if prefix == "_" || suffix.hasPrefix("//") { return value }
            if let term = active.terms[prefix], term.prefix || !term.iri.isEmpty && !suffix.isEmpty && active.terms[prefix]?.iri.last.map({ ":/?#[]@".contains($0) }) == true {
                return term.iri + suffix
            }
            // An absolute IRI (a scheme and a colon).
            if Self.isScheme(prefix) { return value }
        }
        if vocab, let base = active.vocab { return base + value }
        if documentRelative { return Self.resolve(value, against: active.base) }
        throw JSONLDError(path: path, message: "\(value) is not defined by the context (and there is no @vocab)")
    }

    /// Whether a text is a scheme: a letter, then letters, digits, `+`, `-` and `.` (an ASCII text is told by
    /// its bytes; any other by its characters, as letters and digits of any script count here).
    static func isScheme(_ text: String) -> Bool {
        let bytes = text.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            return text.first?.isLetter == true && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
        }
        func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") }
        guard let first = bytes.first, isLetter(first) else { return false }
        return bytes.allSatisfy { isLetter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// Resolves a relative IRI reference against a base (RFC 3986, 5.2), enough for credentials: an
    /// absolute reference stays as it is; without a base, the reference stays relative.
    static func resolve(_ reference: String, against base: String?) -> String {
        guard let base, !reference.isEmpty || true else { return reference }
        if let colon = reference.firstIndex(of: ":"), reference[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }),
            reference.first?.isLetter == true
        {
            return reference
        }
        guard let schemeEnd = base.range(of: "://") else { return reference }
        let authorityStart = schemeEnd.upperBound
        let pathStart = base[authorityStart...].firstIndex(of: "/") ?? base.endIndex
        let root = String(base[..<pathStart])
        if reference.hasPrefix("//") { return String(base[..<schemeEnd.lowerBound]) + ":" + reference }
        if reference.hasPrefix("/") { return root + reference }
        if reference.isEmpty { return base.split(separator: "#", maxSplits: 1).first.map(String.init) ?? base }
        if reference.hasPrefix("#") { return (base.split(separator: "#", maxSplits: 1).first.map(String.init) ?? base) + reference }
        if reference.hasPrefix("?") { return (base.split(separator: "?", maxSplits: 1).first.map(String.init) ?? base) + reference }
        let basePath = String(base[pathStart...].prefix { $0 != "?" && $0 != "#" })
        let directory = basePath.lastIndex(of: "/").map { String(basePath[...$0]) } ?? "/"
        var segments: [Substring] = []
        for segment in (directory + reference).split(separator: "/", omittingEmptySubsequences: false) {
            if segment == "." { continue }
            if segment == ".." {
                if segments.count > 1 { segments.removeLast() }
                continue
            }
            segments.append(segment)
        }
        return root + segments.joined(separator: "/")
    }
}


extension ContextLoader {
    /// The contexts shipped inside Merkisto, by the URLs documents name them with.
    public static let bundled: ContextLoader = ContextLoader(bundledDocuments ?? [:])

    /// The bundled context documents by URL (nil when one cannot be read).
    public static let bundledDocuments: [String: JSONValue]? = {
        let files = [
            "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-context-2.0.1.json",
            "https://w3id.org/openbadges/v2": "openbadges-v2.json",
            "https://w3id.org/security/suites/ed25519-2020/v1": "security-suites-ed25519-2020-v1.jsonld",
        ]
        var documents: [String: JSONValue] = [:]
        for (url, file) in files {
            let name = (file as NSString).deletingPathExtension
            let ext = (file as NSString).pathExtension
            if let path = Bundle.module.url(forResource: "Contexts/" + name, withExtension: ext),
                let data = FileManager.default.contents(atPath: path.path),
                let value = try? JSONDecoder().decode(JSONValue.self, from: data)
            {
                documents[url] = value
            } else {
                return nil
            }
        }
        return documents
    }()
}

/// The loader's kept active contexts, at most `limit` (a document can only combine the loader's scoped
/// contexts in so many ways, but it is not left to a document how many are kept).
final class ContextCache: Sendable {
    /// What was processed: a list of context URLs, or a scoped context of the loader's by its name.
    enum Source: Hashable {
        case urls([String])
        case scoped(Int)

        init?(_ local: JSONValue, scoped: Int?) {
            if let scoped {
                self = .scoped(scoped)
                return
            }
            switch local {
            case .string(let url): self = .urls([url])
            case .array(let items):
                var urls: [String] = []
                for item in items {
                    guard case .string(let url) = item else { return nil }
                    urls.append(url)
                }
                self = .urls(urls)
            default: return nil
            }
        }
    }

    struct Key: Hashable {
        var active: Int
        var source: Source
        var propagate: Bool
        var overrideProtected: Bool
    }

    static let limit = 512
    private let state = Mutex<(contexts: [Key: JSONLDProcessor.Context], names: Int)>(([:], 0))

    subscript(key: Key) -> JSONLDProcessor.Context? { state.withLock { $0.contexts[key] } }

    var count: Int { state.withLock { $0.contexts.count } }

    /// A new name for a context or a scoped context (0 is the empty context's).
    func newName() -> Int { state.withLock { $0.names += 1; return $0.names } }

    /// Keeps `context` under `key` and returns its name; nil (not kept) when the cache is full.
    func keep(_ context: JSONLDProcessor.Context, as key: Key) -> Int? {
        state.withLock { state in
            if let kept = state.contexts[key] { return kept.key }
            guard state.contexts.count < Self.limit else { return nil }
            state.names += 1
            var named = context
            named.key = state.names
            state.contexts[key] = named
            return state.names
        }
    }
}
