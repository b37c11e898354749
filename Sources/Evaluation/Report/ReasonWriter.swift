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
        reasons.evidence[evidence] ?? evidence.rawValue
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
        let texts = reasons
        switch node.detail {
        case .group(let metCount, let needed):
            return texts.group.render(["met": String(metCount), "needed": String(needed)])
        case .level(_, _, _, let seen, let weaker):
            if let seen {
                return texts.levelSeen.render(["level": String(seen.level), "evidence": evidence(seen.evidence), "date": date(seen.assessedAt)])
            }
            if let weaker {
                return texts.levelWeaker.render(["level": String(weaker.level), "evidence": evidence(weaker.evidence), "date": date(weaker.assessedAt)])
            }
            return texts.levelNone
        case .item(let instrumentID, let itemID, let answer):
            guard let answer else { return texts.itemNone }
            if let correct = answer.correct {
                return (correct ? texts.itemCorrect : texts.itemWrong).render(["date": date(answer.assessedAt)])
            }
            let instrument = compiled.definitions.instrument(instrumentID)
            let option = instrument?.item(itemID).flatMap { instrument?.scale($0.scale)?.option(answer.value) }?.label.text(in: language)
            return texts.itemValue.render(["option": option ?? String(answer.value), "date": date(answer.assessedAt)])
        case .badge(_, let held, let earnedNow, let lapsed):
            if let held {
                if let until = held.validUntil {
                    return texts.badgeHeldUntil.render(["issued": date(held.issuedAt), "until": date(until)])
                }
                return texts.badgeHeld.render(["issued": date(held.issuedAt)])
            }
            if earnedNow { return texts.badgeEarnedNow }
            if let lapsed {
                if lapsed.revoked { return texts.badgeRevoked }
                if let until = lapsed.validUntil { return texts.badgeExpired.render(["date": date(until)]) }
            }
            return texts.badgeNotYet
        case .attestation(_, let by, let at):
            guard let by, let at else { return texts.attestationMissing }
            return texts.attestationDone.render(["by": by, "date": date(at)])
        }
    }

    /// The reasons' texts in this writer's language (a page says a reason for each of hundreds of nodes).
    var reasons: ReasonTexts { ReasonTexts.all[language] ?? ReasonTexts(language) }

    public func text(_ key: String, _ arguments: [String: String] = [:]) -> String {
        strings.text(key, language, arguments)
    }
}

/// The texts ``ReasonWriter/reason(_:)`` says, and the names of the kinds of evidence, in one language:
/// looked up and split at their placeholders once, and those without placeholders kept as text.
final class ReasonTexts: Sendable {
    let evidence: [Evidence: String]
    let group, levelSeen, levelWeaker, itemCorrect, itemWrong, itemValue, badgeHeldUntil, badgeHeld, badgeExpired, attestationDone: TextTemplate
    let levelNone, itemNone, badgeEarnedNow, badgeRevoked, badgeNotYet, attestationMissing: String

    init(_ language: Language) {
        let strings = Localizer.shared
        evidence = Dictionary(uniqueKeysWithValues: Evidence.allCases.map { ($0, strings.text("evidenceNoun.\($0.rawValue)", language)) })
        func template(_ key: String) -> TextTemplate { strings.template("reason." + key, language) }
        func text(_ key: String) -> String { strings.text("reason." + key, language) }
        group = template("group")
        levelSeen = template("level.seen")
        levelWeaker = template("level.weaker")
        itemCorrect = template("item.correct")
        itemWrong = template("item.wrong")
        itemValue = template("item.value")
        badgeHeldUntil = template("badge.heldUntil")
        badgeHeld = template("badge.held")
        badgeExpired = template("badge.expired")
        attestationDone = template("attestation.done")
        levelNone = text("level.none")
        itemNone = text("item.none")
        badgeEarnedNow = text("badge.earnedNow")
        badgeRevoked = text("badge.revoked")
        badgeNotYet = text("badge.notYet")
        attestationMissing = text("attestation.missing")
    }

    static let all: [Language: ReasonTexts] = Dictionary(uniqueKeysWithValues: Language.allCases.map { ($0, ReasonTexts($0)) })
}
