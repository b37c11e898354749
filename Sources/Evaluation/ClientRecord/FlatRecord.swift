import Basics
import Definitions

/// A client record as two flat number arrays, the form the evaluator reads.
///
/// `ints` holds, per assessment, six fields (evidence rank, instrument or -1, first response, response
/// count, first level, level count), then the responses (item, value), the levels (competence, level),
/// the attestations (badge, role: 0 instructor / 1 admin) and the awards (badge, revoked 0/1).
/// `longs` holds the assessment times, attestation times, award issue times and award end times
/// (`Int64.max` when the award does not expire), all in microseconds.
struct FlatRecord: Sendable {
    static let assessmentFields = 6

    let assessmentCount: Int
    let attestationCount: Int
    let awardCount: Int
    let ints: [Int32]
    let longs: [Int64]
    /// Where the attestation and award blocks start in `ints`.
    let attestationBase: Int
    let awardBase: Int

    init(assessments: [ClientRecord.Assessment], attestations: [ClientRecord.Attestation], awards: [ClientRecord.Award]) {
        assessmentCount = assessments.count
        attestationCount = attestations.count
        awardCount = awards.count
        let responseCount = assessments.reduce(0) { $0 + $1.responses.count }
        let levelCount = assessments.reduce(0) { $0 + $1.levels.count }
        var ints: [Int32] = []
        ints.reserveCapacity(
            assessments.count * Self.assessmentFields + 2 * responseCount + 2 * levelCount + 2 * attestations.count + 2 * awards.count)
        var responseCursor = assessments.count * Self.assessmentFields
        var levelCursor = responseCursor + 2 * responseCount
        // By index, not `for … in`: a loop variable would be a copy of each assessment (a retain and a
        // release of each of its strings and arrays), and records are built for every stored client.
        for index in assessments.indices {
            let responses = assessments[index].responses.count
            let levels = assessments[index].levels.count
            ints.append(Int32(assessments[index].evidence.rank))
            ints.append(Int32(assessments[index].instrument ?? -1))
            ints.append(Int32(responseCursor))
            ints.append(Int32(responses))
            ints.append(Int32(levelCursor))
            ints.append(Int32(levels))
            responseCursor += 2 * responses
            levelCursor += 2 * levels
        }
        for index in assessments.indices {
            assessments[index].responses.withUnsafeBufferPointer { responses in
                for response in responses {
                    ints.append(Int32(response.item))
                    ints.append(Int32(clamping: response.value))
                }
            }
        }
        for index in assessments.indices {
            assessments[index].levels.withUnsafeBufferPointer { levels in
                for level in levels {
                    ints.append(Int32(level.competence))
                    ints.append(Int32(level.level))
                }
            }
        }
        attestationBase = ints.count
        for attestation in attestations {
            ints.append(Int32(attestation.badge))
            ints.append(attestation.role == .instructor ? 0 : 1)
        }
        awardBase = ints.count
        for award in awards {
            ints.append(Int32(award.badge))
            ints.append(award.revoked ? 1 : 0)
        }
        var longs: [Int64] = assessments.map(\.assessedAt.microseconds)
        longs.append(contentsOf: attestations.map(\.at.microseconds))
        longs.append(contentsOf: awards.map(\.issuedAt.microseconds))
        longs.append(contentsOf: awards.map { $0.validUntil?.microseconds ?? .max })
        self.ints = ints
        self.longs = longs
    }

    private init(_ other: FlatRecord, ints: [Int32]) {
        assessmentCount = other.assessmentCount
        attestationCount = other.attestationCount
        awardCount = other.awardCount
        self.ints = ints
        longs = other.longs
        attestationBase = other.attestationBase
        awardBase = other.awardBase
    }

    /// The same record with its attestations' and awards' badges replaced (in the same order), as when a
    /// record is bound to another definition set in which only badge indices differ.
    func withBadges(attestations: [Int], awards: [Int]) -> FlatRecord {
        var ints = self.ints
        for (index, badge) in attestations.enumerated() { ints[attestationBase + 2 * index] = Int32(badge) }
        for (index, badge) in awards.enumerated() { ints[awardBase + 2 * index] = Int32(badge) }
        return FlatRecord(self, ints: ints)
    }
}
