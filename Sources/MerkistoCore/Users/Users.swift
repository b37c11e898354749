import Basics
import Credentials
import Definitions
import Evaluation
import Foundation
public import Storage

/// Work-activity units and the people who sign in.
extension BadgeService {
    /// The users (admins).
    public func users(as actor: Actor) throws(CoreError) -> [User] {
        try authorize(actor, .administer)
        return try users()
    }

    /// Adds a work-activity unit (admins).
    public func addUnit(id: String, name: String, as actor: Actor) throws(CoreError) -> ActivityUnit {
        try authorize(actor, .administer)
        try addUnit(id: id, name: name, by: actor.auditName)
        return ActivityUnit(id: id, name: name)
    }

    /// Adds a user (admins).
    public func addUser(
        id: String, role: User.Role, displayName: String?, client: String?, units: [String], as actor: Actor
    ) throws(CoreError) -> User {
        try authorize(actor, .administer)
        try addUser(id: id, role: role, displayName: displayName, client: client, units: units, by: actor.auditName)
        guard let user = try users().first(where: { $0.id == id }) else { throw CoreError(.failure, "user \(id) was not stored") }
        return user
    }

    package func addUnit(id: String, name: String, by actor: String) throws(CoreError) {
        try checkID(id, "id.unit")
        try stored { () throws(StoreError) in try store.addUnit(ActivityUnit(id: id, name: name), by: actor, at: now) }
    }

    package func addUser(id: String, role: User.Role, displayName: String? = nil, client: String? = nil, units: [String] = [], by actor: String) throws(CoreError) {
        try checkID(id, "id.user")
        if role == .client, client == nil { throw CoreError(.invalid, key: "user.clientNeeded") }
        if role != .client, client != nil { throw CoreError(.invalid, key: "user.clientOnly") }
        if role != .instructor, !units.isEmpty { throw CoreError(.invalid, key: "user.unitsOnly") }
        let time = now
        try stored { () throws(StoreError) in
            try store.addUser(
                User(id: id, role: role, displayName: displayName, client: client, createdAt: time, units: units), by: actor, at: time)
        }
    }

    public func units() throws(CoreError) -> [ActivityUnit] {
        try stored { () throws(StoreError) in try store.units() }
    }

    public func users() throws(CoreError) -> [User] {
        try stored { () throws(StoreError) in try store.users() }
    }
}
