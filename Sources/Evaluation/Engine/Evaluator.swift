public import Basics
public import Definitions

/// Evaluates client records against compiled definitions.
///
/// Evaluation is a pure function of (definitions, record, time). An evaluator keeps scratch tables so
/// that evaluating many clients allocates little; it is not thread-safe — give each thread its own.
///
/// The semantics are DESIGN.md §3: a competence's current level for a requirement comes from the latest
/// assessment at or before the time whose evidence is at least the required strength (ties: stronger
/// evidence, then higher level); item answers become levels through the instrument's level cuts; a level
/// recorded directly in an assessment overrides the item-derived level for that competence.
public final class Evaluator {
    public let compiled: CompiledDefinitions
    private let tables: EvaluatorTables
    private let competenceCount: Int
    private let badgeCount: Int

    public init(_ compiled: CompiledDefinitions) {
        self.compiled = compiled
        tables = EvaluatorTables(compiled)
        competenceCount = compiled.competenceCodes.count
        badgeCount = compiled.badges.count
    }

    // MARK: Preparing the client's tables

    /// Fills the per-client tables from the record as of `time`.
    private func prepare(_ record: ClientRecord, at time: Timestamp) {
        // Every index in the record was checked against the set it was bound to; another set's tables
        // could be smaller, so a record bound elsewhere is never read.
        precondition(record.compiled === compiled, "a client record bound to one definition set cannot be evaluated against another")
        let t = tables
        t.best.update(repeating: .min)
        t.source.update(repeating: -1)
        t.slotKey.update(repeating: .min)
        t.slotSource.update(repeating: -1)
        t.attested.update(repeating: -1)
        t.held.update(repeating: -1)
        let flat = record.flat
        let limit = time.microseconds
        flat.ints.withUnsafeBufferPointer { ints in
            flat.longs.withUnsafeBufferPointer { longs in
                for index in 0..<flat.assessmentCount {
                    let at = longs[index]
                    guard at <= limit else { continue }
                    let base = index &* FlatRecord.assessmentFields
                    let evidence = Int(ints[base])
                    let instrument = Int(ints[base &+ 1])
                    let timeKey = at &* 64 &+ Int64(evidence &* 16)
                    let levelStart = Int(ints[base &+ 4])
                    let levelEnd = levelStart &+ 2 &* Int(ints[base &+ 5])
                    var position = levelStart
                    while position < levelEnd {
                        t.direct[Int(ints[position])] = ints[position &+ 1]
                        position &+= 2
                    }
                    if instrument >= 0 {
                        let responseStart = Int(ints[base &+ 2])
                        score(
                            ints: ints, from: responseStart, to: responseStart &+ 2 &* Int(ints[base &+ 3]), instrument: instrument,
                            index: index, at: at, timeKey: timeKey, evidence: evidence)
                    }
                    position = levelStart
                    while position < levelEnd {
                        let competence = Int(ints[position])
                        let level = Int(ints[position &+ 1])
                        store(competence, key: timeKey &+ Int64(level), evidence: evidence, index: index)
                        t.direct[competence] = -1
                        position &+= 2
                    }
                }
                let attestationTimes = flat.assessmentCount
                for index in 0..<flat.attestationCount where longs[attestationTimes &+ index] <= limit {
                    let badge = Int(ints[flat.attestationBase &+ 2 &* index])
                    let cell = (ints[flat.attestationBase &+ 2 &* index &+ 1] == 0 ? 0 : badgeCount) &+ badge
                    let current = Int(t.attested[cell])
                    if current < 0 || longs[attestationTimes &+ current] < longs[attestationTimes &+ index] {
                        t.attested[cell] = Int32(index)
                    }
                }
                let issuedTimes = attestationTimes &+ flat.attestationCount
                let endTimes = issuedTimes &+ flat.awardCount
                for index in 0..<flat.awardCount {
                    guard ints[flat.awardBase &+ 2 &* index &+ 1] == 0, longs[issuedTimes &+ index] <= limit,
                        limit < longs[endTimes &+ index]
                    else { continue }
                    let badge = Int(ints[flat.awardBase &+ 2 &* index])
                    let current = Int(t.held[badge])
                    if current < 0 || longs[issuedTimes &+ current] < longs[issuedTimes &+ index] { t.held[badge] = Int32(index) }
                }
            }
        }
    }

    /// Scores an assessment's responses into per-competence levels (exact integer arithmetic):
    /// percent = round-half-up(100 × Σ score / Σ weight), level = the instrument's level for that percent.
    @inline(__always)
    private func score(
        ints: UnsafeBufferPointer<Int32>, from start: Int, to end: Int, instrument: Int, index: Int, at: Int64, timeKey: Int64,
        evidence: Int
    ) {
        let t = tables
        let offset = Int(t.itemOffset[instrument])
        var touchedCount = 0
        var position = start
        while position < end {
            let item = t.itemScores[offset &+ Int(ints[position])]
            let value = ints[position &+ 1]
            let competence = Int(item.competence)
            if !t.touchedFlag[competence] {
                t.touchedFlag[competence] = true
                t.numerator[competence] = 0
                t.touched[touchedCount] = Int32(competence)
                touchedCount &+= 1
            }
            if item.knowledge {
                if value == item.correct { t.numerator[competence] &+= item.multiplier }
            } else {
                t.numerator[competence] &+= item.multiplier &* Int(value &- item.lowest)
            }
            let slot = Int(item.slot)
            if slot >= 0 {
                let key = at &* 4 &+ Int64(evidence)
                if key > t.slotKey[slot] || (key == t.slotKey[slot] && value > t.slotValue[slot]) {
                    t.slotKey[slot] = key
                    t.slotValue[slot] = value
                    t.slotSource[slot] = Int32(index)
                }
            }
            position &+= 2
        }
        let wholeBase = instrument &* competenceCount
        let levelBase = instrument &* 101
        for touchedIndex in 0..<touchedCount {
            let competence = Int(t.touched[touchedIndex])
            t.touchedFlag[competence] = false
            guard t.direct[competence] < 0 else { continue }
            let whole = t.wholes[wholeBase &+ competence]
            guard whole > 0 else { continue }
            let percent = min(100, (200 &* t.numerator[competence] &+ whole) / (2 &* whole))
            let level = Int(t.percentLevels[levelBase &+ percent])
            store(competence, key: timeKey &+ Int64(level), evidence: evidence, index: index)
        }
    }

    @inline(__always)
    private func store(_ competence: Int, key: Int64, evidence: Int, index: Int) {
        var floor = 0
        while floor <= evidence {
            let cell = floor &* competenceCount &+ competence
            if key > tables.best[cell] {
                tables.best[cell] = key
                tables.source[cell] = Int32(index)
            }
            floor &+= 1
        }
    }

    @inline(__always)
    private func level(_ competence: Int, evidence: Int) -> Int {
        let key = tables.best[evidence &* competenceCount &+ competence]
        return key == .min ? 0 : Int(key & 15)
    }

    // MARK: Fast path

    /// Evaluates every badge without explanations; returns how many badges the client has earned.
    ///
    /// This is the hot path measured by `merkisto bench` (`evaluations_per_s`).
    @discardableResult
    public func countEarned(_ record: ClientRecord, at time: Timestamp) -> Int {
        prepare(record, at: time)
        var count = 0
        for index in 0..<badgeCount {
            let met = holds(Int(tables.badgeRoots[index]))
            tables.earned[index] = met
            if met { count &+= 1 }
        }
        return count
    }

    /// The ids of the badges whose criteria hold.
    public func earnedBadges(_ record: ClientRecord, at time: Timestamp) -> [String] {
        countEarned(record, at: time)
        return compiled.badges.indices.filter { tables.earned[$0] }.map { compiled.badges[$0].id }
    }

    private func holds(_ index: Int) -> Bool {
        let t = tables
        let node = t.nodes[index]
        let first = Int(node.first)
        let end = first &+ Int(node.count)
        switch node.kind {
        case .allOf:
            for position in first..<end where !holds(Int(t.lists[position])) { return false }
            return true
        case .anyOf:
            for position in first..<end where holds(Int(t.lists[position])) { return true }
            return false
        case .atLeast:
            var count: Int32 = 0
            for position in first..<end where holds(Int(t.lists[position])) {
                count &+= 1
                if count >= node.a { return true }
            }
            return count >= node.a
        case .competence:
            return level(Int(node.a), evidence: Int(node.c)) >= Int(node.b)
        case .area:
            var count: Int32 = 0
            for position in first..<end where level(Int(t.lists[position]), evidence: Int(node.c)) >= Int(node.b) {
                count &+= 1
            }
            return count >= node.d
        case .baseline:
            for position in first..<end {
                let requirement = t.requirements[Int(t.lists[position])]
                let evidence = max(Int(requirement.evidence), Int(node.c))
                if level(Int(requirement.competence), evidence: evidence) < Int(requirement.level) { return false }
            }
            return true
        case .item:
            let slot = Int(node.a)
            guard slot >= 0, t.slotKey[slot] != .min else { return false }
            return node.b == 0 ? t.slotValue[slot] >= node.c : t.slotValue[slot] == node.d
        case .badge:
            let badge = Int(node.a)
            return badge >= 0 && (t.held[badge] >= 0 || t.earned[badge])
        case .attestation:
            return t.attested[(node.b == 0 ? 0 : badgeCount) &+ Int(node.a)] >= 0
        }
    }

    /// What issuing needs and no more: the badges earned and not held, and a result that carries only the
    /// competence standings (no criteria trees, baselines or next steps), for building credentials in bulk.
    public func issuable(_ record: ClientRecord, at time: Timestamp) -> (badges: [String], standings: EvaluationResult) {
        countEarned(record, at: time)
        let badges = compiled.badges.indices.filter { tables.earned[$0] && tables.held[$0] < 0 }.map { compiled.badges[$0].id }
        let competences = compiled.competenceCodes.indices.map { index in
            CompetenceStanding(code: compiled.competenceCodes[index], level: level(index, evidence: 0), source: levelSource(index, evidence: 0, record))
        }
        return (
            badges,
            EvaluationResult(
                client: record.client, evaluatedAt: time, definitionsDigest: compiled.digest, competences: competences, badges: [], baselines: [],
                next: [])
        )
    }

    // MARK: Explained path

    /// Evaluates a record and explains every result.
    public func evaluate(_ record: ClientRecord, at time: Timestamp) -> EvaluationResult {
        prepare(record, at: time)
        var badges: [BadgeResult] = []
        badges.reserveCapacity(badgeCount)
        var missingOfBadge = Array(repeating: 0, count: badgeCount)
        for (index, badge) in compiled.badges.enumerated() {
            let tree = explain(Int(badge.root), record: record, missingOfBadge: missingOfBadge)
            tables.earned[index] = tree.met
            missingOfBadge[index] = tree.missing
            let award = tables.held[index] >= 0 ? record.awards[Int(tables.held[index])] : nil
            badges.append(
                BadgeResult(
                    id: badge.id, earned: tree.met, held: award.map { HeldAward(issuedAt: $0.issuedAt, validUntil: $0.validUntil) },
                    criteria: tree))
        }
        let competences = compiled.competenceCodes.indices.map { index in
            CompetenceStanding(code: compiled.competenceCodes[index], level: level(index, evidence: 0), source: levelSource(index, evidence: 0, record))
        }
        let baselines = compiled.baselines.map { baseline in
            var lines: [BaselineResult.Gap] = []
            var met = true
            for position in baseline.requirementRange {
                let requirement = tables.requirements[position]
                let current = level(Int(requirement.competence), evidence: Int(requirement.evidence))
                if current < Int(requirement.level) { met = false }
                lines.append(
                    BaselineResult.Gap(
                        competence: compiled.competenceCodes[Int(requirement.competence)], current: current,
                        required: Int(requirement.level), requiredEvidence: Self.evidence(Int(requirement.evidence))))
            }
            return BaselineResult(id: baseline.id, framework: baseline.framework, met: met, lines: lines)
        }
        let next =
            badges.filter { !$0.earned && $0.held == nil }
            .map { NextStep(badge: $0.id, missing: $0.criteria.missing, requirements: $0.criteria.missingRequirements) }
            .enumerated().sorted { ($0.element.missing, $0.offset) < ($1.element.missing, $1.offset) }.map(\.element)
        return EvaluationResult(
            client: record.client, evaluatedAt: time, definitionsDigest: compiled.digest, competences: competences, badges: badges,
            baselines: baselines, next: next)
    }

    /// Each competence's latest level as one kind of evidence alone shows it, as of `time` (level 0 and no
    /// source where that kind shows nothing): self-assessed, tested and observed levels are never merged.
    public func levels(_ record: ClientRecord, by evidence: Evidence, at time: Timestamp) -> [CompetenceStanding] {
        let only = record.only(evidence)
        prepare(only, at: time)
        return compiled.competenceCodes.indices.map { index in
            CompetenceStanding(code: compiled.competenceCodes[index], level: level(index, evidence: 0), source: levelSource(index, evidence: 0, only))
        }
    }

    private static func evidence(_ rank: Int) -> Evidence {
        Evidence.allCases.first { $0.rank == rank } ?? .self
    }

    private func levelSource(_ competence: Int, evidence: Int, _ record: ClientRecord) -> LevelSource? {
        let cell = evidence * competenceCount + competence
        let key = tables.best[cell]
        guard key != .min, tables.source[cell] >= 0 else { return nil }
        let assessment = record.assessments[Int(tables.source[cell])]
        return LevelSource(level: Int(key & 15), evidence: assessment.evidence, assessment: assessment.id, assessedAt: assessment.assessedAt)
    }

    private func competenceNode(
        _ criterion: Criterion, competence: Int, required: Int, evidence: Int, record: ClientRecord
    ) -> NodeResult {
        let seen = levelSource(competence, evidence: evidence, record)
        let met = (seen?.level ?? 0) >= required
        let weaker = seen == nil && evidence > 0 ? levelSource(competence, evidence: 0, record) : nil
        return NodeResult(
            criterion: criterion, met: met, missing: met ? 0 : 1,
            detail: .level(
                competence: compiled.competenceCodes[competence], required: required, requiredEvidence: Self.evidence(evidence),
                seen: seen, weaker: weaker),
            children: [])
    }

    private func group(_ criterion: Criterion, children: [NodeResult], needed: Int) -> NodeResult {
        let metCount = children.count { $0.met }
        let met = metCount >= needed
        let missing = met ? 0 : children.map(\.missing).filter { $0 > 0 }.sorted().prefix(needed - metCount).reduce(0, +)
        return NodeResult(criterion: criterion, met: met, missing: missing, detail: .group(metCount: metCount, needed: needed), children: children)
    }

    private func explain(_ index: Int, record: ClientRecord, missingOfBadge: [Int]) -> NodeResult {
        let node = tables.nodes[index]
        let criterion = compiled.nodeCriteria[index]
        let range = Int(node.first)..<Int(node.first + node.count)
        switch node.kind {
        case .allOf, .anyOf, .atLeast:
            let children = range.map { explain(Int(tables.lists[$0]), record: record, missingOfBadge: missingOfBadge) }
            let needed = node.kind == .allOf ? children.count : node.kind == .anyOf ? 1 : Int(node.a)
            return group(criterion, children: children, needed: needed)
        case .competence:
            return competenceNode(criterion, competence: Int(node.a), required: Int(node.b), evidence: Int(node.c), record: record)
        case .area:
            let evidence = Self.evidence(Int(node.c))
            let children = range.map { position -> NodeResult in
                let competence = Int(tables.lists[position])
                let leaf = Criterion(
                    .competence(code: compiled.competenceCodes[competence], minLevel: Int(node.b), evidence: evidence), at: criterion.location)
                return competenceNode(leaf, competence: competence, required: Int(node.b), evidence: Int(node.c), record: record)
            }
            return group(criterion, children: children, needed: Int(node.d))
        case .baseline:
            let children = range.map { position -> NodeResult in
                let requirement = tables.requirements[Int(tables.lists[position])]
                let evidence = max(Int(requirement.evidence), Int(node.c))
                let competence = Int(requirement.competence)
                let leaf = Criterion(
                    .competence(code: compiled.competenceCodes[competence], minLevel: Int(requirement.level), evidence: Self.evidence(evidence)),
                    at: criterion.location)
                return competenceNode(leaf, competence: competence, required: Int(requirement.level), evidence: evidence, record: record)
            }
            return group(criterion, children: children, needed: children.count)
        case .item:
            var reference = (instrument: "", item: "")
            if case .item(let instrumentID, let itemID, _) = criterion.expression { reference = (instrumentID, itemID) }
            let slot = Int(node.a)
            var answer: ItemAnswer?
            if slot >= 0, tables.slotKey[slot] != .min, tables.slotSource[slot] >= 0 {
                let assessment = record.assessments[Int(tables.slotSource[slot])]
                let value = Int(tables.slotValue[slot])
                answer = ItemAnswer(
                    value: value, correct: node.b == 1 ? value == Int(node.d) : nil, assessment: assessment.id,
                    assessedAt: assessment.assessedAt)
            }
            let met = holds(index)
            return NodeResult(
                criterion: criterion, met: met, missing: met ? 0 : 1, detail: .item(instrument: reference.instrument, item: reference.item, answer: answer),
                children: [])
        case .badge:
            let badge = Int(node.a)
            let award = tables.held[badge] >= 0 ? record.awards[Int(tables.held[badge])] : nil
            let earnedNow = tables.earned[badge]
            let met = award != nil || earnedNow
            var lapsed: LapsedAward?
            if !met, let last = record.awards.last(where: { $0.badge == badge }) {
                lapsed = LapsedAward(validUntil: last.validUntil, revoked: last.revoked)
            }
            return NodeResult(
                criterion: criterion, met: met, missing: met ? 0 : 1,
                detail: .badge(
                    id: compiled.badges[badge].id, held: award.map { HeldAward(issuedAt: $0.issuedAt, validUntil: $0.validUntil) },
                    earnedNow: earnedNow, lapsed: lapsed),
                children: [])
        case .attestation:
            let cell = (node.b == 0 ? 0 : badgeCount) + Int(node.a)
            let attestation = tables.attested[cell] >= 0 ? record.attestations[Int(tables.attested[cell])] : nil
            return NodeResult(
                criterion: criterion, met: attestation != nil, missing: attestation != nil ? 0 : 1,
                detail: .attestation(role: node.b == 0 ? .instructor : .admin, by: attestation?.by, at: attestation?.at), children: [])
        }
    }
}
