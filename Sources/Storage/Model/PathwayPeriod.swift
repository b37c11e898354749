public import Basics

/// One period of a client's pathway (a fixed-term decision of rehabilitative work activity): its phase
/// history and, once closed, the outcome.
public struct PathwayPeriod: Sendable, Hashable, Codable {
    public var id: String
    public var client: String
    /// The pathway model's id.
    public var pathway: String
    /// The fixed-term decision's first and last day.
    public var decisionStart: Timestamp?
    public var decisionEnd: Timestamp?
    /// Every phase the period has been in, oldest first; the last is the current phase.
    public var phases: [PhaseChange]
    public var closedAt: Timestamp?
    public var outcome: String?

    public init(
        id: String, client: String, pathway: String, decisionStart: Timestamp? = nil, decisionEnd: Timestamp? = nil,
        phases: [PhaseChange], closedAt: Timestamp? = nil, outcome: String? = nil
    ) {
        self.id = id
        self.client = client
        self.pathway = pathway
        self.decisionStart = decisionStart
        self.decisionEnd = decisionEnd
        self.phases = phases
        self.closedAt = closedAt
        self.outcome = outcome
    }

    public var currentPhase: String? { phases.last?.phase }
    public var startedAt: Timestamp? { phases.first?.at }
    public var isOpen: Bool { closedAt == nil }

    /// Open and past the last day of its decision at `time`.
    public func isOverdue(at time: Timestamp) -> Bool {
        guard isOpen, let decisionEnd else { return false }
        return decisionEnd < time
    }

    /// The phase the period was in at an instant (nil before it started).
    public func phase(at time: Timestamp) -> String? {
        phases.last { $0.at <= time }?.phase
    }
}

/// A move into a phase: when and by whom.
public struct PhaseChange: Sendable, Hashable, Codable {
    public var phase: String
    public var at: Timestamp
    public var by: String

    public init(phase: String, at: Timestamp, by: String) {
        self.phase = phase
        self.at = at
        self.by = by
    }
}
