public import Basics
import Definitions

/// The text an instructor reads from `merkisto evaluate`: short, most important first — badges earned,
/// then the gaps to each baseline, then the badges nearest to completion with what is missing, and at the
/// end every badge with its reason tree.
public struct EvaluationReport: Sendable {
    let writer: ReasonWriter
    /// How many next steps the summary lists before "… and N more".
    public var nextLimit = 5

    public init(compiled: CompiledDefinitions, language: Language) {
        writer = ReasonWriter(compiled: compiled, language: language)
    }

    public func render(_ result: EvaluationResult) -> String {
        var lines: [String] = []
        lines.append(writer.text("report.title", ["client": result.client]))
        lines.append(
            writer.text("report.at", ["date": writer.date(result.evaluatedAt)]) + " · "
                + writer.text("report.digest", ["digest": String(result.definitionsDigest.prefix(12))]))
        lines.append("")

        let shown = result.badges.filter { $0.earned || $0.held != nil }
        lines.append(writer.text("report.earned", ["count": String(shown.count)]))
        if shown.isEmpty { lines.append("  " + writer.text("report.earned.none")) }
        for badge in shown {
            let note =
                badge.held.map { writer.text("report.badge.heldOnly", ["issued": writer.date($0.issuedAt)]) }
                ?? writer.text("report.badge.canAward")
            lines.append("  ✓ \(writer.badgeName(badge.id)) – \(note)")
        }
        lines.append("")

        lines.append(writer.text("report.baselines"))
        for baseline in result.baselines {
            let name = writer.baselineName(baseline.id, framework: baseline.framework)
            if baseline.met {
                lines.append("  ✓ " + writer.text("report.baseline.met", ["name": name]))
                continue
            }
            lines.append("  ✗ " + writer.text("report.baseline.gaps", ["name": name, "count": String(baseline.gaps.count)]))
            for gap in baseline.gaps {
                var line = writer.text(
                    "report.gap",
                    ["competence": writer.competenceName(gap.competence), "current": String(gap.current), "required": String(gap.required)])
                if gap.requiredEvidence != .self { line += " (\(writer.text("evidence.\(gap.requiredEvidence.rawValue)")))" }
                lines.append("      " + line)
            }
        }
        lines.append("")

        lines.append(writer.text("report.next"))
        if result.next.isEmpty { lines.append("  " + writer.text("report.next.none")) }
        for (position, step) in result.next.prefix(nextLimit).enumerated() {
            lines.append("  \(position + 1). " + writer.text("report.next.item", ["name": writer.badgeName(step.badge), "count": String(step.missing)]))
            for requirement in step.requirements {
                lines.append("       - \(writer.sentence(requirement, badge: step.badge)) — \(writer.reason(requirement))")
            }
        }
        if result.next.count > nextLimit {
            lines.append("  " + writer.text("report.next.more", ["count": String(result.next.count - nextLimit)]))
        }
        lines.append("")

        lines.append(writer.text("report.details"))
        for badge in result.badges {
            lines.append("  \(badge.earned ? "✓" : "✗") \(writer.badgeName(badge.id))")
            tree(badge.criteria, badge: badge.id, depth: 2, into: &lines)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One badge with its reason tree, for example to say why a badge cannot be issued.
    public func renderBadge(_ id: String, in result: EvaluationResult) -> String {
        guard let badge = result.badges.first(where: { $0.id == id }) else { return "" }
        var lines = ["\(badge.earned ? "✓" : "✗") \(writer.badgeName(badge.id))"]
        tree(badge.criteria, badge: badge.id, depth: 1, into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private func tree(_ node: NodeResult, badge: String, depth: Int, into lines: inout [String]) {
        let indent = String(repeating: "  ", count: depth)
        lines.append("\(indent)\(node.met ? "✓" : "✗") \(writer.sentence(node, badge: badge)) — \(writer.reason(node))")
        for child in node.children { tree(child, badge: badge, depth: depth + 1, into: &lines) }
    }
}
