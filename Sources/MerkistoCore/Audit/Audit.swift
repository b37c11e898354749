import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
public import Storage

/// The audit log, for administrators.
extension BadgeService {
    /// Audit entries after a sequence number (at most `limit`), and whether the whole chain is intact (admins).
    public func auditLog(after sequence: Int64 = 0, limit: Int = 100, as actor: Actor) async throws(CoreError) -> (entries: [AuditEntry], intact: Bool) {
        try await authorize(actor, .administer)
        let all = try await ledger.auditLog()
        let intact = AuditVerification(checking: all).isIntact
        return (Array(all.lazy.filter { $0.sequence > sequence }.prefix(max(0, limit))), intact)
    }
}
