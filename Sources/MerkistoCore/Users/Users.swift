import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
public import Storage

/// Work-activity units and the people who sign in.
extension BadgeService {
    /// The users (admins).
    public func users(as actor: Actor) async throws(CoreError) -> [User] {
        try await authorize(actor, .administer)
        return try await users()
    }

    /// One page of the users of a kind (admins), in id order, and where the next page starts.
    public func userPage(_ kind: UserKind = .all, after: String? = nil, limit: Int = 50, as actor: Actor) async throws(CoreError) -> (users: [User], next: String?) {
        try await authorize(actor, .administer)
        try ClientListRequest.check(limit: limit)
        let read = try await stored { () async throws(StoreError) in try await store.userList(kind, after: after, limit: limit + 1) }
        let page = Array(read.prefix(limit))
        return (page, read.count > limit ? page.last?.id : nil)
    }

    /// Adds a work-activity unit (admins).
    public func addUnit(id: String, name: String, as actor: Actor) async throws(CoreError) -> ActivityUnit {
        try await authorize(actor, .administer)
        try await addUnit(id: id, name: name, by: actor.auditName)
        return ActivityUnit(id: id, name: name)
    }

    /// Adds a user (admins).
    public func addUser(
        id: String, role: User.Role, displayName: String?, client: String?, units: [String], as actor: Actor
    ) async throws(CoreError) -> User {
        try await authorize(actor, .administer)
        try await addUser(id: id, role: role, displayName: displayName, client: client, units: units, by: actor.auditName)
        guard let user = try await users().first(where: { $0.id == id }) else { throw CoreError(.failure, "user \(id) was not stored") }
        return user
    }

    package func addUnit(id: String, name: String, by actor: String) async throws(CoreError) {
        try checkID(id, "id.unit")
        try await stored { () async throws(StoreError) in try await store.addUnit(ActivityUnit(id: id, name: name), by: actor, at: now) }
    }

    package func addUser(id: String, role: User.Role, displayName: String? = nil, client: String? = nil, units: [String] = [], by actor: String) async throws(CoreError) {
        try checkID(id, "id.user")
        if role == .client, client == nil { throw CoreError(.invalid, key: "user.clientNeeded") }
        if role != .client, client != nil { throw CoreError(.invalid, key: "user.clientOnly") }
        if role != .instructor, !units.isEmpty { throw CoreError(.invalid, key: "user.unitsOnly") }
        let time = now
        try await stored { () async throws(StoreError) in
            try await store.addUser(
                User(id: id, role: role, displayName: displayName, client: client, createdAt: time, units: units), by: actor, at: time)
        }
    }

    public func units() async throws(CoreError) -> [ActivityUnit] {
        try await stored { () async throws(StoreError) in try await store.units() }
    }

    public func users() async throws(CoreError) -> [User] {
        try await stored { () async throws(StoreError) in try await store.users() }
    }

    /// Whether an administrator exists.
    public func hasAdmin() async throws(CoreError) -> Bool {
        try await staff().contains { $0.role == .admin }
    }

    /// Every admin and instructor (admins), read through the index of users without a client: staff are few
    /// however many clients there are.
    public func staff(as actor: Actor) async throws(CoreError) -> [User] {
        try await authorize(actor, .administer)
        return try await staff()
    }

    private func staff() async throws(CoreError) -> [User] {
        var all: [User] = []
        while true {
            let page = try await stored { [after = all.last?.id] () async throws(StoreError) in try await store.userList(.staff, after: after, limit: 500) }
            all += page
            guard page.count == 500 else { return all }
        }
    }
}
