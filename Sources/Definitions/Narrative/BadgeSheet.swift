public import Basics
/// A badge as an administrator reads it: names, validity, competences and the criteria in plain language.
public struct BadgeSheet: Sendable {
    public let definitions: DefinitionSet
    public let language: Language
    private let strings = Localizer.shared

    public init(definitions: DefinitionSet, language: Language) {
        self.definitions = definitions
        self.language = language
    }

    public func render(_ badge: Badge) -> String {
        var out = "\(badge.name.text(in: language)) (\(badge.id), \(strings.text("show.version", language)) \(badge.version))\n"
        out += "\(strings.text("show.description", language)): \(badge.description.text(in: language))\n"
        out += "\(strings.text("show.image", language)): \(badge.imageSource)\n"
        let validity =
            badge.validityMonths.map { strings.text("show.validity.months", language, ["months": String($0)]) }
            ?? strings.text("show.validity.forever", language)
        out += "\(strings.text("show.validity", language)): \(validity)\n"
        if !badge.tags.isEmpty {
            out += "\(strings.text("show.tags", language)): \(badge.tags.joined(separator: ", "))\n"
        }
        let competences = definitions.alignedCompetences(of: badge)
        if !competences.isEmpty {
            let framework = definitions.framework(badge.framework)
            let frameworkName = framework.map { "\($0.id.uppercased().replacingDigComp) \($0.version)" } ?? badge.framework
            out += "\(strings.text("show.competences", language)) (\(frameworkName)):\n"
            for competence in competences {
                out += "  \(competence.code) \(competence.title.text(in: language))\n"
            }
        }
        if badge.isCollection {
            out += "\(strings.text("show.collection", language))\n"
        }
        out += "\n\(strings.text("show.criteria", language)):\n"
        out += CriteriaNarrator(definitions: definitions, language: language).narrative(for: badge) + "\n"
        if let narrative = badge.narrative {
            out += "\n\(strings.text("show.narrative", language)):\n\(narrative.text(in: language))\n"
        }
        return out
    }
}

extension String {
    /// "DIGCOMP" reads as "DigComp", the framework's own spelling.
    fileprivate var replacingDigComp: String { self == "DIGCOMP" ? "DigComp" : self }
}
