import Storage
public import Basics
public import Definitions
public import MerkistoCore
public import Evaluation

/// The words every rendering of a progress report shares, in one language: headings from the
/// localisation table, names from the definitions, dates in the language's form.
public struct ProgressReportWords: Sendable {
    public let writer: ReasonWriter
    public let pathway: Pathway?

    public init(compiled: CompiledDefinitions, language: Language) {
        writer = ReasonWriter(compiled: compiled, language: language)
        pathway = compiled.definitions.pathways.first
    }

    public var language: Language { writer.language }

    public func text(_ key: String, _ arguments: [String: String] = [:]) -> String { writer.text(key, arguments) }

    public func date(_ time: Timestamp) -> String { writer.date(time) }

    public func phaseTitle(_ id: String) -> String { pathway?.phase(id)?.title.text(in: language) ?? id }

    public func outcomeTitle(_ id: String) -> String { pathway?.outcomes.first { $0.id == id }?.title.text(in: language) ?? id }

    /// A checkpoint's title with its date.
    public func checkpointTitle(_ checkpoint: ProgressReport.Checkpoint) -> String {
        guard let id = checkpoint.id else { return text("progress.checkpoint.none", ["date": date(checkpoint.at)]) }
        let title = pathway?.checkpoints.first { $0.id == id }?.title.text(in: language) ?? id
        return "\(title) \(date(checkpoint.at))"
    }

    /// What the period is doing, in one line.
    func periodLine(_ report: ProgressReport) -> String {
        guard let period = report.period else { return text("progress.period.none") }
        if let closedAt = period.closedAt {
            return text(
                "progress.period.closed", ["period": period.id, "date": date(closedAt), "outcome": period.outcome.map(outcomeTitle) ?? "-"])
        }
        return text("progress.period", ["period": period.id, "phase": period.currentPhase.map(phaseTitle) ?? "-"])
    }

    func decisionLine(_ period: PathwayPeriod) -> String? {
        guard period.decisionStart != nil || period.decisionEnd != nil else { return nil }
        return text("progress.decision", ["start": period.decisionStart.map(date) ?? "…", "end": period.decisionEnd.map(date) ?? "…"])
    }

    func change(_ value: Int?) -> String {
        guard let value else { return "" }
        return value > 0 ? "+\(value)" : value < 0 ? "−\(-value)" : "±0"
    }
}
