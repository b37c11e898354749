import Storage
public import Basics
import Definitions
public import MerkistoCore
public import Evaluation

/// The progress report as one JSON object (`merkisto report --format json`): ids and numbers for
/// programs, with titles in the chosen language beside them.
public struct ProgressReportJSON: Sendable {
    let words: ProgressReportWords

    public init(compiled: CompiledDefinitions, language: Language) {
        words = ProgressReportWords(compiled: compiled, language: language)
    }

    public func document(_ report: ProgressReport) -> JSONValue {
        let writer = words.writer
        var period: JSONValue = .null
        if let current = report.period {
            var fields: [String: JSONValue] = [
                "id": .string(current.id), "pathway": .string(current.pathway), "open": .bool(current.isOpen), "overdue": .bool(report.overdue),
                "phases": .array(current.phases.map {
                    .object(["phase": .string($0.phase), "title": .string(words.phaseTitle($0.phase)), "at": .string($0.at.description)])
                }),
            ]
            fields["decisionStart"] = current.decisionStart.map { .string($0.description) }
            fields["decisionEnd"] = current.decisionEnd.map { .string($0.description) }
            fields["closedAt"] = current.closedAt.map { .string($0.description) }
            fields["outcome"] = current.outcome.map { .string($0) }
            period = .object(fields)
        }
        return .object([
            "client": .string(report.client),
            "generatedAt": .string(report.generatedAt.description),
            "language": .string(words.language.rawValue),
            "definitionsDigest": .string(report.definitionsDigest),
            "period": period,
            "checkpoints": .array(report.checkpoints.map { checkpoint in
                .object([
                    "id": checkpoint.id.map(JSONValue.string) ?? .null, "title": .string(words.checkpointTitle(checkpoint)),
                    "at": .string(checkpoint.at.description), "assessments": .array(checkpoint.assessments.map(JSONValue.string)),
                ])
            }),
            "competences": .array(report.competences.map { row in
                .object([
                    "code": .string(row.code), "title": .string(writer.competenceName(row.code)), "evidence": .string(row.evidence.rawValue),
                    "levels": .array(row.levels.map { $0.map(JSONValue.int) ?? .null }),
                    "change": row.change.map(JSONValue.int) ?? .null,
                ])
            }),
            "baselines": .array(report.now.baselines.map { baseline in
                .object([
                    "id": .string(baseline.id), "title": .string(writer.baselineName(baseline.id, framework: baseline.framework)),
                    "met": .bool(baseline.met),
                    "gaps": .array(baseline.gaps.map {
                        .object(["competence": .string($0.competence), "current": .int($0.current), "required": .int($0.required)])
                    }),
                ])
            }),
            "badgesByPhase": .array(report.awardsByPhase.map { group in
                .object([
                    "phase": group.phase.map(JSONValue.string) ?? .null,
                    "title": .string(group.phase.map(words.phaseTitle) ?? words.text("progress.badges.outside")),
                    "badges": .array(group.awards.map {
                        .object(["badge": .string($0.badge), "name": .string(writer.badgeName($0.badge)), "issuedAt": .string($0.issuedAt.description),
                                 "revoked": .bool($0.revoked)])
                    }),
                ])
            }),
            "readyToAward": .array(report.readyToAward.map(JSONValue.string)),
            "next": .array(report.now.next.prefix(3).map { step in
                .object([
                    "badge": .string(step.badge), "name": .string(writer.badgeName(step.badge)), "missing": .int(step.missing),
                    "requirements": .array(step.requirements.map {
                        .string("\(writer.sentence($0, badge: step.badge)) — \(writer.reason($0))")
                    }),
                ])
            }),
        ])
    }
}
