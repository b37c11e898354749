/// A stable, documented identifier of a kind of problem (`unknown-competence`, `badge-cycle`, …).
///
/// Codes never change meaning once released; tools and people may filter on them.
public struct DiagnosticCode: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

extension DiagnosticCode {
    // Reading and parsing a file.
    public static let fileUnreadable = DiagnosticCode(rawValue: "file-unreadable")
    public static let fileTooLarge = DiagnosticCode(rawValue: "file-too-large")
    public static let badEncoding = DiagnosticCode(rawValue: "bad-encoding")
    public static let doctypeForbidden = DiagnosticCode(rawValue: "doctype-forbidden")
    public static let notWellFormed = DiagnosticCode(rawValue: "not-well-formed")
    public static let tooDeep = DiagnosticCode(rawValue: "too-deep")
    public static let unknownRoot = DiagnosticCode(rawValue: "unknown-root")
    public static let schemaViolation = DiagnosticCode(rawValue: "schema-violation")

    // Localised text.
    public static let missingFinnish = DiagnosticCode(rawValue: "missing-finnish")
    public static let missingTranslation = DiagnosticCode(rawValue: "missing-translation")
    public static let unsupportedLanguage = DiagnosticCode(rawValue: "unsupported-language")
    public static let duplicateTranslation = DiagnosticCode(rawValue: "duplicate-translation")

    // References between definitions.
    public static let unknownFramework = DiagnosticCode(rawValue: "unknown-framework")
    public static let unknownCompetence = DiagnosticCode(rawValue: "unknown-competence")
    public static let unknownArea = DiagnosticCode(rawValue: "unknown-area")
    public static let unknownBaseline = DiagnosticCode(rawValue: "unknown-baseline")
    public static let unknownInstrument = DiagnosticCode(rawValue: "unknown-instrument")
    public static let unknownItem = DiagnosticCode(rawValue: "unknown-item")
    public static let unknownScale = DiagnosticCode(rawValue: "unknown-scale")
    public static let unknownBadge = DiagnosticCode(rawValue: "unknown-badge")
    public static let unknownPhase = DiagnosticCode(rawValue: "unknown-phase")
    public static let duplicateID = DiagnosticCode(rawValue: "duplicate-id")

    // Meaning.
    public static let levelOutOfRange = DiagnosticCode(rawValue: "level-out-of-range")
    public static let countTooLarge = DiagnosticCode(rawValue: "count-too-large")
    public static let badgeCycle = DiagnosticCode(rawValue: "badge-cycle")
    public static let unreachableCriterion = DiagnosticCode(rawValue: "unreachable-criterion")
    public static let unreachableByInstrument = DiagnosticCode(rawValue: "unreachable-by-instrument")
    public static let vacuousCriterion = DiagnosticCode(rawValue: "vacuous-criterion")
    public static let itemCondition = DiagnosticCode(rawValue: "item-condition")
    public static let correctAnswer = DiagnosticCode(rawValue: "correct-answer")
    public static let scaleTooSmall = DiagnosticCode(rawValue: "scale-too-small")
    public static let levelCuts = DiagnosticCode(rawValue: "level-cuts")
    public static let competenceOutsideArea = DiagnosticCode(rawValue: "competence-outside-area")
    public static let unreachablePhase = DiagnosticCode(rawValue: "unreachable-phase")
    public static let missingImage = DiagnosticCode(rawValue: "missing-image")

    // Privacy.
    /// Issuer or badge text that ends up in credentials names the service or social-welfare status.
    public static let revealsService = DiagnosticCode(rawValue: "reveals-service")
}
