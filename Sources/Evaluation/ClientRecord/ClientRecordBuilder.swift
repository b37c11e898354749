public import Basics
public import Definitions

/// Binds a client record given as definition ids (as the store keeps it) to a compiled definition set.
///
/// Every reference is checked exactly as ``ClientRecordReader`` checks a JSON record — unknown
/// instruments, items, competences, checkpoints and badges, values outside their scale, levels outside
/// the framework, duplicate ids — and every problem is collected with the path the caller gives, so one
/// attempt names them all. ``build()`` returns a record only when there were none.
public struct ClientRecordBuilder: Sendable {
    public let compiled: CompiledDefinitions
    public private(set) var errors: [ClientRecordError] = []
    private let client: String
    private var assessments: [ClientRecord.Assessment] = []
    /// The assessment ids so far: a list while short (a client has a handful), a set past 32.
    private var assessmentIDs: [String] = []
    private var manyAssessmentIDs: Set<String> = []
    /// The last assessor found valid: most records name one or two, and each is checked once in a row.
    private var validAssessor: String?
    private var attestations: [ClientRecord.Attestation] = []
    private var awards: [ClientRecord.Award] = []

    public init(compiled: CompiledDefinitions, client: String) {
        self.compiled = compiled
        self.client = client
        if !IDPattern.pseudonym.matches(client) {
            errors.append(ClientRecordError(path: "client", message: "\"\(client)\" is not a valid pseudonymous id; \(IDPattern.pseudonym.rule)"))
        }
    }

    /// Adds an assessment; `path` names it in errors (`assessments[2]`).
    public mutating func addAssessment(
        id: String, assessedAt: Timestamp, assessor: String, evidence: Evidence, instrument: String?, checkpoint: String?,
        responses: [(item: String, value: Int)], levels: [(competence: String, level: Int)], path: @autoclosure () -> String
    ) {
        addAssessment(
            id: id, assessedAt: assessedAt, assessor: assessor, evidence: evidence, instrument: instrument, checkpoint: checkpoint,
            responseCount: responses.count, response: { responses[$0] }, levelCount: levels.count, level: { levels[$0] }, path: path())
    }

    /// Adds an assessment whose responses and levels are read by position (the caller's own arrays, not
    /// copied into new ones: the dry run binds every stored client).
    public mutating func addAssessment(
        id: String, assessedAt: Timestamp, assessor: String, evidence: Evidence, instrument: String?, checkpoint: String?,
        responseCount: Int, response: (Int) -> (item: String, value: Int), levelCount: Int, level: (Int) -> (competence: String, level: Int),
        path: @autoclosure () -> String
    ) {
        let before = errors.count
        if !insertAssessmentID(id) {
            errors.append(ClientRecordError(path: path() + ".id", message: "\"\(id)\" is already the id of another assessment; every assessment needs its own id"))
        }
        var binder = ReferenceBinder(compiled: compiled)
        let instrumentIndex = instrument.flatMap { binder.instrument($0, path: path() + ".instrument") }
        if let checkpoint { binder.checkpoint(checkpoint, path: path() + ".checkpoint") }
        if responseCount > 0, instrument == nil {
            binder.fail(path() + ".responses", "responses need the \"instrument\" they answer")
        }
        var bound: [ClientRecord.Response] = []
        if let instrumentIndex {
            // The items alone (not a copy of the whole compiled instrument) for each response.
            let items = compiled.instruments[instrumentIndex].items
            var answered = [Int](repeating: -1, count: items.count)
            bound.reserveCapacity(responseCount)
            var guess = 0
            for index in 0..<responseCount {
                let response = response(index)
                if let item = binder.response(
                    instrument: instrumentIndex, items: items, item: response.item, value: response.value, path: { "\(path()).responses[\(index)]" },
                    answered: &answered, index: index, guess: guess)
                {
                    bound.append(item)
                    guess = item.item + 1
                }
            }
        }
        var rated: [Int: Int] = [:]
        var direct: [ClientRecord.DirectLevel] = []
        for index in 0..<levelCount {
            let level = level(index)
            if let entry = binder.level(level.competence, level.level, path: "\(path()).levels[\(index)]", rated: &rated, index: index) {
                direct.append(entry)
            }
        }
        if responseCount == 0 && levelCount == 0 {
            binder.fail(path(), "an assessment needs responses, levels or both")
        }
        if assessor != validAssessor {
            if IDPattern.pseudonym.matches(assessor) {
                validAssessor = assessor
            } else {
                binder.fail(path() + ".assessor", "\"\(assessor)\" is not a valid pseudonymous id; \(IDPattern.pseudonym.rule)")
            }
        }
        errors += binder.errors
        guard errors.count == before else { return }
        assessments.append(
            ClientRecord.Assessment(
                id: id, assessedAt: assessedAt, assessor: assessor, evidence: evidence, instrument: instrumentIndex, checkpoint: checkpoint,
                responses: bound, levels: direct))
    }

    /// Records an assessment id; false when it was there already.
    private mutating func insertAssessmentID(_ id: String) -> Bool {
        if assessmentIDs.count < 32 {
            if assessmentIDs.contains(id) { return false }
            assessmentIDs.append(id)
            return true
        }
        if manyAssessmentIDs.isEmpty { manyAssessmentIDs = Set(assessmentIDs) }
        return manyAssessmentIDs.insert(id).inserted
    }

    public mutating func addAttestation(badge: String, by: String, role: Criterion.Role, at: Timestamp, path: @autoclosure () -> String) {
        var binder = ReferenceBinder(compiled: compiled)
        if let index = binder.badge(badge, path: path() + ".badge") {
            attestations.append(ClientRecord.Attestation(badge: index, by: by, role: role, at: at))
        }
        errors += binder.errors
    }

    public mutating func addAward(badge: String, issuedAt: Timestamp, validUntil: Timestamp?, revoked: Bool, path: @autoclosure () -> String) {
        var binder = ReferenceBinder(compiled: compiled)
        if let validUntil, validUntil <= issuedAt {
            binder.fail(path() + ".validUntil", "\(validUntil) is not after issuedAt \(issuedAt)")
        }
        if let index = binder.badge(badge, path: path() + ".badge"), binder.errors.isEmpty {
            awards.append(ClientRecord.Award(badge: index, issuedAt: issuedAt, validUntil: validUntil, revoked: revoked))
        }
        errors += binder.errors
    }

    /// The bound record.
    ///
    /// - Throws: ``ClientRecordErrors`` naming every problem found.
    public func build() throws(ClientRecordErrors) -> ClientRecord {
        guard errors.isEmpty else { throw ClientRecordErrors(errors: errors) }
        return ClientRecord(compiled: compiled, client: client, assessments: assessments, attestations: attestations, awards: awards)
    }
}

/// The reference checks shared by the JSON reader and the builder: one message for each problem.
struct ReferenceBinder {
    let compiled: CompiledDefinitions
    var errors: [ClientRecordError] = []

    mutating func fail(_ path: String, _ message: String) {
        errors.append(ClientRecordError(path: path, message: message))
    }

    mutating func badge(_ id: String, path: @autoclosure () -> String) -> Int? {
        guard let index = compiled.badge(id) else {
            fail(path(), "there is no badge \"\(id)\" in the definitions")
            return nil
        }
        return index
    }

    mutating func instrument(_ id: String, path: @autoclosure () -> String) -> Int? {
        guard let index = compiled.instrument(id) else {
            fail(path(), "there is no instrument \"\(id)\" in the definitions")
            return nil
        }
        return index
    }

    mutating func checkpoint(_ id: String, path: @autoclosure () -> String) {
        let pathways = compiled.definitions.pathways
        guard !pathways.contains(where: { $0.checkpoints.contains { $0.id == id } }) else { return }
        let known = pathways.flatMap { $0.checkpoints.map(\.id) }
        fail(path(), "there is no checkpoint \"\(id)\"; known checkpoints: \(known.joined(separator: ", "))")
    }

    /// An answer to an item; `value` nil when it was already reported as malformed. `answered` holds,
    /// per item of the instrument, the index of the response that answered it (or -1); `guess` is where
    /// the item probably is (the item after the one the previous response answered).
    mutating func response(
        instrument: Int, items: [CompiledDefinitions.CompiledItem], item itemID: String, value: Int?, path: () -> String, answered: inout [Int],
        index: Int, guess: Int
    ) -> ClientRecord.Response? {
        // Responses usually come in the instrument's own order, some items left out: look a few items on
        // from the guess before the table.
        var near: Int?
        var position = max(guess, 0)
        while near == nil, position < min(guess + 4, items.count) {
            if items[position].id == itemID { near = position }
            position += 1
        }
        guard let itemIndex = near ?? compiled.instruments[instrument].item(itemID) else {
            fail(path() + ".item", "instrument \"\(compiled.instruments[instrument].id)\" has no item \"\(itemID)\"")
            return nil
        }
        if answered[itemIndex] >= 0 {
            fail(path() + ".item", "item \"\(itemID)\" is already answered in responses[\(answered[itemIndex])]")
            return nil
        }
        answered[itemIndex] = index
        guard let value else { return nil }
        guard items[itemIndex].options.contains(value) else {
            let item = items[itemIndex]
            fail(path() + ".value", "\(value) is not an option of scale \(item.scaleID); use one of \(item.options.map(String.init).joined(separator: ", "))")
            return nil
        }
        return ClientRecord.Response(item: itemIndex, value: value)
    }

    /// A directly recorded level; `level` nil when it was already reported as malformed.
    mutating func level(_ code: String, _ level: Int?, path: @autoclosure () -> String, rated: inout [Int: Int], index: Int) -> ClientRecord.DirectLevel? {
        guard let competence = compiled.competence(code) else {
            fail(path() + ".competence", "there is no competence \"\(code)\" in the framework")
            return nil
        }
        if let first = rated[competence] {
            fail(path() + ".competence", "competence \(code) already has a level in levels[\(first)]")
            return nil
        }
        rated[competence] = index
        guard let level else { return nil }
        guard !compiled.frameworkLevels[compiled.competenceFramework[competence]].contains(level) else {
            return ClientRecord.DirectLevel(competence: competence, level: level)
        }
        let framework = compiled.definitions.frameworks[compiled.competenceFramework[competence]]
        fail(path() + ".level", "\(level) is not a level of \(framework.id); use 0–\(framework.maximumLevel)")
        return nil
    }
}
