public import Basics
import Crypto

/// One line of the append-only audit log: who did what to what, when.
///
/// Entries never hold personal data: the subject is a pseudonymous client id, a credential id or a
/// definition id, and the detail names ids and kinds of change, not names or contents. Each entry
/// carries the SHA-256 of the entry before it, so a changed or removed entry breaks the chain.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// 1, 2, 3 … without gaps.
    public var sequence: Int64
    public var at: Timestamp
    public var actor: String
    public var action: String
    public var subject: String
    public var detail: String
    /// SHA-256 (hex) of `detail` as written. The hash covers this digest, not the detail itself, so that a
    /// detail about a client can be removed when the client is erased and the chain still verifies
    /// (docs/decisions/0007). nil for an entry chained before digests (its hash covers the detail).
    public var detailDigest: String?
    /// The detail was removed or shortened when a client was erased; the digest stands for what it was.
    public var redacted: Bool
    /// The ``hash`` of the entry before (64 zeros for the first).
    public var previous: String
    /// SHA-256 (hex) of this entry's fields and `previous`.
    public var hash: String

    /// The hash that the first entry names as its previous one.
    public static let genesis = String(repeating: "0", count: 64)

    /// A new entry chained to `previous`.
    public init(sequence: Int64, at: Timestamp, actor: String, action: String, subject: String, detail: String, previous: String) {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
        self.detailDigest = Self.digest(detail)
        self.redacted = false
        self.previous = previous
        self.hash = ""
        self.hash = computedHash
    }

    /// An entry chained the first way, its hash over the detail itself (only for migrating old logs).
    static func withoutDigest(sequence: Int64, at: Timestamp, actor: String, action: String, subject: String, detail: String, previous: String) -> AuditEntry {
        var entry = AuditEntry(
            stored: sequence, at: at, actor: actor, action: action, subject: subject, detail: detail, detailDigest: nil, redacted: false,
            previous: previous, hash: "")
        entry.hash = entry.computedHash
        return entry
    }

    /// An entry as stored, with the hashes it was stored with (which ``AuditVerification`` checks).
    public init(
        stored sequence: Int64, at: Timestamp, actor: String, action: String, subject: String, detail: String, detailDigest: String?,
        redacted: Bool, previous: String, hash: String
    ) {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
        self.detailDigest = detailDigest
        self.redacted = redacted
        self.previous = previous
        self.hash = hash
    }

    /// SHA-256 (hex) of a detail.
    static func digest(_ detail: String) -> String { Hex.encode(SHA256.hash(data: Array(detail.utf8))) }

    /// The hash the entry's fields give now: length-prefixed fields, so no two entries share an input; the
    /// detail's digest stands in for the detail (marked, so that no entry of either kind shares an input).
    public var computedHash: String {
        var input: [UInt8] = []
        for field in [String(sequence), at.description, actor, action, subject, detailDigest.map { "sha256:" + $0 } ?? detail, previous] {
            let bytes = Array(field.utf8)
            input.append(contentsOf: String(bytes.count).utf8)
            input.append(UInt8(ascii: ":"))
            input.append(contentsOf: bytes)
        }
        return Hex.encode(SHA256.hash(data: input))
    }
}

/// What an audit log check found.
public struct AuditVerification: Sendable, Hashable {
    public var entries: Int
    /// The hash of the last entry (the chain's head), which can be written down elsewhere as an anchor.
    public var head: String
    /// Problems, each naming the entry; empty when the chain holds.
    public var problems: [String]

    public var isIntact: Bool { problems.isEmpty }

    /// Checks that sequences run 1, 2, 3 …, every hash matches its entry and every entry names the hash
    /// of the one before.
    public init(checking entries: [AuditEntry]) {
        self.init(checking: entries, after: nil)
    }

    /// Checks a run of entries that follows `before` (nil: the log's start): sequences run on from it,
    /// every hash matches its entry and every entry names the hash of the one before.
    public init(checking entries: [AuditEntry], after before: AuditEntry?) {
        self.entries = entries.count
        var problems: [String] = []
        var previous = before?.hash ?? AuditEntry.genesis
        let start = (before?.sequence ?? 0) + 1
        for (index, entry) in entries.enumerated() {
            if entry.sequence != start + Int64(index) {
                problems.append("entry \(entry.sequence): expected sequence \(start + Int64(index)); an entry is missing or was inserted")
            }
            if entry.previous != previous {
                problems.append("entry \(entry.sequence): does not name the hash of the entry before it; the log was changed before this entry")
            }
            if entry.computedHash != entry.hash {
                problems.append("entry \(entry.sequence): its contents do not match its hash; the entry was changed")
            } else if !entry.redacted, let digest = entry.detailDigest, AuditEntry.digest(entry.detail) != digest {
                problems.append("entry \(entry.sequence): its detail does not match its digest; the detail was changed")
            }
            previous = entry.hash
        }
        self.problems = problems
        self.head = previous
    }
}
