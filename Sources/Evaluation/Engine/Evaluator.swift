import Definitions

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
    private let competenceCount: Int
    private let badgeCount: Int

    /// Best (time, evidence, level) key per evidence floor and competence; `Int64.min` when none.
    private var best: [Int64]
    private var source: [Int32]
    private var numerator: [Int]
    private var touched: [Int]
    private var touchedFlag: [Bool]
    private var direct: [Int32]
    private var slotKey: [Int64]
    private var slotValue: [Int]
    private var slotSource: [Int32]
    private var attested: [Int32]
    private var held: [Int32]
    private var earned: [Bool]

    public init(_ compiled: CompiledDefinitions) {
        self.compiled = compiled
        competenceCount = compiled.competenceCodes.count
        badgeCount = compiled.badges.count
        best = Array(repeating: .min, count: 3 * competenceCount)
        source = Array(repeating: -1, count: 3 * competenceCount)
        numerator = Array(repeating: 0, count: competenceCount)
        touched = []
        touched.reserveCapacity(competenceCount)
        touchedFlag = Array(repeating: false, count: competenceCount)
        direct = Array(repeating: -1, count: competenceCount)
        slotKey = Array(repeating: .min, count: compiled.itemSlots.count)
        slotValue = Array(repeating: 0, count: compiled.itemSlots.count)
        slotSource = Array(repeating: -1, count: compiled.itemSlots.count)
        attested = Array(repeating: -1, count: 2 * badgeCount)
        held = Array(repeating: -1, count: badgeCount)
        earned = Array(repeating: false, count: badgeCount)
    }

    // MARK: Preparing the client's tables

    /// Fills the per-client tables from the record as of `time`.
    private func prepare(_ record: ClientRecord, at time: Timestamp) {
        for index in best.indices {
            best[index] = .min
            source[index] = -1
        }
        for slot in slotKey.indices {
            slotKey[slot] = .min
            slotSource[slot] = -1
        }
        for (index, assessment) in record.assessments.enumerated() where assessment.assessedAt <= time {
            let evidence = assessment.evidence.rank
            let timeKey = assessment.assessedAt.microseconds &* 64 &+ Int64(evidence &* 16)
            for level in assessment.levels { direct[level.competence] = Int32(level.level) }
            if let instrumentIndex = assessment.instrument {
                score(assessment, instrument: compiled.instruments[instrumentIndex], index: index, timeKey: timeKey, evidence: evidence)
            }
            for level in assessment.levels {
                store(level.competence, level: level.level, key: timeKey &+ Int64(level.level), evidence: evidence, index: index)
                direct[level.competence] = -1
            }
        }
        for index in attested.indices { attested[index] = -1 }
        for (index, attestation) in record.attestations.enumerated() where attestation.at <= time {
            let cell = (attestation.role == .instructor ? 0 : badgeCount) + attestation.badge
            if attested[cell] < 0 || record.attestations[Int(attested[cell])].at < attestation.at { attested[cell] = Int32(index) }
        }
        for index in held.indices { held[index] = -1 }
        for (index, award) in record.awards.enumerated() where award.isValid(at: time) {
            let current = held[award.badge]
            if current < 0 || record.awards[Int(current)].issuedAt < award.issuedAt { held[award.badge] = Int32(index) }
        }
    }

    /// Scores an assessment's responses into per-competence levels (exact integer arithmetic).
    private func score(_ assessment: ClientRecord.Assessment, instrument: CompiledDefinitions.CompiledInstrument, index: Int, timeKey: Int64, evidence: Int) {
        let denominator = instrument.denominator
        for response in assessment.responses {
            let item = instrument.items[response.item]
            let competence = item.competence
            if !touchedFlag[competence] {
                touchedFlag[competence] = true
                numerator[competence] = 0
                touched.append(competence)
            }
            if item.kind == .knowledge {
                if response.value == item.correct { numerator[competence] += item.weightThousandths * denominator }
            } else {
                let range = item.highest - item.lowest
                numerator[competence] += item.weightThousandths * (response.value - item.lowest) * (denominator / range)
            }
            let slot = instrument.slotOfItem[response.item]
            if slot >= 0 {
                let key = assessment.assessedAt.microseconds &* 4 &+ Int64(evidence)
                if key > slotKey[slot] || (key == slotKey[slot] && response.value > slotValue[slot]) {
                    slotKey[slot] = key
                    slotValue[slot] = response.value
                    slotSource[slot] = Int32(index)
                }
            }
        }
        for competence in touched {
            touchedFlag[competence] = false
            guard direct[competence] < 0 else { continue }
            let weight = instrument.weightPerCompetence[competence]
            guard weight > 0 else { continue }
            let whole = weight * denominator
            let percent = min(100, (200 * numerator[competence] + whole) / (2 * whole))
            let level = Int(instrument.levelForPercent[percent])
            store(competence, level: level, key: timeKey &+ Int64(level), evidence: evidence, index: index)
        }
        touched.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func store(_ competence: Int, level: Int, key: Int64, evidence: Int, index: Int) {
        var floor = 0
        while floor <= evidence {
            let cell = floor &* competenceCount &+ competence
            if key > best[cell] {
                best[cell] = key
                source[cell] = Int32(index)
            }
            floor += 1
        }
    }

    @inline(__always)
    private func level(_ competence: Int, evidence: Int) -> Int {
        let key = best[evidence &* competenceCount &+ competence]
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
        for (index, badge) in compiled.badges.enumerated() {
            let met = holds(Int(badge.root))
            earned[index] = met
            if met { count += 1 }
        }
        return count
    }

    /// The ids of the badges whose criteria hold.
    public func earnedBadges(_ record: ClientRecord, at time: Timestamp) -> [String] {
        countEarned(record, at: time)
        return compiled.badges.indices.filter { earned[$0] }.map { compiled.badges[$0].id }
    }

    private func holds(_ index: Int) -> Bool {
        let node = compiled.nodes[index]
        let first = Int(node.first)
        let end = first + Int(node.count)
        switch node.kind {
        case .allOf:
            for position in first..<end where !holds(Int(compiled.lists[position])) { return false }
            return true
        case .anyOf:
            for position in first..<end where holds(Int(compiled.lists[position])) { return true }
            return false
        case .atLeast:
            var count: Int32 = 0
            for position in first..<end where holds(Int(compiled.lists[position])) {
                count += 1
                if count >= node.a { return true }
            }
            return count >= node.a
        case .competence:
            return level(Int(node.a), evidence: Int(node.c)) >= Int(node.b)
        case .area:
            var count: Int32 = 0
            for position in first..<end where level(Int(compiled.lists[position]), evidence: Int(node.c)) >= Int(node.b) {
                count += 1
            }
            return count >= node.d
        case .baseline:
            for position in first..<end {
                let requirement = compiled.requirements[Int(compiled.lists[position])]
                let evidence = max(Int(requirement.evidence), Int(node.c))
                if level(Int(requirement.competence), evidence: evidence) < Int(requirement.level) { return false }
            }
            return true
        case .item:
            let slot = Int(node.a)
            guard slot >= 0, slotKey[slot] != .min else { return false }
            return node.b == 0 ? slotValue[slot] >= Int(node.c) : slotValue[slot] == Int(node.d)
        case .badge:
            let badge = Int(node.a)
            return badge >= 0 && (held[badge] >= 0 || earned[badge])
        case .attestation:
            return attested[(node.b == 0 ? 0 : badgeCount) + Int(node.a)] >= 0
        }
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
            earned[index] = tree.met
            missingOfBadge[index] = tree.missing
            let award = held[index] >= 0 ? record.awards[Int(held[index])] : nil
            badges.append(
                BadgeResult(
                    id: badge.id, earned: tree.met, held: award.map { HeldAward(issuedAt: $0.issuedAt, validUntil: $0.validUntil) },
                    criteria: tree))
        }
        let competences = compiled.competenceCodes.indices.map { index in
            CompetenceStanding(code: compiled.competenceCodes[index], level: level(index, evidence: 0), source: levelSource(index, evidence: 0, record))
        }
        let baselines = compiled.baselines.map { baseline in
            var gaps: [BaselineResult.Gap] = []
            for position in baseline.requirementRange {
                let requirement = compiled.requirements[position]
                let current = level(Int(requirement.competence), evidence: Int(requirement.evidence))
                if current < Int(requirement.level) {
                    gaps.append(
                        BaselineResult.Gap(
                            competence: compiled.competenceCodes[Int(requirement.competence)], current: current,
                            required: Int(requirement.level), requiredEvidence: Self.evidence(Int(requirement.evidence))))
                }
            }
            return BaselineResult(id: baseline.id, framework: baseline.framework, met: gaps.isEmpty, gaps: gaps)
        }
        let next =
            badges.filter { !$0.earned && $0.held == nil }
            .map { NextStep(badge: $0.id, missing: $0.criteria.missing, requirements: $0.criteria.missingRequirements) }
            .enumerated().sorted { ($0.element.missing, $0.offset) < ($1.element.missing, $1.offset) }.map(\.element)
        return EvaluationResult(
            client: record.client, evaluatedAt: time, definitionsDigest: compiled.digest, competences: competences, badges: badges,
            baselines: baselines, next: next)
    }

    private static func evidence(_ rank: Int) -> Evidence {
        Evidence.allCases.first { $0.rank == rank } ?? .self
    }

    private func levelSource(_ competence: Int, evidence: Int, _ record: ClientRecord) -> LevelSource? {
        let cell = evidence * competenceCount + competence
        let key = best[cell]
        guard key != .min, source[cell] >= 0 else { return nil }
        let assessment = record.assessments[Int(source[cell])]
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
        let node = compiled.nodes[index]
        let criterion = node.criterion
        let range = Int(node.first)..<Int(node.first + node.count)
        switch node.kind {
        case .allOf, .anyOf, .atLeast:
            let children = range.map { explain(Int(compiled.lists[$0]), record: record, missingOfBadge: missingOfBadge) }
            let needed = node.kind == .allOf ? children.count : node.kind == .anyOf ? 1 : Int(node.a)
            return group(criterion, children: children, needed: needed)
        case .competence:
            return competenceNode(criterion, competence: Int(node.a), required: Int(node.b), evidence: Int(node.c), record: record)
        case .area:
            let evidence = Self.evidence(Int(node.c))
            let children = range.map { position -> NodeResult in
                let competence = Int(compiled.lists[position])
                let leaf = Criterion(
                    .competence(code: compiled.competenceCodes[competence], minLevel: Int(node.b), evidence: evidence), at: criterion.location)
                return competenceNode(leaf, competence: competence, required: Int(node.b), evidence: Int(node.c), record: record)
            }
            return group(criterion, children: children, needed: Int(node.d))
        case .baseline:
            let children = range.map { position -> NodeResult in
                let requirement = compiled.requirements[Int(compiled.lists[position])]
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
            if slot >= 0, slotKey[slot] != .min, slotSource[slot] >= 0 {
                let assessment = record.assessments[Int(slotSource[slot])]
                answer = ItemAnswer(
                    value: slotValue[slot], correct: node.b == 1 ? slotValue[slot] == Int(node.d) : nil, assessment: assessment.id,
                    assessedAt: assessment.assessedAt)
            }
            let met = holds(index)
            return NodeResult(
                criterion: criterion, met: met, missing: met ? 0 : 1, detail: .item(instrument: reference.instrument, item: reference.item, answer: answer),
                children: [])
        case .badge:
            let badge = Int(node.a)
            let award = held[badge] >= 0 ? record.awards[Int(held[badge])] : nil
            let earnedNow = earned[badge]
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
            let attestation = attested[cell] >= 0 ? record.attestations[Int(attested[cell])] : nil
            return NodeResult(
                criterion: criterion, met: attestation != nil, missing: attestation != nil ? 0 : 1,
                detail: .attestation(role: node.b == 0 ? .instructor : .admin, by: attestation?.by, at: attestation?.at), children: [])
        }
    }
}
