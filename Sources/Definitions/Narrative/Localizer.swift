public import Basics
public import Foundation

/// Fixed user-facing text in Finnish, Swedish and English, read from the bundled `strings.json`.
///
/// Text lives in data, not in code branches: a key maps to one template per language, with `{name}`
/// placeholders filled from the arguments.
public struct Localizer: Sendable {
    public static let shared = Localizer()

    let table: [String: [String: String]]
    /// The same templates split at their placeholders.
    let templates: [String: [String: TextTemplate]]

    init() {
        self.init(table: Bundle.module.url(forResource: "strings", withExtension: "json"))
    }

    /// A table of the same form from another resource (`{"key": {"fi": …, "sv": …, "en": …}}`); empty
    /// when it cannot be read, so that every text shows its key.
    public init(table url: URL?) {
        if let url,
            let data = try? Data(contentsOf: url),
            let table = try? JSONDecoder().decode([String: [String: String]].self, from: data)
        {
            self.table = table
        } else {
            self.table = [:]
        }
        templates = table.mapValues { $0.mapValues { TextTemplate($0) } }
    }

    /// Every key in the table, for completeness checks.
    public var keys: [String] { table.keys.sorted() }

    /// Whether a key has a template in a language.
    public func has(_ key: String, in language: Language) -> Bool { table[key]?[language.rawValue] != nil }

    /// The template for a key in a language with placeholders filled; Finnish when the language is
    /// missing, and the key itself when the key is unknown (so a gap shows instead of vanishing).
    public func text(_ key: String, _ language: Language, _ arguments: [String: String] = [:]) -> String {
        guard !arguments.isEmpty else { return template(key, language).render { _ in nil } }
        return template(key, language).render { arguments[$0] }
    }

    /// The template for a key in a language, split once at its placeholders, for text built many times.
    public func template(_ key: String, _ language: Language) -> TextTemplate {
        guard let byLanguage = templates[key], let template = byLanguage[language.rawValue] ?? byLanguage[Language.fi.rawValue]
        else { return TextTemplate(key) }
        return template
    }
}

/// A text with `{name}` placeholders, split into literal runs and placeholder names.
public struct TextTemplate: Sendable {
    public enum Piece: Sendable {
        case literal(String)
        case placeholder(String)
    }

    public let pieces: [Piece]

    public init(_ text: String) {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { pieces.append(.literal(String(rest[..<open]))) }
            pieces.append(.placeholder(String(rest[rest.index(after: open)..<close])))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        self.pieces = pieces
    }

    /// The text with each placeholder replaced by its value among `values` (a few pairs, searched in
    /// order); as ``render(_:)-(String)->String?``.
    public func render(_ values: KeyValuePairs<String, String>) -> String {
        render { name in values.first { $0.key == name }?.value }
    }

    /// The text with each placeholder replaced by `value(name)`; a placeholder without a value stays as
    /// it is. Values are not themselves searched for placeholders.
    public func render(_ value: (String) -> String?) -> String {
        var output = ""
        output.reserveCapacity(64)
        for piece in pieces {
            switch piece {
            case .literal(let text): output += text
            case .placeholder(let name): output += value(name) ?? "{\(name)}"
            }
        }
        return output
    }
}
