/// How strong the evidence behind a level is: a self-assessment, a test, or an instructor's observation.
///
/// Ordered `self < test < observed`; a requirement counts only evidence at least as strong as it asks for.
public enum Evidence: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case `self`
    case test
    case observed

    public var rank: Int {
        switch self {
        case .self: 0
        case .test: 1
        case .observed: 2
        }
    }

    public static func < (lhs: Evidence, rhs: Evidence) -> Bool { lhs.rank < rhs.rank }
}
