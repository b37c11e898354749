public import Basics
public import Definitions
public import Evaluation
public import Storage

/// One competence's latest level as each kind of evidence shows it, never merged: a self-assessment, a
/// test and an observation are three different things, and a badge that asks for one is not earned by another.
public struct EvidenceLevels: Sendable, Hashable {
    public var code: String
    /// By kind of evidence: the level and the assessment it comes from; a kind that shows nothing is absent.
    public var levels: [Evidence: LevelSource]

    public func level(_ evidence: Evidence) -> LevelSource? { levels[evidence] }
}

extension BadgeService {
    /// A client's levels with each kind of evidence apart, as of an instant (default now), for the
    /// competences some evidence shows, in the framework's order. `file` is one the caller may read.
    public func levelsByEvidence(of file: ClientFile, at time: Timestamp? = nil) throws(CoreError) -> [EvidenceLevels] {
        let record = try record(of: file)
        let evaluator = Evaluator(compiled)
        var rows = compiled.competenceCodes.map { EvidenceLevels(code: $0, levels: [:]) }
        for evidence in Evidence.allCases {
            for (index, standing) in evaluator.levels(record, by: evidence, at: time ?? now).enumerated() {
                if let source = standing.source { rows[index].levels[evidence] = source }
            }
        }
        return rows.filter { !$0.levels.isEmpty }
    }
}
