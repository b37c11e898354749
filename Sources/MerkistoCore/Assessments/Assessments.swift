public import Basics
public import Definitions
import Evaluation
public import Storage

/// An assessment as a front end gives it, in typed values: the CLI's options or file, the API's body, the
/// pages' form. What is left out, the core decides (``BadgeService/recordAssessment(_:client:as:)``).
public struct AssessmentInput: Sendable, Hashable {
    /// Default: `arvio-` and eight random hex digits.
    public var id: String?
    /// Default: now.
    public var assessedAt: Timestamp?
    /// Default: the acting user; only an administrator records in another assessor's name.
    public var assessor: String?
    /// Default for a questionnaire: the evidence its instrument gives; levels need it given.
    public var evidence: Evidence?
    public var instrument: String?
    public var checkpoint: String?
    public var responses: [StoredAssessment.Response]
    public var levels: [StoredAssessment.Level]
    public var note: String?

    public init(
        id: String? = nil, assessedAt: Timestamp? = nil, assessor: String? = nil, evidence: Evidence? = nil, instrument: String? = nil,
        checkpoint: String? = nil, responses: [StoredAssessment.Response] = [], levels: [StoredAssessment.Level] = [], note: String? = nil
    ) {
        self.id = id
        self.assessedAt = assessedAt
        self.assessor = assessor
        self.evidence = evidence
        self.instrument = instrument
        self.checkpoint = checkpoint
        self.responses = responses
        self.levels = levels
        self.note = note
    }

    /// Everything of an assessment read from a client record's entry.
    public init(_ assessment: StoredAssessment) {
        self.init(
            id: assessment.id, assessedAt: assessment.assessedAt, assessor: assessment.assessor, evidence: assessment.evidence,
            instrument: assessment.instrument, checkpoint: assessment.checkpoint, responses: assessment.responses, levels: assessment.levels,
            note: assessment.note)
    }
}

extension BadgeService {
    /// Records an assessment for a client the actor may record for: the one place that decides its id, date,
    /// evidence and assessor when they are not given, then checks every reference against the definitions
    /// (problems named by their place). An assessment at a checkpoint joins the client's open pathway period.
    /// Audited.
    public func recordAssessment(_ input: AssessmentInput, client id: String, as actor: Actor) async throws(CoreError) -> StoredAssessment {
        try await authorize(actor, .record(client: id))
        let assessor: String
        switch input.assessor {
        case nil, actor.user.id?: assessor = actor.user.id
        case let other?:
            guard actor.user.role == .admin else { throw CoreError(.forbidden, key: "assessment.otherAssessor") }
            assessor = other
        }
        let instrument = input.instrument.flatMap { id in compiled.definitions.instruments.first { $0.id == id } }
        guard let evidence = input.evidence ?? instrument?.evidence else { throw CoreError(.invalid, key: "assessment.noEvidence") }
        let assessment = StoredAssessment(
            id: input.id ?? "arvio-" + Self.randomHex(4), assessedAt: input.assessedAt ?? now, assessor: assessor, evidence: evidence,
            instrument: input.instrument, checkpoint: input.checkpoint, responses: input.responses, levels: input.levels, note: input.note)
        try await recordAssessment(assessment, client: id, by: actor.auditName)
        return assessment
    }
}

extension BadgeService {
    /// Records an assessment after checking every reference against the definitions; an assessment at a
    /// checkpoint joins the client's open pathway period.
    package func recordAssessment(_ assessment: StoredAssessment, client id: String, by actor: String) async throws(CoreError) {
        let file = try await liveFile(id)
        var assessment = assessment
        if assessment.period == nil, assessment.checkpoint != nil { assessment.period = file.openPeriod?.id }
        var builder = ClientRecordBuilder(compiled: compiled, client: id)
        add(assessment, path: "assessment \(assessment.id)", to: &builder)
        if !builder.errors.isEmpty {
            throw CoreError(.invalid, key: "assessment.errors", problems: builder.errors.map(\.description))
        }
        try await stored { () async throws(StoreError) in try await store.addAssessment(assessment, client: id, by: actor, at: now) }
    }

    func add(_ assessment: StoredAssessment, path: @autoclosure () -> String, to builder: inout ClientRecordBuilder) {
        builder.addAssessment(
            id: assessment.id, assessedAt: assessment.assessedAt, assessor: assessment.assessor, evidence: assessment.evidence,
            instrument: assessment.instrument, checkpoint: assessment.checkpoint,
            responseCount: assessment.responses.count, response: { (assessment.responses[$0].item, assessment.responses[$0].value) },
            levelCount: assessment.levels.count, level: { (assessment.levels[$0].competence, assessment.levels[$0].level) }, path: path())
    }
}
