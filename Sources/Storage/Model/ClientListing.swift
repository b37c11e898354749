public import Basics

/// A client as a list shows them: read a page at a time, so that a list costs the same with a hundred
/// clients or a million.
public struct ClientListing: Sendable, Hashable {
    public var client: StoredClient
    /// The open pathway period's current phase (nil without an open period).
    public var phase: String?
    /// The open period's decision end (nil without an open period or without a decision end).
    public var decisionEnd: Timestamp?
    public var assessments: Int
    public var credentials: Int

    public init(client: StoredClient, phase: String?, decisionEnd: Timestamp?, assessments: Int, credentials: Int) {
        self.client = client
        self.phase = phase
        self.decisionEnd = decisionEnd
        self.assessments = assessments
        self.credentials = credentials
    }

    public init(_ file: ClientFile) {
        let open = file.openPeriod
        self.init(
            client: file.client, phase: open?.currentPhase, decisionEnd: open?.decisionEnd, assessments: file.assessments.count,
            credentials: file.credentials.count)
    }

    /// The open period is past its decision's end at `time`.
    public func isOverdue(at time: Timestamp) -> Bool { decisionEnd.map { $0 < time } ?? false }

    /// Where the listing sorts in `order`: the cursor a page after it starts from.
    public func cursor(_ order: ClientQuery.Order) -> ClientCursor {
        switch order {
        case .id: ClientCursor(id: client.id)
        case .decisionEnd: ClientCursor(id: client.id, due: ClientListing.dueKey(decisionEnd))
        }
    }

    /// The sort key of a decision end: its instant, or (none) after every instant.
    public static func dueKey(_ decisionEnd: Timestamp?) -> Int64 { decisionEnd?.microseconds ?? Int64.max }
}

/// Which clients a list shows, in which order, and from where: every filter and order is answered by an
/// index in the databases, a page at a time (keyset paging: the page after a cursor, never an offset).
public struct ClientQuery: Sendable, Hashable {
    public enum Order: String, Sendable, Hashable, CaseIterable {
        /// By pseudonym.
        case id
        /// The open period's decision end, soonest first; clients without one after them, by pseudonym.
        case decisionEnd
    }

    /// Only clients of these units (nil: every client, with or without a unit).
    public var units: [String]?
    /// Only pseudonyms that start with this ("" for every one).
    public var idPrefix: String
    /// Only clients whose open period is in this phase.
    public var phase: String?
    /// Only clients whose open period's decision ended before this instant.
    public var overdueAt: Timestamp?
    public var order: Order
    /// The page after this place in `order` (nil: the first page).
    public var after: ClientCursor?
    public var limit: Int

    public init(
        units: [String]? = nil, idPrefix: String = "", phase: String? = nil, overdueAt: Timestamp? = nil, order: Order = .id,
        after: ClientCursor? = nil, limit: Int = 50
    ) {
        self.units = units
        self.idPrefix = idPrefix
        self.phase = phase
        self.overdueAt = overdueAt
        self.order = order
        self.after = after
        self.limit = limit
    }

    /// Whether a listing belongs on the list (the cursor aside): the rule each database's query follows,
    /// kept here for the store that holds everything in memory and for the tests.
    public func includes(_ listing: ClientListing) -> Bool {
        if let units, !(listing.client.unit.map(units.contains) ?? false) { return false }
        if !idPrefix.isEmpty, !listing.client.id.hasPrefix(idPrefix) { return false }
        if let phase, listing.phase != phase { return false }
        if let overdueAt, !listing.isOverdue(at: overdueAt) { return false }
        return true
    }

    /// Whether `listing` sorts after the cursor.
    public func isAfterCursor(_ listing: ClientListing) -> Bool {
        guard let after else { return true }
        return after.precedes(listing.cursor(order))
    }

    /// Sorts in the list's order.
    public func sorts(_ first: ClientListing, before second: ClientListing) -> Bool {
        first.cursor(order).precedes(second.cursor(order))
    }

    /// Every string that starts with `idPrefix` sorts before this (byte order): the end of the prefix's
    /// range in an index. U+10FFFF is written F4 8F BF BF, after every byte of an ASCII pseudonym.
    public var idPrefixEnd: String { idPrefix + "\u{10FFFF}" }
}

/// A place in a client list's order: the pseudonym, and for the decision-end order the sort key before it.
public struct ClientCursor: Sendable, Hashable {
    public var id: String
    /// ``ClientListing/dueKey(_:)`` of the listing (decision-end order only).
    public var due: Int64?

    public init(id: String, due: Int64? = nil) {
        self.id = id
        self.due = due
    }

    func precedes(_ other: ClientCursor) -> Bool {
        if let due, let otherDue = other.due, due != otherDue { return due < otherDue }
        return Array(id.utf8).lexicographicallyPrecedes(Array(other.id.utf8))
    }
}
