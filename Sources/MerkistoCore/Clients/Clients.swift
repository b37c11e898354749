public import Basics
import Credentials
import Definitions
public import Evaluation
import Foundation
import Crypto
public import Storage

/// Clients: registering under a pseudonym, reading their records, importing, exporting and erasing.
extension BadgeService {
    /// Everything stored about a client the actor may read.
    public func clientFile(_ id: String, as actor: Actor) async throws(CoreError) -> ClientFile {
        try await authorize(actor, .readClient(id))
        return try await clientFile(id)
    }

    /// Registers a client in a unit (an instructor: one of their own units).
    /// Registers a client in a unit the actor works in, under `id`, or (nil) under a pseudonym Merkisto
    /// makes: `asiakas-` and four random letters and digits. A made pseudonym never collides with one in
    /// another unit, so no one learns from a refusal that it exists (docs/decisions/0008); a chosen id that is
    /// taken is refused as taken, since ids are unique.
    public func registerClient(
        id: String?, unit: String?, displayName: String? = nil, contact: String? = nil, language: Language?, as actor: Actor
    ) async throws(CoreError) -> ClientFile {
        try await authorize(actor, .registerClient(unit: unit))
        guard let id else {
            for _ in 0..<20 {
                let made = Self.pseudonym()
                do {
                    try await registerClient(id: made, unit: unit, displayName: displayName, contact: contact, language: language, by: actor.auditName)
                    return try await clientFile(made)
                } catch where error.code == .duplicate {
                    continue
                }
            }
            throw CoreError(.conflict, key: "client.noPseudonym")
        }
        try await registerClient(id: id, unit: unit, displayName: displayName, contact: contact, language: language, by: actor.auditName)
        return try await clientFile(id)
    }

    /// `asiakas-` and four characters from letters and digits that are not mistaken for one another.
    static func pseudonym() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return "asiakas-" + String((0..<4).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// Everything stored about a client the actor may read and their explained evaluation as of now (nil
    /// for an erased client), from one reading of the store: what a client page shows.
    public func clientOverview(_ id: String, as actor: Actor) async throws(CoreError) -> (file: ClientFile, evaluation: EvaluationResult?) {
        let file = try await stored { () async throws(StoreError) in try await store.clientFile(id) }
        try await authorize(actor, .readClient(id), file: file)
        guard let file else { throw CoreError(.notFound, key: "client.notFound", ["client": id]) }
        guard file.client.erasedAt == nil else { return (file, nil) }
        return (file, Evaluator(compiled).evaluate(try record(of: file), at: now))
    }

    /// Registers a client under a pseudonymous id.
    package func registerClient(
        id: String, unit: String? = nil, displayName: String? = nil, contact: String? = nil, language: Language? = nil, by actor: String
    ) async throws(CoreError) {
        try checkPseudonym(id)
        let client = StoredClient(id: id, unit: unit, displayName: displayName, contact: contact, language: language, registeredAt: now)
        try await stored { () async throws(StoreError) in try await store.addClient(client, by: actor, at: client.registeredAt) }
    }

    /// Everything stored about a client; erased clients are found (with nothing left but the id).
    public func clientFile(_ id: String) async throws(CoreError) -> ClientFile {
        guard let file = try await stored({ () async throws(StoreError) in try await store.clientFile(id) }) else {
            throw CoreError(.notFound, key: "client.notFound", ["client": id])
        }
        return file
    }

    /// One line per client for lists: unit, pathway phase, decision end and whether it has passed.
    public func clientSummaries(at time: Timestamp? = nil) async throws(CoreError) -> [ClientSummary] {
        let time = time ?? now
        return try await stored { () async throws(StoreError) in
            try await store.forEachClientFileBatch(workers: 1) { files in files.map { ClientSummary($0, at: time) } }
        }.flatMap { $0 }
    }

    /// Reads client-record files into the store, each in one transaction; a file with any error is
    /// refused whole, and the others still go in.
    package func importRecord(_ data: [UInt8], unit: String? = nil, by actor: String) async throws(CoreError) -> ClientFile {
        var file = try ClientRecordFormat.read(Data(data), compiled: compiled, registeredAt: now)
        if let unit { file.client.unit = unit }
        try await stored { () async throws(StoreError) in try await store.importClient(file, by: actor, at: now) }
        return file
    }

    /// The client's record in the client-record format.
    public func exportRecord(_ id: String) async throws(CoreError) -> [UInt8] {
        let file = try await clientFile(id)
        guard file.client.erasedAt == nil else { throw CoreError(.conflict, key: "client.erasedExport", ["client": id]) }
        return ClientRecordFormat.write(file)
    }

    /// Erases the client's personal data, the reasons their credentials were revoked or suspended and the audit
    /// details that describe them (docs/decisions/0007); the credentials, their revocations and status bits
    /// stay (verifiers need them).
    package func eraseClient(_ id: String, by actor: String) async throws(CoreError) {
        try await stored { () async throws(StoreError) in try await store.eraseClient(id, by: actor, at: now) }
    }

    func checkID(_ id: String, _ key: String) throws(CoreError) {
        guard !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) else {
            throw CoreError(.invalid, key: key, ["id": id])
        }
    }

    func checkPseudonym(_ id: String) throws(CoreError) {
        try checkID(id, "id.client")
    }
}
