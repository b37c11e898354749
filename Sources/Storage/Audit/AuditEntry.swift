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
        self.previous = previous
        self.hash = ""
        self.hash = computedHash
    }

    /// An entry as stored, with the hashes it was stored with (which ``AuditVerification`` checks).
    public init(stored sequence: Int64, at: Timestamp, actor: String, action: String, subject: String, detail: String, previous: String, hash: String) {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
        self.previous = previous
        self.hash = hash
    }

    /// The hash the entry's fields give now: length-prefixed fields, so no two entries share an input.
    public var computedHash: String {
        var input: [UInt8] = []
        for field in [String(sequence), at.description, actor, action, subject, detail, previous] {
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
        self.entries = entries.count
        var problems: [String] = []
        var previous = AuditEntry.genesis
        for (index, entry) in entries.enumerated() {
            if entry.sequence != Int64(index + 1) {
                problems.append("entry \(entry.sequence): expected sequence \(index + 1); an entry is missing or was inserted")
            }
            if entry.previous != previous {
                problems.append("entry \(entry.sequence): does not name the hash of the entry before it; the log was changed before this entry")
            }
            if entry.computedHash != entry.hash {
                problems.append("entry \(entry.sequence): its contents do not match its hash; the entry was changed")
            }
            previous = entry.hash
        }
        self.problems = problems
        self.head = previous
    }
}
