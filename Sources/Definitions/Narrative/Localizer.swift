import Foundation

/// Fixed user-facing text in Finnish, Swedish and English, read from the bundled `strings.json`.
///
/// Text lives in data, not in code branches: a key maps to one template per language, with `{name}`
/// placeholders filled from the arguments.
public struct Localizer: Sendable {
    public static let shared = Localizer()

    let table: [String: [String: String]]

    init() {
        if let url = Bundle.module.url(forResource: "strings", withExtension: "json"),
            let data = try? Data(contentsOf: url),
            let table = try? JSONDecoder().decode([String: [String: String]].self, from: data)
        {
            self.table = table
        } else {
            self.table = [:]
        }
    }

    /// Every key in the table, for completeness checks.
    public var keys: [String] { table.keys.sorted() }

    /// Whether a key has a template in a language.
    public func has(_ key: String, in language: Language) -> Bool { table[key]?[language.rawValue] != nil }

    /// The template for a key in a language with placeholders filled; Finnish when the language is
    /// missing, and the key itself when the key is unknown (so a gap shows instead of vanishing).
    public func text(_ key: String, _ language: Language, _ arguments: [String: String] = [:]) -> String {
        guard let templates = table[key], let template = templates[language.rawValue] ?? templates[Language.fi.rawValue]
        else { return key }
        var result = template
        for (name, value) in arguments {
            result = result.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return result
    }
}
