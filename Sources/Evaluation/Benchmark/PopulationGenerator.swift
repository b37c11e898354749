public import Basics
import Definitions

/// Generates realistic, deterministic client records for benchmarks and property tests.
///
/// Each client has one to four assessments spread over a year: questionnaires (self or test evidence)
/// answering every item, observations of some tasks, sometimes directly recorded levels; some clients
/// have attestations and awards. The same seed always gives the same population.
public struct PopulationGenerator: Sendable {
    public let compiled: CompiledDefinitions
    public var seed: UInt64

    public init(compiled: CompiledDefinitions, seed: UInt64 = 0x4D45_524B_4953_544F) {
        self.compiled = compiled
        self.seed = seed
    }

    /// The instant the population is evaluated at: after every generated assessment.
    public static let evaluationTime = Timestamp(microseconds: 1_795_000_000_000_000)  // 2026-11-18

    public func clients(_ count: Int) -> [ClientRecord] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { client(number: $0, random: &random) }
    }

    /// Client `number` of a population that is made a part at a time (each client from a seed of its own,
    /// so any range repeats exactly), under `id`.
    public func client(number: Int, id: String) -> ClientRecord {
        var random = SplitMix64(seed: seed ^ (UInt64(number) &* 0x9E37_79B9_7F4A_7C15))
        return client(number: number, random: &random, id: id)
    }

    private func client(number: Int, random: inout SplitMix64, id: String? = nil) -> ClientRecord {
        let start: Int64 = 1_767_225_600_000_000  // 2026-01-01
        let day: Int64 = 86_400_000_000
        var assessments: [ClientRecord.Assessment] = []
        let ability = Int.random(in: 0...3, using: &random)
        let count = Int.random(in: 1...4, using: &random)
        for index in 0..<count {
            let time = Timestamp(microseconds: start + Int64(index * 60 + Int.random(in: 0..<30, using: &random)) * day, offsetSeconds: 7200)
            let instrumentIndex = compiled.instruments.indices.randomElement(using: &random) ?? 0
            let instrument = compiled.instruments[instrumentIndex]
            let growth = min(3, ability + index / 2)
            var responses: [ClientRecord.Response] = []
            for (itemIndex, item) in instrument.items.enumerated() {
                if instrument.evidence == .observed && Bool.random(using: &random) { continue }
                let value: Int
                if item.kind == .knowledge, let correct = item.correct {
                    value = Int.random(in: 0..<4, using: &random) < growth + 1 ? correct : item.options[0]
                } else {
                    let step = max(0, min(item.options.count - 1, growth + Int.random(in: -1...1, using: &random)))
                    value = item.options[step]
                }
                responses.append(ClientRecord.Response(item: itemIndex, value: value))
            }
            var levels: [ClientRecord.DirectLevel] = []
            if Int.random(in: 0..<5, using: &random) == 0 {
                for _ in 0..<3 {
                    levels.append(
                        ClientRecord.DirectLevel(
                            competence: Int.random(in: 0..<compiled.competenceCodes.count, using: &random), level: min(8, growth + 1)))
                }
                var seen = Set<Int>()
                levels = levels.filter { seen.insert($0.competence).inserted }
            }
            let evidence: Evidence =
                instrument.evidence == .observed ? .observed : (Bool.random(using: &random) ? .self : .test)
            assessments.append(
                ClientRecord.Assessment(
                    id: "a\(index)", assessedAt: time, assessor: "ohjaaja-\(number % 20)", evidence: evidence,
                    instrument: instrumentIndex, responses: responses, levels: levels))
        }
        var attestations: [ClientRecord.Attestation] = []
        var awards: [ClientRecord.Award] = []
        for badge in compiled.badges.indices where Int.random(in: 0..<6, using: &random) == 0 {
            attestations.append(
                ClientRecord.Attestation(badge: badge, by: "ohjaaja-1", role: .instructor, at: Timestamp(microseconds: start + 200 * day)))
        }
        if let badge = compiled.badges.indices.randomElement(using: &random), Bool.random(using: &random) {
            awards.append(
                ClientRecord.Award(
                    badge: badge, issuedAt: Timestamp(microseconds: start + 100 * day),
                    validUntil: Bool.random(using: &random) ? Timestamp(microseconds: start + 280 * day) : nil))
        }
        return ClientRecord(compiled: compiled, client: id ?? "asiakas-\(number)", assessments: assessments, attestations: attestations, awards: awards)
    }
}
