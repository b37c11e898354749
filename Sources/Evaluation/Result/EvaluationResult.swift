public import Basics
public import Definitions

/// Where a client stands at one instant: competence levels, badges with their reasons, baseline gaps and
/// the badges nearest to completion. Language-neutral; the report types render it for people.
public struct EvaluationResult: Sendable {
    public var client: String
    public var evaluatedAt: Timestamp
    public var definitionsDigest: String
    /// Every competence with its current level from any evidence.
    public var competences: [CompetenceStanding]
    /// Every badge, in dependency order.
    public var badges: [BadgeResult]
    public var baselines: [BaselineResult]
    /// Badges not yet earned (nor held), fewest missing requirements first.
    public var next: [NextStep]
}

/// The evidence behind a current level: which assessment gave it, when and how strong.
public struct LevelSource: Sendable, Hashable {
    public var level: Int
    public var evidence: Evidence
    public var assessment: String
    public var assessedAt: Timestamp
}

public struct CompetenceStanding: Sendable {
    public var code: String
    /// 0 when not assessed.
    public var level: Int
    /// nil when not assessed.
    public var source: LevelSource?
}

public struct HeldAward: Sendable, Hashable {
    public var issuedAt: Timestamp
    public var validUntil: Timestamp?
}

public struct BadgeResult: Sendable {
    public var id: String
    /// The criteria hold at the evaluation time.
    public var earned: Bool
    /// A valid award of this badge the client already holds.
    public var held: HeldAward?
    public var criteria: NodeResult
}

/// One node of a badge's criteria tree, evaluated, with why it holds or not.
public struct NodeResult: Sendable {
    public var criterion: Criterion
    public var met: Bool
    /// How many more requirements must be met for this node to hold (0 when met).
    public var missing: Int
    public var detail: Detail
    public var children: [NodeResult]

    public enum Detail: Sendable {
        /// A combinator, area or baseline: how many children hold and how many must.
        case group(metCount: Int, needed: Int)
        /// A competence at a level: what was seen (nil: not assessed with strong enough evidence) and,
        /// when nothing qualified, the best weaker evidence there is.
        case level(competence: String, required: Int, requiredEvidence: Evidence, seen: LevelSource?, weaker: LevelSource?)
        /// An item: the latest answer (nil: not answered).
        case item(instrument: String, item: String, answer: ItemAnswer?)
        /// Another badge: a held award, or earned in this evaluation, or why not.
        case badge(id: String, held: HeldAward?, earnedNow: Bool, lapsed: LapsedAward?)
        /// A confirmation by someone in a role.
        case attestation(role: Criterion.Role, by: String?, at: Timestamp?)
    }

    /// Unmet requirements on the cheapest way to make this node hold.
    public var missingRequirements: [NodeResult] {
        guard !met else { return [] }
        switch detail {
        case .group(let metCount, let needed):
            let unmet = children.filter { !$0.met }.sorted { $0.missing < $1.missing }
            let take = max(0, needed - metCount)
            return unmet.prefix(take).flatMap(\.missingRequirements)
        default:
            return [self]
        }
    }
}

public struct ItemAnswer: Sendable, Hashable {
    public var value: Int
    public var correct: Bool?
    public var assessment: String
    public var assessedAt: Timestamp
}

/// An award that no longer counts: expired or revoked.
public struct LapsedAward: Sendable, Hashable {
    public var validUntil: Timestamp?
    public var revoked: Bool
}

public struct BaselineResult: Sendable {
    public var id: String
    public var framework: String
    public var met: Bool
    /// Every requirement of the baseline in its order, with the level the client has from evidence at least
    /// as strong as it asks (met or not).
    public var lines: [Gap]
    /// The requirements not met.
    public var gaps: [Gap] { lines.filter { $0.current < $0.required } }

    /// One requirement and where the client stands on it.
    public struct Gap: Sendable, Hashable {
        public var competence: String
        public var current: Int
        public var required: Int
        public var requiredEvidence: Evidence
    }
}

public struct NextStep: Sendable {
    public var badge: String
    public var missing: Int
    public var requirements: [NodeResult]
}
