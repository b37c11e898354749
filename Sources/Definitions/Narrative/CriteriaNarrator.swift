public import Basics
/// Writes a criterion expression as plain sentences in one language: the generated badge narrative.
///
/// The output is a Markdown bullet list, one line per criterion, nested as the expression is, so it
/// reads well on a terminal, in a web page and in an Open Badges `criteria.narrative`.
public struct CriteriaNarrator: Sendable {
    public let definitions: DefinitionSet
    public let language: Language
    /// Whether competences and areas are named with their DigComp codes (`2.3 …`); a page for the client
    /// names them by title only.
    public let codes: Bool
    private let strings = Localizer.shared

    public init(definitions: DefinitionSet, language: Language, codes: Bool = true) {
        self.definitions = definitions
        self.language = language
        self.codes = codes
    }

    /// One criterion as a sentence, with the criteria under it.
    public struct Outline: Sendable, Hashable {
        public var sentence: String
        public var children: [Outline]
    }

    /// A badge's criteria as a tree of sentences, for a list in a page.
    public func outline(for badge: Badge) -> Outline {
        outline(badge.criteria, framework: definitions.framework(badge.framework))
    }

    private func outline(_ criterion: Criterion, framework: Framework?) -> Outline {
        Outline(sentence: sentence(for: criterion, framework: framework), children: criterion.children.map { outline($0, framework: framework) })
    }

    /// The narrative for a badge's criteria.
    public func narrative(for badge: Badge) -> String {
        lines(for: badge.criteria, framework: definitions.framework(badge.framework), depth: 0).joined(separator: "\n")
    }

    /// One sentence for a single node, without its children.
    public func sentence(for criterion: Criterion, framework: Framework?) -> String {
        switch criterion.expression {
        case .allOf:
            return strings.text("criteria.allOf", language)
        case .anyOf:
            return strings.text("criteria.anyOf", language)
        case .atLeast(let count, _):
            return strings.text("criteria.atLeast", language, ["count": String(count)])
        case .competence(let code, let minLevel, let evidence):
            let text = strings.text(
                "criteria.competence", language, ["competence": competenceName(code, framework), "level": String(minLevel)])
            return text + evidenceNote(evidence)
        case .area(let code, let minLevel, let count, let evidence):
            let area = areaName(code, framework)
            let text =
                count.map {
                    strings.text("criteria.area.count", language, ["area": area, "count": String($0), "level": String(minLevel)])
                } ?? strings.text("criteria.area.all", language, ["area": area, "level": String(minLevel)])
            return text + evidenceNote(evidence)
        case .baseline(let id, let areaCode, let evidence):
            let name = framework?.baseline(id)?.title.text(in: language) ?? id
            let text =
                areaCode.map { code in
                    let area = areaName(code, framework)
                    return strings.text("criteria.baseline.area", language, ["baseline": name, "area": area])
                } ?? strings.text("criteria.baseline", language, ["baseline": name])
            return text + (evidence.map(evidenceNote) ?? "")
        case .item(let instrumentID, let itemID, let condition):
            let instrument = definitions.instrument(instrumentID)
            let item = instrument?.item(itemID)
            let text = item?.text.text(in: language) ?? "\(instrumentID)/\(itemID)"
            switch condition {
            case .minValue(let minimum):
                let option = item.flatMap { instrument?.scale($0.scale)?.option(minimum) }?.label.text(in: language) ?? String(minimum)
                return strings.text("criteria.item.minValue", language, ["text": text, "option": option])
            case .correct:
                return strings.text("criteria.item.correct", language, ["text": text])
            }
        case .badge(let id):
            let name = definitions.badge(id)?.name.text(in: language) ?? id
            return strings.text("criteria.badge", language, ["badge": name])
        case .attestation(let role):
            return strings.text("criteria.attestation.\(role.rawValue)", language)
        }
    }

    private func lines(for criterion: Criterion, framework: Framework?, depth: Int) -> [String] {
        let indent = String(repeating: "  ", count: depth)
        return ["\(indent)- \(sentence(for: criterion, framework: framework))"]
            + criterion.children.flatMap { lines(for: $0, framework: framework, depth: depth + 1) }
    }

    private func competenceName(_ code: String, _ framework: Framework?) -> String {
        framework?.competence(code).map { codes ? "\(code) \($0.title.text(in: language))" : $0.title.text(in: language) } ?? code
    }

    private func areaName(_ code: String, _ framework: Framework?) -> String {
        framework?.area(code).map { codes ? "\(code) \($0.title.text(in: language))" : $0.title.text(in: language) } ?? code
    }

    /// " (watched by an instructor)" for stronger-than-self evidence; nothing for self.
    private func evidenceNote(_ evidence: Evidence) -> String {
        evidence == .self ? "" : " (\(strings.text("evidence.\(evidence.rawValue)", language)))"
    }
}
