/// The languages Merkisto speaks: Finnish (required everywhere), Swedish and English.
public enum Language: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case fi
    case sv
    case en

    public static func < (lhs: Language, rhs: Language) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A text in Finnish and, usually, Swedish and English.
///
/// Finnish is always present (the loader reports `missing-finnish` otherwise); a missing translation
/// falls back to Finnish, so a reader always sees something.
public struct LocalizedText: Sendable, Hashable {
    public private(set) var values: [Language: String]

    public init(fi: String, sv: String? = nil, en: String? = nil) {
        var values: [Language: String] = [.fi: fi]
        values[.sv] = sv
        values[.en] = en
        self.values = values
    }

    init(values: [Language: String]) {
        self.values = values
    }

    public var fi: String { values[.fi] ?? values.values.first ?? "" }

    /// The text in a language, or in Finnish when that translation is missing.
    public func text(in language: Language) -> String {
        values[language] ?? fi
    }

    public func has(_ language: Language) -> Bool { values[language] != nil }
}
