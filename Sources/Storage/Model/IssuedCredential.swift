public import Basics
import Definitions

public struct Revocation: Sendable, Hashable, Codable {
    public var credentialID: String
    public var reason: String
    public var revokedAt: Timestamp
    public var by: String

    public init(credentialID: String, reason: String, revokedAt: Timestamp, by: String) {
        self.credentialID = credentialID
        self.reason = reason
        self.revokedAt = revokedAt
        self.by = by
    }
}

/// A credential suspended until an instructor lifts it (its bit in the suspension list is set meanwhile).
public struct Suspension: Sendable, Hashable, Codable {
    public var credentialID: String
    public var reason: String
    public var suspendedAt: Timestamp
    public var by: String

    public init(credentialID: String, reason: String, suspendedAt: Timestamp, by: String) {
        self.credentialID = credentialID
        self.reason = reason
        self.suspendedAt = suspendedAt
        self.by = by
    }
}

/// How places in the status lists are handed out: at random among the free places of the newest list, and
/// a new list once half of a list is handed out (so that a random pick seldom meets a taken place, and a
/// list never fills in order, which would tell when a credential was issued).
enum StatusPlacement {
    static let listLength = StatusListEntry.listLength
    static let placesPerList = listLength / 2

    /// Hands out `count` places after the newest list's (`last`, with how many of its places are taken);
    /// `take` records one and returns false when it was taken already.
    static func place(count: Int, last: (list: Int, used: Int)?, take: (StatusListEntry) throws -> Bool) rethrows -> [StatusListEntry] {
        var list = last?.list ?? 1
        var used = last?.used ?? 0
        var placed: [StatusListEntry] = []
        var generator = SystemRandomNumberGenerator()
        while placed.count < count {
            if used >= placesPerList {
                list += 1
                used = 0
            }
            let entry = StatusListEntry(list: list, index: Int.random(in: 0..<listLength, using: &generator))
            if try take(entry) {
                placed.append(entry)
                used += 1
            }
        }
        return placed
    }
}

/// Everything the store holds about one client, read in one transaction.
public struct ClientFile: Sendable, Hashable {
    public var client: StoredClient
    public var periods: [PathwayPeriod]
    /// In the order recorded.
    public var assessments: [StoredAssessment]
    public var attestations: [StoredAttestation]
    /// Badges held from before (imported).
    public var heldAwards: [HeldAward]
    /// Credentials Merkisto issued to the client, oldest first.
    public var credentials: [IssuedCredential]
    /// Revocations of those credentials.
    public var revocations: [Revocation]
    /// Suspensions of those credentials that are in force.
    public var suspensions: [Suspension]

    public init(
        client: StoredClient, periods: [PathwayPeriod] = [], assessments: [StoredAssessment] = [], attestations: [StoredAttestation] = [],
        heldAwards: [HeldAward] = [], credentials: [IssuedCredential] = [], revocations: [Revocation] = [], suspensions: [Suspension] = []
    ) {
        self.suspensions = suspensions
        self.client = client
        self.periods = periods
        self.assessments = assessments
        self.attestations = attestations
        self.heldAwards = heldAwards
        self.credentials = credentials
        self.revocations = revocations
    }

    public var openPeriod: PathwayPeriod? { periods.last { $0.isOpen } }

    public func isRevoked(_ credentialID: String) -> Bool { revocations.contains { $0.credentialID == credentialID } }

    public func isSuspended(_ credentialID: String) -> Bool { suspensions.contains { $0.credentialID == credentialID } }
}
