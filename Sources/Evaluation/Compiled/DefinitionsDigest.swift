import Basics
import Crypto
public import Definitions
import Foundation

/// The SHA-256 of a definition set's canonical form.
///
/// The canonical form is the model, not the files: every id, text, level, criterion and setting, as JSON
/// with sorted keys and no whitespace, with each kind sorted by id. Comments, formatting, attribute
/// order, file names and source positions do not change it; any change in meaning does.
public enum DefinitionsDigest {
    public static func compute(_ definitions: DefinitionSet) -> String {
        // Our JSON writer (keys sorted by their UTF-8 bytes, no whitespace, slashes unescaped) and Hex: the
        // same bytes JSONEncoder wrote with sorted keys, without the encoder's cost (DefinitionsDigestTests).
        Hex.encode(SHA256.hash(data: canonicalForm(definitions).jsonBytes()))
    }

    static func canonicalForm(_ set: DefinitionSet) -> JSONValue {
        .object([
            "frameworks": .array(set.frameworks.sorted { $0.id < $1.id }.map(framework)),
            "instruments": .array(set.instruments.sorted { $0.id < $1.id }.map(instrument)),
            "badges": .array(set.badges.sorted { $0.id < $1.id }.map(badge)),
            "issuers": .array(
                set.issuers.sorted { $0.id < $1.id }.map {
                    .object([
                        "id": .string($0.id), "name": text($0.name), "description": text($0.description), "url": .string($0.url),
                        "email": .string($0.email), "baseURL": .string($0.baseURL),
                    ])
                }),
            "pathways": .array(set.pathways.sorted { $0.id < $1.id }.map(pathway)),
        ])
    }

    private static func text(_ text: LocalizedText?) -> JSONValue {
        guard let text else { return .null }
        return .object(Dictionary(uniqueKeysWithValues: text.values.map { ($0.key.rawValue, JSONValue.string($0.value)) }))
    }

    private static func framework(_ framework: Framework) -> JSONValue {
        .object([
            "id": .string(framework.id), "version": .string(framework.version), "title": text(framework.title),
            "source": framework.source.map { .string($0) } ?? .null,
            "description": text(framework.description),
            "levels": .array(
                framework.levels.map {
                    .object([
                        "value": .int($0.value), "band": .string($0.band), "label": text($0.label), "description": text($0.description),
                    ])
                }),
            "areas": .array(
                framework.areas.map { area in
                    .object([
                        "code": .string(area.code), "title": text(area.title), "description": text(area.description),
                        "competences": .array(
                            area.competences.map {
                                .object(["code": .string($0.code), "title": text($0.title), "description": text($0.description)])
                            }),
                    ])
                }),
            "baselines": .array(
                framework.baselines.map { baseline in
                    .object([
                        "id": .string(baseline.id), "title": text(baseline.title), "description": text(baseline.description),
                        "requirements": .array(
                            baseline.requirements.map {
                                .object([
                                    "competence": .string($0.competence), "level": .int($0.level), "evidence": .string($0.evidence.rawValue),
                                ])
                            }),
                    ])
                }),
        ])
    }

    private static func instrument(_ instrument: Instrument) -> JSONValue {
        .object([
            "id": .string(instrument.id), "framework": .string(instrument.framework), "version": .string(instrument.version),
            "evidence": .string(instrument.evidence.rawValue), "title": text(instrument.title), "description": text(instrument.description),
            "scales": .array(
                instrument.scales.map { scale in
                    .object([
                        "id": .string(scale.id),
                        "options": .array(scale.options.map { .object(["value": .int($0.value), "label": text($0.label)]) }),
                    ])
                }),
            "items": .array(
                instrument.items.map {
                    .object([
                        "id": .string($0.id), "competence": .string($0.competence), "kind": .string($0.kind.rawValue),
                        "scale": .string($0.scale), "correct": $0.correct.map { .int($0) } ?? .null, "weight": .double($0.weight),
                        "text": text($0.text),
                    ])
                }),
            "levelCuts": .array(instrument.levelCuts.map { .object(["minPercent": .int($0.minPercent), "level": .int($0.level)]) }),
        ])
    }

    private static func badge(_ badge: Badge) -> JSONValue {
        .object([
            "id": .string(badge.id), "framework": .string(badge.framework), "version": .string(badge.version),
            "name": text(badge.name), "description": text(badge.description), "image": .string(badge.imageSource),
            "narrative": text(badge.narrative), "validityMonths": badge.validityMonths.map { .int($0) } ?? .null,
            "tags": .array(badge.tags.map { .string($0) }), "criteria": criterion(badge.criteria),
        ])
    }

    private static func criterion(_ criterion: Criterion) -> JSONValue {
        switch criterion.expression {
        case .allOf(let children): return .object(["allOf": .array(children.map(Self.criterion))])
        case .anyOf(let children): return .object(["anyOf": .array(children.map(Self.criterion))])
        case .atLeast(let count, let children):
            return .object(["atLeast": .object(["count": .int(count), "of": .array(children.map(Self.criterion))])])
        case .competence(let code, let minLevel, let evidence):
            return .object(["competence": .object(["ref": .string(code), "minLevel": .int(minLevel), "evidence": .string(evidence.rawValue)])])
        case .area(let code, let minLevel, let count, let evidence):
            return .object([
                "area": .object([
                    "ref": .string(code), "minLevel": .int(minLevel), "count": count.map { .int($0) } ?? .null,
                    "evidence": .string(evidence.rawValue),
                ])
            ])
        case .baseline(let id, let area, let evidence):
            return .object([
                "baseline": .object([
                    "ref": .string(id), "area": area.map { .string($0) } ?? .null, "evidence": evidence.map { .string($0.rawValue) } ?? .null,
                ])
            ])
        case .item(let instrument, let item, let condition):
            let value: JSONValue
            switch condition {
            case .minValue(let minimum): value = .object(["minValue": .int(minimum)])
            case .correct: value = .object(["correct": .bool(true)])
            }
            return .object(["item": .object(["ref": .string("\(instrument)/\(item)"), "condition": value])])
        case .badge(let id): return .object(["badge": .string(id)])
        case .attestation(let role): return .object(["attestation": .string(role.rawValue)])
        }
    }

    private static func pathway(_ pathway: Pathway) -> JSONValue {
        .object([
            "id": .string(pathway.id), "version": pathway.version.map { .string($0) } ?? .null, "title": text(pathway.title),
            "phases": .array(
                pathway.phases.map {
                    .object(["id": .string($0.id), "title": text($0.title), "next": .array($0.next.map { .string($0.phase) })])
                }),
            "checkpoints": .array(
                pathway.checkpoints.map { .object(["id": .string($0.id), "phase": .string($0.phase), "title": text($0.title)]) }),
            "outcomes": .array(pathway.outcomes.map { .object(["id": .string($0.id), "title": text($0.title)]) }),
        ])
    }
}
