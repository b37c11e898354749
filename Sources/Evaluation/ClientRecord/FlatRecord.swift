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
        for assessment in assessments {
            ints.append(Int32(assessment.evidence.rank))
            ints.append(Int32(assessment.instrument ?? -1))
            ints.append(Int32(responseCursor))
            ints.append(Int32(assessment.responses.count))
            ints.append(Int32(levelCursor))
            ints.append(Int32(assessment.levels.count))
            responseCursor += 2 * assessment.responses.count
            levelCursor += 2 * assessment.levels.count
        }
        for assessment in assessments {
            for response in assessment.responses {
                ints.append(Int32(response.item))
                ints.append(Int32(clamping: response.value))
            }
        }
        for assessment in assessments {
            for level in assessment.levels {
                ints.append(Int32(level.competence))
                ints.append(Int32(level.level))
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
}
