import Basics
import Definitions
import Evaluation

/// What a credential says about one badge and one client, gathered once for both OB versions:
/// texts in the credential's language, the DigComp competences with the level each requires and the
/// level the client reached, and an evidence narrative without personal data.
struct BadgeFacts: Sendable {
    struct CompetenceFact: Sendable {
        var code: String
        var title: String
        var required: Int?
        var achieved: Int
        var source: LevelSource?
    }

    var badge: Badge
    var framework: Framework
    var name: String
    var description: String
    var criteriaNarrative: String
    var tags: [String]
    var competences: [CompetenceFact]
    var evidenceName: String
    var evidenceNarrative: String
    var frameworkName: String
    var frameworkURL: String
    var language: Language
    /// The framework's page when the framework names none.
    static let digCompURL = "https://joint-research-centre.ec.europa.eu/digcomp/digcomp-framework_en"
    /// The evidence narrative compiled for this badge and language.
    let narrative: EvidenceNarrative

    /// - Parameter result: the client's evaluation; nil for documents about the badge alone (published achievements).
    init(badge: Badge, result: EvaluationResult?, compiled: CompiledDefinitions, language: Language) throws {
        guard let framework = compiled.definitions.framework(badge.framework) else {
            throw CredentialError.invalidInput("badge \(badge.id) names framework \(badge.framework), which is not loaded")
        }
        self.badge = badge
        self.framework = framework
        self.language = language
        name = badge.name.text(in: language)
        description = badge.description.text(in: language)
        criteriaNarrative =
            badge.narrative?.text(in: language)
            ?? CriteriaNarrator(definitions: compiled.definitions, language: language).narrative(for: badge)
        tags = badge.tags
        frameworkName = "DigComp \(framework.version)"
        frameworkURL = framework.source ?? Self.digCompURL

        var required: [String: Int] = [:]
        func require(_ code: String, _ level: Int) { required[code] = max(required[code] ?? 0, level) }
        for node in badge.criteria.allNodes {
            switch node.expression {
            case .competence(let code, let minLevel, _): require(code, minLevel)
            case .area(let code, let minLevel, _, _): framework.area(code)?.competences.forEach { require($0.code, minLevel) }
            case .baseline(let id, let area, _):
                for requirement in framework.baseline(id)?.requirements ?? [] where area.map({ requirement.competence.hasPrefix($0 + ".") }) ?? true {
                    require(requirement.competence, requirement.level)
                }
            default: break
            }
        }
        competences = compiled.definitions.alignedCompetences(of: badge).map { competence in
            CompetenceFact(code: competence.code, title: competence.title.text(in: language), required: required[competence.code], achieved: 0, source: nil)
        }
        evidenceName = Localizer.shared.text("credential.evidence.name", language)
        evidenceNarrative = ""
        narrative = EvidenceNarrative(codes: competences.map(\.code), language: language)
        if let result { personalise(with: result) }
    }

    /// Fills in what depends on the client: the level reached in each competence and the evidence narrative.
    mutating func personalise(with result: EvaluationResult) {
        let (text, levels) = narrative.text(result)
        evidenceNarrative = text
        for index in competences.indices {
            let code = competences[index].code
            competences[index].achieved = levels[index]
            competences[index].source = result.competences.first { $0.code == code }?.source
        }
    }
}
