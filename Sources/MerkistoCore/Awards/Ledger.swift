public import Basics
public import Storage

/// The use cases that need only the store, not the definitions or keys: looking up and revoking issued
/// credentials, and the audit log. ``BadgeService`` offers the same through its ``BadgeService/ledger``.
public struct Ledger: Sendable {
    public let store: any Store
    private let clock: @Sendable () -> Timestamp

    public init(store: any Store, clock: @escaping @Sendable () -> Timestamp = { Timestamp.now }) {
        self.store = store
        self.clock = clock
    }

    public func credential(id: String) async throws(CoreError) -> IssuedCredential {
        guard let credential = try await stored({ () async throws(StoreError) in try await store.credential(id: id) }) else {
            throw CoreError(.notFound, key: "credential.notFound", ["credential": id])
        }
        return credential
    }

    /// Revokes an issued credential; the reason (required) is kept for staff, never published.
    @discardableResult
    package func revoke(credential id: String, reason: String, by actor: String) async throws(CoreError) -> Revocation {
        guard !reason.allSatisfy(\.isWhitespace) else { throw CoreError(.invalid, key: "revocation.reason") }
        return try await stored { () async throws(StoreError) in try await store.revoke(credential: id, reason: reason, by: actor, at: clock()) }
    }

    /// Suspends an OB 3.0 credential until the suspension is lifted: its bit in the suspension list is set.
    @discardableResult
    package func suspend(credential id: String, reason: String, by actor: String) async throws(CoreError) -> Suspension {
        guard !reason.allSatisfy(\.isWhitespace) else { throw CoreError(.invalid, key: "revocation.reason") }
        return try await stored { () async throws(StoreError) in try await store.suspend(credential: id, reason: reason, by: actor, at: clock()) }
    }

    /// Lifts a credential's suspension: it is valid again (unless it has expired meanwhile).
    package func liftSuspension(credential id: String, by actor: String) async throws(CoreError) {
        try await stored { () async throws(StoreError) in try await store.liftSuspension(credential: id, by: actor, at: clock()) }
    }

    public func auditLog() async throws(CoreError) -> [AuditEntry] {
        try await stored { () async throws(StoreError) in try await store.auditLog() }
    }

    /// Checks the audit log's hash chain.
    public func verifyAudit() async throws(CoreError) -> AuditVerification {
        AuditVerification(checking: try await auditLog())
    }
}

/// Runs a store call, turning its error into the core's.
@discardableResult
func stored<T>(_ body: () async throws(StoreError) -> T) async throws(CoreError) -> T {
    do {
        return try await body()
    } catch {
        let code: CoreError.Code =
            switch error.code {
            case .duplicate: .duplicate
            case .notFound: .notFound
            case .conflict: .conflict
            case .busy: .unavailable
            default: .failure
            }
        if error.code == .busy { throw CoreError(.unavailable, key: "store.busy", problems: ["retry-after: 1"]) }
        guard let key = error.key else { throw CoreError(code, error.message) }
        throw CoreError(code, key: key, error.arguments)
    }
}
