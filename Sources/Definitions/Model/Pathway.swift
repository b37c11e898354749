/// The pathway model of rehabilitative work activity: phases and transitions, checkpoints, outcomes.
public struct Pathway: Sendable, Hashable {
    public var id: String
    public var version: String?
    public var title: LocalizedText
    public var description: LocalizedText?
    /// Phases in the order written; the first is where a pathway starts.
    public var phases: [Phase]
    public var checkpoints: [Checkpoint]
    public var outcomes: [Outcome]
    public var location: SourceLocation

    public struct Phase: Sendable, Hashable {
        public var id: String
        public var title: LocalizedText
        public var description: LocalizedText?
        public var next: [Transition]
        public var location: SourceLocation
    }

    public struct Transition: Sendable, Hashable {
        public var phase: String
        public var location: SourceLocation
    }

    /// A point in a phase where an assessment is expected (start, interim review, end).
    public struct Checkpoint: Sendable, Hashable {
        public var id: String
        public var phase: String
        public var title: LocalizedText
        public var location: SourceLocation
    }

    public struct Outcome: Sendable, Hashable {
        public var id: String
        public var title: LocalizedText
        public var location: SourceLocation
    }

    public func phase(_ id: String) -> Phase? { phases.first { $0.id == id } }
}
