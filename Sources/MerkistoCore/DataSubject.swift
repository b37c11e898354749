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

/// One file of an import: the client it brought in, or why it was refused (nothing of it was stored).
public struct ImportedFile: Sendable {
    /// The file's name as given (an upload's file name, a path, or the place in a JSON array: `[2]`).
    public var name: String
    public var result: Result<ClientFile, CoreError>
}

extension BadgeService {
    /// Reads client-record files into the store (administrators). Each file goes in whole or not at all:
    /// a refused file (with every problem and its JSON path) leaves nothing behind, and the files around it
    /// still go in. Each imported client is audited.
    public func importRecords(_ files: [(name: String, bytes: [UInt8])], as actor: Actor) throws(CoreError) -> [ImportedFile] {
        try authorize(actor, .administer)
        return files.map { file in
            ImportedFile(name: file.name, result: Result { () throws(CoreError) in try importRecord(file.bytes, by: actor.auditName) })
        }
    }
}
