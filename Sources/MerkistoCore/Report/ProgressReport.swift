public import Basics
public import Definitions
public import Evaluation
public import Storage

/// Material for the interim review and the continuation plan: per competence and kind of evidence the level at each
/// checkpoint and the change, the gap to each baseline now, the badges awarded in each pathway phase,
/// and the next steps. Language-neutral; ``ProgressReportText``, ``ProgressReportJSON`` and
/// ``ProgressReportHTML`` render it.
public struct ProgressReport: Sendable {
    public var client: String
    public var generatedAt: Timestamp
    public var definitionsDigest: String
    /// The open period, else the latest one.
    public var period: PathwayPeriod?
    public var overdue: Bool
    /// Assessment points, oldest first.
    public var checkpoints: [Checkpoint]
    /// Competences seen at any checkpoint, in framework order.
    public var competences: [CompetenceRow]
    /// The evaluation now (baselines, badges earned, next steps).
    public var now: EvaluationResult
    /// Awards grouped by the pathway phase they fell in (phase nil: before or outside the pathway).
    public var awardsByPhase: [PhaseAwards]
    /// Badges earned now and not held.
    public var readyToAward: [String]

    /// A point where the client's skills were assessed: a pathway checkpoint, or the time of an
    /// assessment outside any checkpoint.
    public struct Checkpoint: Sendable, Hashable {
        /// The checkpoint id; nil for assessments outside a checkpoint.
        public var id: String?
        /// The latest assessment of the point: levels are taken as of this instant.
        public var at: Timestamp
        public var assessments: [String]
    }

    public struct CompetenceRow: Sendable, Hashable {
        public var code: String
        /// The kind of evidence the levels of this row come from (and only from).
        public var evidence: Evidence
        /// The level this kind of evidence shows at each checkpoint (nil: it showed nothing by then).
        public var levels: [Int?]
        /// The last level shown minus the first; nil unless this kind of evidence showed a level at two
        /// checkpoints or more.
        public var change: Int? {
            let shown = levels.compactMap { $0 }
            return levels.filter { $0 != nil }.count >= 2 ? shown[shown.count - 1] - shown[0] : nil
        }
    }

    public struct PhaseAwards: Sendable, Hashable {
        public var phase: String?
        public var awards: [Award]
    }

    public struct Award: Sendable, Hashable {
        public var badge: String
        public var issuedAt: Timestamp
        public var revoked: Bool
    }
}

extension BadgeService {
    /// The progress report of a stored client as of an instant (default now).
    public func progressReport(client id: String, at time: Timestamp? = nil) async throws(CoreError) -> ProgressReport {
        let file = try await clientFile(id)
        guard file.client.erasedAt == nil else { throw CoreError(.conflict, key: "client.erased", ["client": id]) }
        let time = time ?? now
        let record = try record(of: file)
        let evaluator = Evaluator(compiled)

        // Assessment points: each checkpoint's latest assessment, and assessments outside checkpoints.
        var points: [ProgressReport.Checkpoint] = []
        for assessment in file.assessments.sorted(by: { $0.assessedAt < $1.assessedAt }) where assessment.assessedAt <= time {
            if let checkpoint = assessment.checkpoint, let index = points.lastIndex(where: { $0.id == checkpoint }),
                index == points.count - 1
            {
                points[index].at = max(points[index].at, assessment.assessedAt)
                points[index].assessments.append(assessment.id)
            } else {
                points.append(ProgressReport.Checkpoint(id: assessment.checkpoint, at: assessment.assessedAt, assessments: [assessment.id]))
            }
        }
        // Each competence's levels at each point, one row per kind of evidence: a self-assessment and an
        // observation at the same checkpoint are two results, never one.
        var competences: [ProgressReport.CompetenceRow] = []
        let standings = Evidence.allCases.map { evidence in points.map { evaluator.levels(record, by: evidence, at: $0.at) } }
        for index in compiled.competenceCodes.indices {
            for (kind, evidence) in Evidence.allCases.enumerated() where standings[kind].contains(where: { $0[index].source != nil }) {
                competences.append(
                    ProgressReport.CompetenceRow(
                        code: compiled.competenceCodes[index], evidence: evidence,
                        levels: standings[kind].map { $0[index].source == nil ? nil : $0[index].level }))
            }
        }
        let result = evaluator.evaluate(record, at: time)

        // Awards by the phase of the period they fell in.
        var groups: [ProgressReport.PhaseAwards] = []
        let awards =
            file.heldAwards.map { ProgressReport.Award(badge: $0.badge, issuedAt: $0.issuedAt, revoked: $0.revoked) }
            + file.credentials.map { ProgressReport.Award(badge: $0.badge, issuedAt: $0.issuedAt, revoked: file.isRevoked($0.id)) }
        for award in awards.sorted(by: { $0.issuedAt < $1.issuedAt }) where award.issuedAt <= time {
            let phase = file.periods.first { period in
                guard let start = period.startedAt, start <= award.issuedAt else { return false }
                return period.closedAt.map { award.issuedAt <= $0 } ?? true
            }?.phase(at: award.issuedAt)
            if let index = groups.firstIndex(where: { $0.phase == phase }) {
                groups[index].awards.append(award)
            } else {
                groups.append(ProgressReport.PhaseAwards(phase: phase, awards: [award]))
            }
        }
        let period = file.openPeriod ?? file.periods.last
        return ProgressReport(
            client: id, generatedAt: time, definitionsDigest: compiled.digest, period: period, overdue: period?.isOverdue(at: time) ?? false,
            checkpoints: points, competences: competences, now: result, awardsByPhase: groups,
            readyToAward: result.badges.filter { $0.earned && $0.held == nil }.map(\.id))
    }
}
