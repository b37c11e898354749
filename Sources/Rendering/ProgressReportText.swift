import Storage
import Foundation
public import Basics
import Definitions
public import MerkistoCore
public import Evaluation

/// The progress report as plain text (`merkisto report --format text`).
public struct ProgressReportText: Sendable {
    let words: ProgressReportWords

    public init(compiled: CompiledDefinitions, language: Language) {
        words = ProgressReportWords(compiled: compiled, language: language)
    }

    public func render(_ report: ProgressReport) -> String {
        let writer = words.writer
        var lines = [words.text("progress.title", ["client": report.client]), words.text("progress.purpose"),
                     words.text("progress.made", ["date": words.date(report.generatedAt)]), ""]

        lines.append(words.text("progress.pathway"))
        lines.append("  " + words.periodLine(report))
        if let period = report.period {
            if let decision = words.decisionLine(period) { lines.append("  " + decision) }
            if report.overdue { lines.append("  ! " + words.text("progress.decision.past")) }
            for change in period.phases {
                lines.append("    " + words.text("progress.phaseChange", ["date": words.date(change.at), "phase": words.phaseTitle(change.phase)]))
            }
        }
        lines.append("")

        lines.append(words.text("progress.levels"))
        if report.checkpoints.isEmpty {
            lines.append("  " + words.text("progress.levels.none"))
        } else {
            for (index, checkpoint) in report.checkpoints.enumerated() {
                lines.append("  [\(index + 1)] \(words.checkpointTitle(checkpoint))")
            }
            let header = report.checkpoints.indices.map { "[\($0 + 1)]" }.joined(separator: " ")
            lines.append("  \(header)  \(report.checkpoints.count > 1 ? words.text("progress.change") : "")")
            for row in report.competences {
                let levels = row.levels.enumerated().map { index, level in
                    (level.map(String.init) ?? "–").padding(toLength: "[\(index + 1)]".count, withPad: " ", startingAt: 0)
                }.joined(separator: " ")
                let change = words.change(row.change).padding(toLength: 3, withPad: " ", startingAt: 0)
                lines.append("  \(levels)  \(change)  \(writer.competenceName(row.code)) (\(writer.evidence(row.evidence)))")
            }
        }
        lines.append("")

        lines.append(words.text("progress.gaps"))
        for baseline in report.now.baselines {
            let name = writer.baselineName(baseline.id, framework: baseline.framework)
            if baseline.met {
                lines.append("  ✓ " + words.text("report.baseline.met", ["name": name]))
                continue
            }
            lines.append("  ✗ " + words.text("report.baseline.gaps", ["name": name, "count": String(baseline.gaps.count)]))
            for gap in baseline.gaps {
                lines.append(
                    "      " + words.text(
                        "report.gap",
                        ["competence": writer.competenceName(gap.competence), "current": String(gap.current), "required": String(gap.required)]))
            }
        }
        lines.append("")

        lines.append(words.text("progress.badges"))
        if report.awardsByPhase.isEmpty { lines.append("  " + words.text("progress.badges.none")) }
        for group in report.awardsByPhase {
            lines.append("  " + (group.phase.map(words.phaseTitle) ?? words.text("progress.badges.outside")))
            for award in group.awards {
                let revoked = award.revoked ? " – " + words.text("progress.badge.revoked") : ""
                lines.append("    ✓ " + words.text("progress.badge.issued", ["name": writer.badgeName(award.badge), "date": words.date(award.issuedAt)]) + revoked)
            }
        }
        if !report.readyToAward.isEmpty {
            lines.append("  " + words.text("progress.ready", ["names": report.readyToAward.map(writer.badgeName).joined(separator: ", ")]))
        }
        lines.append("")

        lines.append(words.text("progress.next"))
        if report.now.next.isEmpty { lines.append("  " + words.text("report.next.none")) }
        for (position, step) in report.now.next.prefix(3).enumerated() {
            lines.append("  \(position + 1). " + words.text("report.next.item", ["name": writer.badgeName(step.badge), "count": String(step.missing)]))
            for requirement in step.requirements {
                lines.append("       - \(writer.sentence(requirement, badge: step.badge)) — \(writer.reason(requirement))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
