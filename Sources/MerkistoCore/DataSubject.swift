public import Storage

/// Everything Merkisto keeps about a client, for an administrator answering a data-subject request: the
/// record in the client-record format and every credential issued, exactly as issued.
public struct ClientExport: Sendable {
    /// The client-record document (`merkisto client export` writes the same bytes).
    public var record: [UInt8]
    public var credentials: [IssuedCredential]
    /// The ids of the credentials that are revoked.
    public var revoked: Set<String>
}

extension BadgeService {
    /// The client's whole record with their credentials (administrators). An erased client has none left.
    public func exportClient(_ id: String, as actor: Actor) throws(CoreError) -> ClientExport {
        try authorize(actor, .administer)
        let file = try clientFile(id)
        guard file.client.erasedAt == nil else { throw CoreError(.conflict, key: "client.erasedExport", ["client": id]) }
        return ClientExport(record: ClientRecordFormat.write(file), credentials: file.credentials, revoked: Set(file.revocations.map(\.credentialID)))
    }

    /// Erases a client (administrators), once `confirm` repeats the client's id — a typed confirmation,
    /// since nothing brings the data back. What erasure removes: ``eraseClient(_:by:)``. Audited.
    public func eraseClient(_ id: String, confirm: String, as actor: Actor) throws(CoreError) {
        try authorize(actor, .administer)
        _ = try clientFile(id)
        guard confirm == id else { throw CoreError(.invalid, key: "erase.confirm", ["client": id]) }
        try eraseClient(id, by: actor.auditName)
    }
}
