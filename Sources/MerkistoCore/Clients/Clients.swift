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

    /// One page of the clients an actor may read (admins: every client; instructors: their units'; a
    /// client: themselves), filtered and sorted as asked, with where the next page starts and how many
    /// clients the actor has in all (exact, or "about" where counting would read every client).
    public func clientList(_ request: ClientListRequest, as actor: Actor) async throws(CoreError) -> ClientPage {
        try await authorize(actor, .listClients)
        try ClientListRequest.check(limit: request.limit)
        var query = ClientQuery(
            units: request.unit.map { [$0] }, idPrefix: request.search, phase: request.phase, overdueAt: request.overdue ? now : nil,
            order: request.order, after: try request.after.map { cursor throws(CoreError) in try Self.cursor(cursor, request.order) },
            limit: request.limit + 1)
        let user = actor.user
        var counted = query.units
        switch user.role {
        case .admin:
            break
        case .instructor:
            query.units = (query.units ?? user.units).filter(user.units.contains)
            counted = user.units
        case .client:
            // Only themselves: the pseudonym as the prefix, then exactly it.
            guard let own = user.client, query.idPrefix.isEmpty || own.hasPrefix(query.idPrefix) else { return ClientPage(clients: [], next: nil, total: 0, exact: true) }
            query.idPrefix = own
            counted = nil
        }
        let listed = try await stored { [query] () async throws(StoreError) in try await store.clientList(query) }
            .filter { user.role != .client || $0.client.id == user.client }
        let page = listed.prefix(request.limit)
        let next = listed.count > request.limit ? page.last.map { Self.cursorText($0.cursor(request.order)) } : nil
        let total: (count: Int, exact: Bool)
        if user.role == .client {
            total = (user.client == nil ? 0 : 1, true)
        } else {
            total = try await stored { [counted] () async throws(StoreError) in try await store.clientCount(units: counted) }
        }
        let time = now
        return ClientPage(clients: page.map { ClientSummary($0, at: time) }, next: next, total: total.count, exact: total.exact)
    }

    /// Every client (of a unit) as a list shows them, in pseudonym order, as of `time` (the command line's
    /// list, for the operator, who may read every client).
    public func clientSummaries(unit: String? = nil, at time: Timestamp? = nil) async throws(CoreError) -> [ClientSummary] {
        let time = time ?? now
        return try await allClients(ClientQuery(units: unit.map { [$0] })).map { ClientSummary($0, at: time) }
    }

    /// Every client the query finds (all its pages), for work over many clients at once.
    func allClients(_ query: ClientQuery) async throws(CoreError) -> [ClientListing] {
        var query = query
        query.limit = 1_000
        var all: [ClientListing] = []
        while true {
            let page = try await stored { [query] () async throws(StoreError) in try await store.clientList(query) }
            all += page
            guard page.count == query.limit, let last = page.last else { return all }
            query.after = last.cursor(query.order)
        }
    }

    /// A cursor as a list's links carry it: the pseudonym, and in decision-end order the sort key first.
    static func cursorText(_ cursor: ClientCursor) -> String {
        cursor.due.map { "\($0)~\(cursor.id)" } ?? cursor.id
    }

    static func cursor(_ text: String, _ order: ClientQuery.Order) throws(CoreError) -> ClientCursor {
        let invalid = CoreError(.invalid, key: "list.cursor")
        switch order {
        case .id:
            guard !text.isEmpty, !text.contains("~") else { throw invalid }
            return ClientCursor(id: text)
        case .decisionEnd:
            let parts = text.split(separator: "~", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let due = Int64(parts[0]), !parts[1].isEmpty else { throw invalid }
            return ClientCursor(id: String(parts[1]), due: due)
        }
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

/// What a client list asks for: the filters and order (each answered by an index) and the page.
public struct ClientListRequest: Sendable, Hashable {
    public static let defaultLimit = 50
    public static let maximumLimit = 200

    /// Refuses a page size outside 1…``maximumLimit`` (every list a page at a time has the same bounds).
    static func check(limit: Int) throws(CoreError) {
        guard (1...maximumLimit).contains(limit) else { throw CoreError(.invalid, key: "list.limit", ["maximum": String(maximumLimit)]) }
    }

    /// Only this unit's clients.
    public var unit: String?
    /// Pseudonyms that start with this (lower case).
    public var search: String
    /// Only clients whose open period is in this phase.
    public var phase: String?
    /// Only clients whose open period is past its decision's end.
    public var overdue: Bool
    public var order: ClientQuery.Order
    /// The `next` of the page before (nil: the first page).
    public var after: String?
    public var limit: Int

    public init(
        unit: String? = nil, search: String = "", phase: String? = nil, overdue: Bool = false, order: ClientQuery.Order = .id, after: String? = nil,
        limit: Int = ClientListRequest.defaultLimit
    ) {
        self.unit = unit
        self.search = search.trimmingCharacters(in: .whitespaces).lowercased()
        self.phase = phase
        self.overdue = overdue
        self.order = order
        self.after = after
        self.limit = limit
    }
}

/// One page of a client list.
public struct ClientPage: Sendable, Hashable {
    public var clients: [ClientSummary]
    /// Where the next page starts (`after`), nil on the last page.
    public var next: String?
    /// How many clients the asker has in all (before the search and the filters), and whether exactly.
    public var total: Int
    public var exact: Bool
}

