public import Basics
public import Definitions

/// Writes the parts of an evaluation that people read: dates, competence names, the criterion sentence
/// and the plain-language reason of each node, in one language.
public struct ReasonWriter: Sendable {
    public let compiled: CompiledDefinitions
    public let language: Language
    let strings = Localizer.shared
    let narrator: CriteriaNarrator
    let dateFormat: TextTemplate

    public init(compiled: CompiledDefinitions, language: Language) {
        self.compiled = compiled
        self.language = language
        self.narrator = CriteriaNarrator(definitions: compiled.definitions, language: language)
        self.dateFormat = Localizer.shared.template("format.date", language)
    }

    /// A local date in the language's usual form (`2.3.2026`, `2026-03-02`).
    public func date(_ timestamp: Timestamp) -> String {
        let (year, month, day) = timestamp.localDate
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return dateFormat.render { name in
            switch name {
            case "d": String(day)
            case "m": String(month)
            case "y": String(year)
            case "dd": two(day)
            case "mm": two(month)
            default: nil
            }
        }
    }

    public func evidence(_ evidence: Evidence) -> String {
        strings.text("evidenceNoun.\(evidence.rawValue)", language)
    }

    public func competenceName(_ code: String) -> String {
        compiled.competence(code).flatMap { compiled.competenceDefinition($0) }.map { "\(code) \($0.title.text(in: language))" } ?? code
    }

    public func badgeName(_ id: String) -> String {
        guard let index = compiled.badge(id) else { return id }
        return compiled.badges[index].badge.name.text(in: language)
    }

    public func baselineName(_ id: String, framework: String) -> String {
        compiled.definitions.framework(framework)?.baseline(id)?.title.text(in: language) ?? id
    }

    /// What the criterion asks, as a sentence, in the framework of the badge it belongs to.
    public func sentence(_ node: NodeResult, badge: String) -> String {
        switch node.criterion.expression {
        case .allOf, .anyOf, .atLeast:
            // Said without the framework, and cheaper to say again than to look up.
            return narrator.sentence(for: node.criterion, framework: nil)
        default:
            // A leaf: the same sentence for every client, written once.
            return compiled.sentences.sentence(.init(language: language, badge: badge, expression: node.criterion.expression)) {
                let framework = compiled.badge(badge).flatMap { compiled.definitions.framework(compiled.badges[$0].badge.framework) }
                return narrator.sentence(for: node.criterion, framework: framework)
            }
        }
    }

    /// Why the node holds or not, in a few words.
    public func reason(_ node: NodeResult) -> String {
        switch node.detail {
        case .group(let metCount, let needed):
            return strings.text("reason.group", language, ["met": String(metCount), "needed": String(needed)])
        case .level(_, _, _, let seen, let weaker):
            if let seen {
                return strings.text(
                    "reason.level.seen", language,
                    ["level": String(seen.level), "evidence": evidence(seen.evidence), "date": date(seen.assessedAt)])
            }
            if let weaker {
                return strings.text(
                    "reason.level.weaker", language,
                    ["level": String(weaker.level), "evidence": evidence(weaker.evidence), "date": date(weaker.assessedAt)])
            }
            return strings.text("reason.level.none", language)
        case .item(let instrumentID, let itemID, let answer):
            guard let answer else { return strings.text("reason.item.none", language) }
            if let correct = answer.correct {
                return strings.text(correct ? "reason.item.correct" : "reason.item.wrong", language, ["date": date(answer.assessedAt)])
            }
            let instrument = compiled.definitions.instrument(instrumentID)
            let option = instrument?.item(itemID).flatMap { instrument?.scale($0.scale)?.option(answer.value) }?.label.text(in: language)
            return strings.text("reason.item.value", language, ["option": option ?? String(answer.value), "date": date(answer.assessedAt)])
        case .badge(_, let held, let earnedNow, let lapsed):
            if let held {
                if let until = held.validUntil {
                    return strings.text("reason.badge.heldUntil", language, ["issued": date(held.issuedAt), "until": date(until)])
                }
                return strings.text("reason.badge.held", language, ["issued": date(held.issuedAt)])
            }
            if earnedNow { return strings.text("reason.badge.earnedNow", language) }
            if let lapsed {
                if lapsed.revoked { return strings.text("reason.badge.revoked", language) }
                if let until = lapsed.validUntil { return strings.text("reason.badge.expired", language, ["date": date(until)]) }
            }
            return strings.text("reason.badge.notYet", language)
        case .attestation(_, let by, let at):
            guard let by, let at else { return strings.text("reason.attestation.missing", language) }
            return strings.text("reason.attestation.done", language, ["by": by, "date": date(at)])
        }
    }

    public func text(_ key: String, _ arguments: [String: String] = [:]) -> String {
        strings.text(key, language, arguments)
    }
}
