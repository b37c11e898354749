import Basics
public import Definitions
import Synchronization

/// A checked definition set turned into dense tables for fast evaluation.
///
/// Competences, instruments, items, badges and baselines get integer indices; criteria become a flat
/// node array; badges are ordered so that every badge comes after the badges it depends on. Built once
/// per definition set and shared (immutable) by every evaluation.
public final class CompiledDefinitions: Sendable {
    public let definitions: DefinitionSet
    /// SHA-256 (hex) of the canonical form of the definitions; carried by every result.
    public let digest: String

    public let competenceCodes: [String]
    let competenceIndex: [String: Int]
    /// For each competence, the framework it belongs to (index into `definitions.frameworks`).
    let competenceFramework: [Int]
    /// The level values of each framework (by its place in `definitions.frameworks`).
    let frameworkLevels: [[Int]]

    public let instruments: [CompiledInstrument]
    let instrumentIndex: [String: Int]

    /// Badges in dependency order.
    public let badges: [CompiledBadge]
    let badgeIndex: [String: Int]

    public let baselines: [CompiledBaseline]

    let nodes: [Node]
    /// The criterion each node was compiled from (for explanations), parallel to `nodes`.
    let nodeCriteria: [Criterion]
    /// Scoring data of every item of every instrument; instrument `i` starts at `itemOffset[i]`.
    let itemScores: [ItemScore]
    let itemOffset: [Int32]
    /// For instrument `i` and percent `p`, the level at `percentLevels[i * 101 + p]`.
    let percentLevels: [Int8]
    /// For instrument `i` and competence `c`, Σ weight × denominator at `wholes[i * competenceCount + c]` (0: no items).
    let wholes: [Int]
    /// Child node indices of combinators, competence indices of areas, requirement indices of baselines.
    let lists: [Int32]
    let requirements: [Requirement]
    /// (instrument, item) pairs that criteria refer to; each gets a slot in the per-client item table.
    let itemSlots: [(instrument: Int, item: Int)]
    /// The sentences of the criteria, made once per language (``ReasonWriter/sentence(_:badge:)``).
    let sentences = SentenceCache()

    /// A class, not a struct: reading one out of the array (for an item, per response) then costs one
    /// retain, not a copy of every table it holds.
    public final class CompiledInstrument: Sendable {
        public let id: String
        public let evidence: Evidence
        public let items: [CompiledItem]
        let itemIndex: [String: Int]
        /// Level for each whole percent 0...100.
        let levelForPercent: [Int8]
        /// Common denominator of all item score fractions, so percents are computed exactly.
        let denominator: Int
        /// Σ weight (in thousandths) of the instrument's items per competence index; 0 when none.
        let weightPerCompetence: [Int]
        /// For each item, the slot it fills in the per-client item table, or -1.
        let slotOfItem: [Int]

        init(
            id: String, evidence: Evidence, items: [CompiledItem], itemIndex: [String: Int], levelForPercent: [Int8], denominator: Int,
            weightPerCompetence: [Int], slotOfItem: [Int]
        ) {
            self.id = id
            self.evidence = evidence
            self.items = items
            self.itemIndex = itemIndex
            self.levelForPercent = levelForPercent
            self.denominator = denominator
            self.weightPerCompetence = weightPerCompetence
            self.slotOfItem = slotOfItem
        }

        public func item(_ id: String) -> Int? { itemIndex[id] }
    }

    public struct CompiledItem: Sendable {
        public let id: String
        public let competence: Int
        public let kind: Instrument.ItemKind
        public let scaleID: String
        /// Option values, sorted.
        public let options: [Int]
        let lowest: Int
        let highest: Int
        let correct: Int?
        let weightThousandths: Int
    }

    public struct CompiledBadge: Sendable {
        public let id: String
        public let badge: Badge
        let root: Int32
    }

    public struct CompiledBaseline: Sendable {
        public let id: String
        public let framework: String
        public let baseline: Framework.Baseline
        /// Requirement indices.
        let requirementRange: Range<Int>
    }

    struct Requirement: Sendable {
        let competence: Int32
        let level: Int32
        let evidence: Int32
    }

    enum Kind: UInt8, Sendable {
        case allOf, anyOf, atLeast, competence, area, baseline, item, badge, attestation
    }

    /// One criterion node, plain data only; the meaning of `a`…`d` depends on the kind (see `NodeBuilder.add`).
    struct Node: Sendable {
        var kind: Kind
        var a: Int32 = 0
        var b: Int32 = 0
        var c: Int32 = 0
        var d: Int32 = 0
        var first: Int32 = 0
        var count: Int32 = 0
    }

    /// How one item's answer adds to its competence's score, in exact integer units.
    ///
    /// A knowledge item adds `multiplier` when the answer equals `correct`; a skill or attitude item adds
    /// `multiplier × (value − lowest)`, where `multiplier` is weight × denominator / (highest − lowest).
    struct ItemScore: Sendable {
        var competence: Int32
        var slot: Int32
        var lowest: Int32
        var correct: Int32
        var multiplier: Int
        var knowledge: Bool
    }

    /// Compiles a definition set; it must have passed lint without errors.
    public init(_ definitions: DefinitionSet) {
        self.definitions = definitions
        self.digest = DefinitionsDigest.compute(definitions)

        var codes: [String] = []
        var codeIndex: [String: Int] = [:]
        var codeFramework: [Int] = []
        for (frameworkIndex, framework) in definitions.frameworks.enumerated() {
            for competence in framework.competences where codeIndex[competence.code] == nil {
                codeIndex[competence.code] = codes.count
                codes.append(competence.code)
                codeFramework.append(frameworkIndex)
            }
        }
        competenceCodes = codes
        competenceIndex = codeIndex
        competenceFramework = codeFramework
        frameworkLevels = definitions.frameworks.map { $0.levels.map(\.value) }

        // Badges in dependency order (depth-first post-order; lint has ruled out cycles).
        var ordered: [Badge] = []
        var visited = Set<String>()
        let byID = Dictionary(definitions.badges.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func visit(_ badge: Badge) {
            guard visited.insert(badge.id).inserted else { return }
            for dependency in badge.criteria.badgeDependencies {
                if let target = byID[dependency] { visit(target) }
            }
            ordered.append(badge)
        }
        definitions.badges.forEach(visit)
        var badgeIndex: [String: Int] = [:]
        for (index, badge) in ordered.enumerated() { badgeIndex[badge.id] = index }
        self.badgeIndex = badgeIndex

        // Item slots: every item a criterion names.
        var instrumentIndex: [String: Int] = [:]
        for (index, instrument) in definitions.instruments.enumerated() { instrumentIndex[instrument.id] = index }
        self.instrumentIndex = instrumentIndex
        var slots: [(instrument: Int, item: Int)] = []
        var slotLookup: [String: Int] = [:]
        for badge in ordered {
            for node in badge.criteria.allNodes {
                guard case .item(let instrumentID, let itemID, _) = node.expression,
                    let instrument = instrumentIndex[instrumentID],
                    let item = definitions.instruments[instrument].items.firstIndex(where: { $0.id == itemID }),
                    slotLookup["\(instrumentID)/\(itemID)"] == nil
                else { continue }
                slotLookup["\(instrumentID)/\(itemID)"] = slots.count
                slots.append((instrument, item))
            }
        }
        itemSlots = slots

        instruments = definitions.instruments.map { instrument in
            Self.compile(instrument, competenceIndex: codeIndex, competenceCount: codes.count, slots: slotLookup)
        }

        // Baselines and their requirements.
        var requirements: [Requirement] = []
        var baselines: [CompiledBaseline] = []
        for framework in definitions.frameworks {
            for baseline in framework.baselines {
                let start = requirements.count
                for requirement in baseline.requirements {
                    guard let competence = codeIndex[requirement.competence] else { continue }
                    requirements.append(
                        Requirement(
                            competence: Int32(competence), level: Int32(requirement.level),
                            evidence: Int32(requirement.evidence.rank)))
                }
                baselines.append(
                    CompiledBaseline(id: baseline.id, framework: framework.id, baseline: baseline, requirementRange: start..<requirements.count))
            }
        }
        self.baselines = baselines

        // Criteria.
        var builder = NodeBuilder(
            definitions: definitions, competenceIndex: codeIndex, instrumentIndex: instrumentIndex, badgeIndex: badgeIndex,
            slots: slotLookup, baselines: baselines, requirements: requirements)
        var compiledBadges: [CompiledBadge] = []
        for badge in ordered {
            let root = builder.add(badge.criteria, framework: badge.framework, owner: badgeIndex[badge.id]!)
            compiledBadges.append(CompiledBadge(id: badge.id, badge: badge, root: root))
        }
        self.badges = compiledBadges
        self.nodes = builder.nodes
        self.nodeCriteria = builder.criteria
        self.lists = builder.lists
        self.requirements = builder.requirements

        // Flat scoring tables for the evaluator's hot path.
        var scores: [ItemScore] = []
        var offsets: [Int32] = []
        var percents: [Int8] = []
        var wholes: [Int] = []
        for instrument in instruments {
            offsets.append(Int32(scores.count))
            for (index, item) in instrument.items.enumerated() {
                let range = max(1, item.highest - item.lowest)
                scores.append(
                    ItemScore(
                        competence: Int32(item.competence), slot: Int32(instrument.slotOfItem[index]), lowest: Int32(item.lowest),
                        correct: item.correct.map { Int32(clamping: $0) } ?? Int32.min,
                        multiplier: item.kind == .knowledge
                            ? item.weightThousandths * instrument.denominator
                            : item.weightThousandths * (instrument.denominator / range),
                        knowledge: item.kind == .knowledge))
            }
            percents.append(contentsOf: instrument.levelForPercent)
            wholes.append(contentsOf: instrument.weightPerCompetence.map { $0 * instrument.denominator })
        }
        itemScores = scores
        itemOffset = offsets
        percentLevels = percents
        self.wholes = wholes
        bindingFingerprint = Self.fingerprint(definitions, competenceCodes: codes, instruments: instruments)
    }

    /// Everything a client record's indices depend on, apart from badges: competences, the levels of
    /// each framework, instruments with their items and options, and checkpoints. Two sets with the same
    /// fingerprint bind every assessment to the same indices (see ``ClientRecord/rebound(to:)``).
    public let bindingFingerprint: String

    private static func fingerprint(_ definitions: DefinitionSet, competenceCodes: [String], instruments: [CompiledInstrument]) -> String {
        var parts: [String] = [competenceCodes.joined(separator: ",")]
        parts += definitions.frameworks.map { "\($0.id):\($0.levels.map { String($0.value) }.joined(separator: ","))" }
        for instrument in instruments {
            parts.append(
                "\(instrument.id)/\(instrument.evidence.rawValue):"
                    + instrument.items.map { "\($0.id)@\($0.competence)=\($0.options.map(String.init).joined(separator: "."))" }.joined(separator: ","))
        }
        parts.append(definitions.pathways.flatMap { $0.checkpoints.map(\.id) }.sorted().joined(separator: ","))
        return parts.joined(separator: "\n")
    }

    public func competence(_ code: String) -> Int? { competenceIndex[code] }
    public func instrument(_ id: String) -> Int? { instrumentIndex[id] }
    public func badge(_ id: String) -> Int? { badgeIndex[id] }

    /// The framework competence for an index (for titles).
    public func competenceDefinition(_ index: Int) -> Framework.Competence? {
        definitions.frameworks[competenceFramework[index]].competence(competenceCodes[index])
    }

    private static func compile(
        _ instrument: Instrument, competenceIndex: [String: Int], competenceCount: Int, slots: [String: Int]
    ) -> CompiledInstrument {
        var items: [CompiledItem] = []
        var itemIndex: [String: Int] = [:]
        var weights = Array(repeating: 0, count: competenceCount)
        var denominator = 1
        var slotOfItem: [Int] = []
        for item in instrument.items {
            let scale = instrument.scale(item.scale)
            let options = (scale?.options.map(\.value) ?? []).sorted()
            let lowest = options.first ?? 0
            let highest = options.last ?? 0
            let competence = competenceIndex[item.competence] ?? 0
            let weight = Int((item.weight * 1000).rounded())
            if item.kind != .knowledge, highest > lowest {
                denominator = lcm(denominator, highest - lowest)
            }
            itemIndex[item.id] = items.count
            items.append(
                CompiledItem(
                    id: item.id, competence: competence, kind: item.kind, scaleID: item.scale, options: options, lowest: lowest,
                    highest: highest, correct: item.correct, weightThousandths: weight))
            weights[competence] += weight
            slotOfItem.append(slots["\(instrument.id)/\(item.id)"] ?? -1)
        }
        var levelForPercent = [Int8](repeating: 0, count: 101)
        let cuts = instrument.levelCuts.sorted { $0.minPercent < $1.minPercent }
        for percent in 0...100 {
            levelForPercent[percent] = Int8(cuts.last { $0.minPercent <= percent }?.level ?? 0)
        }
        return CompiledInstrument(
            id: instrument.id, evidence: instrument.evidence, items: items, itemIndex: itemIndex, levelForPercent: levelForPercent,
            denominator: denominator, weightPerCompetence: weights, slotOfItem: slotOfItem)
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
private func lcm(_ a: Int, _ b: Int) -> Int { a / gcd(a, b) * b }

/// Flattens criterion trees into the node array.
private struct NodeBuilder {
    let definitions: DefinitionSet
    let competenceIndex: [String: Int]
    let instrumentIndex: [String: Int]
    let badgeIndex: [String: Int]
    let slots: [String: Int]
    let baselines: [CompiledDefinitions.CompiledBaseline]
    let competenceCodes: [String]
    var requirements: [CompiledDefinitions.Requirement]
    var nodes: [CompiledDefinitions.Node] = []
    var criteria: [Criterion] = []
    var lists: [Int32] = []

    init(
        definitions: DefinitionSet, competenceIndex: [String: Int], instrumentIndex: [String: Int], badgeIndex: [String: Int],
        slots: [String: Int], baselines: [CompiledDefinitions.CompiledBaseline], requirements: [CompiledDefinitions.Requirement]
    ) {
        self.definitions = definitions
        self.competenceIndex = competenceIndex
        self.instrumentIndex = instrumentIndex
        self.badgeIndex = badgeIndex
        self.slots = slots
        self.baselines = baselines
        self.requirements = requirements
        self.competenceCodes = competenceIndex.sorted { $0.value < $1.value }.map(\.key)
    }

    /// Adds a criterion and its children; returns the node index.
    ///
    /// Fields by kind: combinators `first`/`count` over `lists` (child nodes), `a` = count for at-least;
    /// competence `a` competence, `b` level, `c` evidence; area `first`/`count` over `lists` (competences),
    /// `b` level, `c` evidence, `d` how many must hold; baseline `first`/`count` over `lists` (requirements),
    /// `c` evidence floor; item `a` slot, `b` 0 = min-value / 1 = correct, `c` min value, `d` correct value;
    /// badge `a` badge; attestation `a` owning badge, `b` role (0 instructor, 1 admin).
    mutating func add(_ criterion: Criterion, framework frameworkID: String, owner: Int) -> Int32 {
        let index = nodes.count
        nodes.append(CompiledDefinitions.Node(kind: .allOf))
        criteria.append(criterion)
        var node = CompiledDefinitions.Node(kind: .allOf)
        let framework = definitions.framework(frameworkID)
        switch criterion.expression {
        case .allOf(let children), .anyOf(let children), .atLeast(_, let children):
            if case .anyOf = criterion.expression { node.kind = .anyOf }
            if case .atLeast(let count, _) = criterion.expression {
                node.kind = .atLeast
                node.a = Int32(count)
            }
            let childIndices = children.map { add($0, framework: frameworkID, owner: owner) }
            node.first = Int32(lists.count)
            node.count = Int32(childIndices.count)
            lists.append(contentsOf: childIndices)
        case .competence(let code, let minLevel, let evidence):
            node.kind = .competence
            node.a = Int32(competenceIndex[code] ?? 0)
            node.b = Int32(minLevel)
            node.c = Int32(evidence.rank)
        case .area(let code, let minLevel, let count, let evidence):
            node.kind = .area
            let members = framework?.area(code)?.competences.compactMap { competenceIndex[$0.code] } ?? []
            node.first = Int32(lists.count)
            node.count = Int32(members.count)
            lists.append(contentsOf: members.map { Int32($0) })
            node.b = Int32(minLevel)
            node.c = Int32(evidence.rank)
            node.d = Int32(count ?? members.count)
        case .baseline(let id, let area, let evidence):
            node.kind = .baseline
            let baseline = baselines.first { $0.id == id && $0.framework == frameworkID }
            let members = (baseline?.requirementRange ?? 0..<0).filter { index in
                area.map { codeArea(of: index) == $0 } ?? true
            }
            node.first = Int32(lists.count)
            node.count = Int32(members.count)
            lists.append(contentsOf: members.map { Int32($0) })
            node.c = Int32(evidence?.rank ?? 0)
        case .item(let instrumentID, let itemID, let condition):
            node.kind = .item
            node.a = Int32(slots["\(instrumentID)/\(itemID)"] ?? -1)
            switch condition {
            case .minValue(let value):
                node.b = 0
                node.c = Int32(clamping: value)
            case .correct:
                node.b = 1
                let instrument = instrumentIndex[instrumentID].map { definitions.instruments[$0] }
                node.d = instrument?.item(itemID)?.correct.map { Int32(clamping: $0) } ?? Int32.min
            }
        case .badge(let id):
            node.kind = .badge
            node.a = Int32(badgeIndex[id] ?? -1)
        case .attestation(let role):
            node.kind = .attestation
            node.a = Int32(owner)
            node.b = role == .instructor ? 0 : 1
        }
        nodes[index] = node
        return Int32(index)
    }

    private func codeArea(of requirementIndex: Int) -> String {
        let code = competenceCodes[Int(requirements[requirementIndex].competence)]
        return String(code.prefix { $0 != "." })
    }
}

/// What leaf criteria ask, as sentences, by language, badge and criterion: the same for every client, so
/// each is written once. A definition set has a fixed number of them; the cache still stops growing at
/// `limit`.
final class SentenceCache: Sendable {
    struct Key: Hashable {
        var language: Language
        var badge: String
        var expression: Criterion.Expression
    }

    static let limit = 100_000
    private let sentences = Mutex<[Key: String]>([:])

    func sentence(_ key: Key, make: () -> String) -> String {
        if let known = sentences.withLock({ $0[key] }) { return known }
        let made = make()
        sentences.withLock { if $0.count < Self.limit { $0[key] = made } }
        return made
    }
}
