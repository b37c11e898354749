public import Basics

/// A text in Finnish and, usually, Swedish and English.
///
/// Finnish is always present (the loader reports `missing-finnish` otherwise); a missing translation
/// falls back to Finnish, so a reader always sees something.
public struct LocalizedText: Sendable, Hashable {
    // One slot per language rather than a dictionary: every definition holds several of these, and
    // building and reading dictionaries showed in linting's profile.
    private var finnish: String?
    private var swedish: String?
    private var english: String?

    public init(fi: String, sv: String? = nil, en: String? = nil) {
        finnish = fi
        swedish = sv
        english = en
    }

    init(values: [Language: String]) {
        finnish = values[.fi]
        swedish = values[.sv]
        english = values[.en]
    }

    /// The texts there are, by language.
    public var values: [Language: String] {
        var values: [Language: String] = [:]
        for language in Language.allCases { values[language] = self[language] }
        return values
    }

    /// The text written in a language, if any.
    subscript(language: Language) -> String? {
        get {
            switch language {
            case .fi: finnish
            case .sv: swedish
            case .en: english
            }
        }
        set {
            switch language {
            case .fi: finnish = newValue
            case .sv: swedish = newValue
            case .en: english = newValue
            }
        }
    }

    /// The Finnish text (or, were it missing, the first other there is).
    public var fi: String { finnish ?? swedish ?? english ?? "" }

    /// The text in a language, or in Finnish when that translation is missing.
    public func text(in language: Language) -> String {
        self[language] ?? fi
    }

    public func has(_ language: Language) -> Bool { self[language] != nil }
}
