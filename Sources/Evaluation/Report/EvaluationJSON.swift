public import Basics
import Definitions

/// An evaluation result as the JSON document `merkisto evaluate --format json` prints
/// (schema: `Schemas/json/evaluation-result.schema.json`). Codes and numbers are language-neutral;
/// `name`, `text` and `reason` fields are in the chosen language.
public struct EvaluationJSON: Sendable {
    let writer: ReasonWriter

    public init(compiled: CompiledDefinitions, language: Language) {
        writer = ReasonWriter(compiled: compiled, language: language)
    }

    public func document(_ result: EvaluationResult) -> JSONValue {
        .object([
            "client": .string(result.client),
            "evaluatedAt": .string(result.evaluatedAt.description),
            "definitionsDigest": .string(result.definitionsDigest),
            "language": .string(writer.language.rawValue),
            "competences": .array(
                result.competences.map { standing in
                    .object([
                        "code": .string(standing.code),
                        "level": .int(standing.level),
                        "evidence": standing.source.map { .string($0.evidence.rawValue) } ?? .null,
                        "assessment": standing.source.map { .string($0.assessment) } ?? .null,
                        "assessedAt": standing.source.map { .string($0.assessedAt.description) } ?? .null,
                    ])
                }),
            "badges": .array(
                result.badges.map { badge in
                    .object([
                        "id": .string(badge.id),
                        "name": .string(writer.badgeName(badge.id)),
                        "earned": .bool(badge.earned),
                        "held": badge.held.map(held) ?? .null,
                        "criteria": node(badge.criteria, badge: badge.id, children: true),
                    ])
                }),
            "baselines": .array(
                result.baselines.map { baseline in
                    .object([
                        "id": .string(baseline.id),
                        "name": .string(writer.baselineName(baseline.id, framework: baseline.framework)),
                        "met": .bool(baseline.met),
                        "gaps": .array(
                            baseline.gaps.map {
                                .object([
                                    "competence": .string($0.competence), "current": .int($0.current), "required": .int($0.required),
                                    "requiredEvidence": .string($0.requiredEvidence.rawValue),
                                ])
                            }),
                    ])
                }),
            "next": .array(
                result.next.map { step in
                    .object([
                        "badge": .string(step.badge),
                        "name": .string(writer.badgeName(step.badge)),
                        "missing": .int(step.missing),
                        "requirements": .array(step.requirements.map { node($0, badge: step.badge, children: false) }),
                    ])
                }),
        ])
    }

    private func held(_ award: HeldAward) -> JSONValue {
        .object([
            "issuedAt": .string(award.issuedAt.description),
            "validUntil": award.validUntil.map { .string($0.description) } ?? .null,
        ])
    }

    private func node(_ node: NodeResult, badge: String, children: Bool) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string(Self.type(of: node.criterion)),
            "met": .bool(node.met),
            "missing": .int(node.missing),
            "text": .string(writer.sentence(node, badge: badge)),
            "reason": .string(writer.reason(node)),
        ]
        switch node.detail {
        case .group(let metCount, let needed):
            fields["metCount"] = .int(metCount)
            fields["needed"] = .int(needed)
        case .level(let competence, let required, let requiredEvidence, let seen, _):
            fields["competence"] = .string(competence)
            fields["required"] = .int(required)
            fields["requiredEvidence"] = .string(requiredEvidence.rawValue)
            fields["level"] = .int(seen?.level ?? 0)
            fields["evidence"] = seen.map { .string($0.evidence.rawValue) } ?? .null
            fields["assessment"] = seen.map { .string($0.assessment) } ?? .null
        case .item(let instrument, let item, let answer):
            fields["item"] = .string("\(instrument)/\(item)")
            fields["value"] = answer.map { .int($0.value) } ?? .null
            fields["assessment"] = answer.map { .string($0.assessment) } ?? .null
            if case .item(_, _, .correct) = node.criterion.expression {
                fields["correct"] = answer?.correct.map { .bool($0) } ?? .null
            }
        case .badge(let id, let award, let earnedNow, _):
            fields["badge"] = .string(id)
            fields["held"] = award.map(held) ?? .null
            fields["earnedNow"] = .bool(earnedNow)
        case .attestation(let role, let by, let at):
            fields["role"] = .string(role.rawValue)
            fields["by"] = by.map { .string($0) } ?? .null
            fields["at"] = at.map { .string($0.description) } ?? .null
        }
        if children && !node.children.isEmpty {
            fields["children"] = .array(node.children.map { self.node($0, badge: badge, children: true) })
        }
        return .object(fields)
    }

    static func type(of criterion: Criterion) -> String {
        switch criterion.expression {
        case .allOf: "all-of"
        case .anyOf: "any-of"
        case .atLeast: "at-least"
        case .competence: "competence"
        case .area: "area"
        case .baseline: "baseline"
        case .item: "item"
        case .badge: "badge"
        case .attestation: "attestation"
        }
    }
}
