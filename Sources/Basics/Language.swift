/// The languages Merkisto speaks: Finnish (required everywhere), Swedish and English.
public enum Language: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case fi
    case sv
    case en

    /// The language's place in ``allCases``.
    private var order: Int {
        switch self {
        case .fi: 0
        case .sv: 1
        case .en: 2
        }
    }

    public static func < (lhs: Language, rhs: Language) -> Bool { lhs.order < rhs.order }

    /// By case rather than by the raw value's text (what `RawRepresentable` would hash): the texts of every
    /// definition are kept by language, and hashing strings was a visible part of linting.
    public func hash(into hasher: inout Hasher) { hasher.combine(order) }
}
