import Storage
public import Basics
import Definitions
public import MerkistoCore
public import Evaluation

/// The progress report as one self-contained HTML page: inline CSS, an inline SVG chart of levels by
/// checkpoint, no script and no external request, laid out to print on A4.
public struct ProgressReportHTML: Sendable {
    let words: ProgressReportWords

    public init(compiled: CompiledDefinitions, language: Language) {
        words = ProgressReportWords(compiled: compiled, language: language)
    }

    /// One colour per checkpoint (cycled), each with a contrast of at least 3:1 against white.
    static let colours = ["#1f5f99", "#b34700", "#2d7a3a", "#7b3fa0", "#8a6d00"]

    public func render(_ report: ProgressReport) -> String {
        let writer = words.writer
        var body = ""
        func add(_ html: String) { body += html + "\n" }
        let title = words.text("progress.title", ["client": report.client])

        add("<header><h1>\(escape(title))</h1>")
        add("<p>\(escape(words.text("progress.purpose"))) \(escape(words.text("progress.made", ["date": words.date(report.generatedAt)])))</p></header>")
        add("<main>")

        add("<section aria-labelledby=\"pathway\"><h2 id=\"pathway\">\(escape(words.text("progress.pathway")))</h2>")
        add("<p>\(escape(words.periodLine(report)))</p>")
        if let period = report.period {
            if let decision = words.decisionLine(period) { add("<p>\(escape(decision))</p>") }
            if report.overdue { add("<p class=\"warning\"><strong>\(escape(words.text("progress.decision.past")))</strong></p>") }
            add("<ol class=\"phases\">")
            for change in period.phases {
                add("<li>\(escape(words.text("progress.phaseChange", ["date": words.date(change.at), "phase": words.phaseTitle(change.phase)])))</li>")
            }
            add("</ol>")
        }
        add("</section>")

        add("<section aria-labelledby=\"levels\"><h2 id=\"levels\">\(escape(words.text("progress.levels")))</h2>")
        if report.checkpoints.isEmpty || report.competences.isEmpty {
            add("<p>\(escape(words.text("progress.levels.none")))</p>")
        } else {
            add(chart(report))
            add("<table><caption>\(escape(words.text("progress.levels")))</caption><thead><tr><th scope=\"col\">\(escape(words.text("progress.competence")))</th>")
            add("<th scope=\"col\">\(escape(words.text("progress.evidence")))</th>")
            for checkpoint in report.checkpoints { add("<th scope=\"col\">\(escape(words.checkpointTitle(checkpoint)))</th>") }
            if report.checkpoints.count > 1 { add("<th scope=\"col\">\(escape(words.text("progress.change")))</th>") }
            add("</tr></thead><tbody>")
            for row in report.competences {
                var cells = "<th scope=\"row\">\(escape(writer.competenceName(row.code)))</th><td class=\"evidence\">\(escape(writer.evidence(row.evidence)))</td>"
                for level in row.levels { cells += "<td>\(level.map(String.init) ?? "–")</td>" }
                if report.checkpoints.count > 1 { cells += "<td>\(escape(words.change(row.change)))</td>" }
                add("<tr>\(cells)</tr>")
            }
            add("</tbody></table>")
        }
        add("</section>")

        add("<section aria-labelledby=\"gaps\"><h2 id=\"gaps\">\(escape(words.text("progress.gaps")))</h2><ul>")
        for baseline in report.now.baselines {
            let name = writer.baselineName(baseline.id, framework: baseline.framework)
            if baseline.met {
                add("<li>✓ \(escape(words.text("report.baseline.met", ["name": name])))</li>")
                continue
            }
            add("<li>\(escape(words.text("report.baseline.gaps", ["name": name, "count": String(baseline.gaps.count)])))<ul>")
            for gap in baseline.gaps {
                add("<li>\(escape(words.text("report.gap", ["competence": writer.competenceName(gap.competence), "current": String(gap.current), "required": String(gap.required)])))</li>")
            }
            add("</ul></li>")
        }
        add("</ul></section>")

        add("<section aria-labelledby=\"badges\"><h2 id=\"badges\">\(escape(words.text("progress.badges")))</h2>")
        if report.awardsByPhase.isEmpty { add("<p>\(escape(words.text("progress.badges.none")))</p>") }
        for group in report.awardsByPhase {
            add("<h3>\(escape(group.phase.map(words.phaseTitle) ?? words.text("progress.badges.outside")))</h3><ul>")
            for award in group.awards {
                let revoked = award.revoked ? " – " + words.text("progress.badge.revoked") : ""
                add("<li>\(escape(words.text("progress.badge.issued", ["name": writer.badgeName(award.badge), "date": words.date(award.issuedAt)]) + revoked))</li>")
            }
            add("</ul>")
        }
        if !report.readyToAward.isEmpty {
            add("<p>\(escape(words.text("progress.ready", ["names": report.readyToAward.map(writer.badgeName).joined(separator: ", ")])))</p>")
        }
        add("</section>")

        add("<section aria-labelledby=\"next\"><h2 id=\"next\">\(escape(words.text("progress.next")))</h2>")
        if report.now.next.isEmpty { add("<p>\(escape(words.text("report.next.none")))</p>") }
        add("<ol>")
        for step in report.now.next.prefix(3) {
            add("<li>\(escape(words.text("report.next.item", ["name": writer.badgeName(step.badge), "count": String(step.missing)])))<ul>")
            for requirement in step.requirements {
                add("<li>\(escape(writer.sentence(requirement, badge: step.badge))) — \(escape(writer.reason(requirement)))</li>")
            }
            add("</ul></li>")
        }
        add("</ol></section></main>")
        add("<footer><p>\(escape(words.text("report.digest", ["digest": String(report.definitionsDigest.prefix(12))])))</p></footer>")

        return """
            <!DOCTYPE html>
            <html lang="\(words.language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    /// A grouped bar chart: one row per competence and kind of evidence, one bar per checkpoint, levels 0–8.
    private func chart(_ report: ProgressReport) -> String {
        let maximum = 8
        let labelWidth = 250.0
        let barArea = 380.0
        let bar = 7.0
        let gap = 6.0
        let group = Double(report.checkpoints.count) * bar + gap
        let top = 24.0 + 16.0 * Double((report.checkpoints.count + 1) / 2)
        let height = top + Double(report.competences.count) * group + 24
        let width = labelWidth + barArea + 20
        let unit = barArea / Double(maximum)
        var svg = """
            <figure><svg viewBox="0 0 \(Int(width)) \(Int(height))" width="100%" role="img" aria-labelledby="chart-title">
            <title id="chart-title">\(escape(words.text("progress.chart")))</title>

            """
        // Legend.
        for (index, checkpoint) in report.checkpoints.enumerated() {
            let x = labelWidth + Double(index % 2) * 200
            let y = 8.0 + 16.0 * Double(index / 2)
            svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"10\" height=\"10\" fill=\"\(colour(index))\"/>"
            svg += "<text x=\"\(x + 14)\" y=\"\(y + 9)\" class=\"legend\">\(escape(words.checkpointTitle(checkpoint)))</text>\n"
        }
        // Grid and scale.
        for level in 0...maximum {
            let x = labelWidth + Double(level) * unit
            svg += "<line x1=\"\(x)\" y1=\"\(top - 4)\" x2=\"\(x)\" y2=\"\(height - 20)\" class=\"grid\"/>"
            svg += "<text x=\"\(x)\" y=\"\(height - 6)\" class=\"scale\">\(level)</text>\n"
        }
        for (row, competence) in report.competences.enumerated() {
            let y = top + Double(row) * group
            let name = words.writer.competenceName(competence.code)
            let evidence = " · " + words.writer.evidence(competence.evidence)
            let room = 44 - evidence.count
            let label = (name.count > room ? String(name.prefix(room - 1)) + "…" : name) + evidence
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + Double(report.checkpoints.count) * bar / 2 + 3)\" class=\"label\">\(escape(label))</text>\n"
            for (index, shown) in competence.levels.enumerated() {
                guard let level = shown else { continue }
                let length = max(1.5, Double(level) * unit)
                svg += "<rect x=\"\(labelWidth)\" y=\"\(y + Double(index) * bar)\" width=\"\(length)\" height=\"\(bar - 1)\" fill=\"\(colour(index))\"/>"
            }
            svg += "\n"
        }
        return svg + "</svg></figure>"
    }

    private func colour(_ index: Int) -> String { Self.colours[index % Self.colours.count] }

    static let style = """
        @page { size: A4; margin: 15mm; }
        body { font-family: "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; background: #fff; margin: 0 auto; max-width: 190mm; padding: 1rem; line-height: 1.45; font-size: 11pt; }
        h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
        h2 { font-size: 1.15rem; margin: 1.25rem 0 .4rem; border-bottom: 2px solid #1f5f99; padding-bottom: .15rem; }
        h3 { font-size: 1rem; margin: .75rem 0 .25rem; }
        table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .95rem; }
        caption { text-align: left; font-weight: bold; padding: .25rem 0; }
        th, td { border: 1px solid #767676; padding: .2rem .4rem; text-align: left; }
        td { text-align: center; }
        td.evidence { text-align: left; }
        thead th { background: #e8eef5; }
        figure { margin: .5rem 0; }
        svg text { font-family: inherit; fill: #1a1a1a; }
        svg .label { font-size: 10px; text-anchor: end; }
        svg .legend { font-size: 10px; }
        svg .scale { font-size: 9px; text-anchor: middle; }
        svg .grid { stroke: #c8c8c8; stroke-width: 1; }
        .warning { color: #8a1c00; }
        footer { margin-top: 1.5rem; font-size: .85rem; color: #4a4a4a; }
        tbody th { width: 45%; font-weight: normal; }
        @media print {
          body { padding: 0; max-width: none; font-size: 9.5pt; }
          table { font-size: 8.5pt; }
          th, td { padding: .1rem .3rem; }
          figure, tr, li { break-inside: avoid; }
          h2, h3 { break-after: avoid; }
          figure svg { max-height: 120mm; }
        }
        """
}

/// Text for HTML: `&`, `<`, `>`, `"` and `'` escaped.
func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}
