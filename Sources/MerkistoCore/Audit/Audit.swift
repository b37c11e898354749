import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
public import Storage

/// The audit log, for administrators.
extension BadgeService {
    /// At most `limit` audit entries after a sequence number, and whether they hold: each matches its hash,
    /// names the hash of the one before, and the first is linked to the entry before the page (admins).
    /// Read through the key, so a page costs the same in a log of any length; `merkisto audit verify`
    /// checks the whole chain.
    public func auditLog(after sequence: Int64 = 0, limit: Int = 100, as actor: Actor) async throws(CoreError) -> AuditPage {
        try await authorize(actor, .administer)
        let after = max(0, sequence)
        let read = try await stored { () async throws(StoreError) in try await store.auditEntries(from: max(1, after), limit: max(0, limit) + 1) }
        // The entry the page follows, read with it (absent when the log was changed there: then it does not hold).
        var before: AuditEntry?
        var entries = read[...]
        if after > 0 {
            before = read.first
            if read.first?.sequence == after { entries = read.dropFirst() }
        }
        let page = Array(entries.prefix(max(0, limit)))
        let last = try await stored { () async throws(StoreError) in try await store.lastAuditSequence() }
        // Past the end there is nothing to check.
        let linked = after == 0 || before?.sequence == after || (read.isEmpty && after > last)
        let intact = linked && AuditVerification(checking: page, after: before).isIntact
        return AuditPage(entries: page, intact: intact, last: last)
    }
}

/// A page of the audit log.
public struct AuditPage: Sendable {
    public var entries: [AuditEntry]
    /// The entries hold and follow on from the one before the page.
    public var intact: Bool
    /// The last entry's sequence number: where the newest entries are.
    public var last: Int64
}
