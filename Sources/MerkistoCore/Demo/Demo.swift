public import Basics
import Credentials
import Foundation
import Storage

/// What `seedDemo` made.
public struct DemoSeed: Sendable {
    public var unit: String
    /// The demo users by role.
    public var admin: String
    public var instructor: String
    public var clientUser: String
    /// The client record the client user sees.
    public var client: String?
    public var clients: [String]
    public var credentials: [IssuedCredential]
    /// Each demo user's password, made for this demo alone.
    public var passwords: [String: String]
    /// A one-time sign-in code for the client user.
    public var clientCode: OneTimeCode?
}

extension BadgeService {
    /// Fills an empty store with a working example: signing keys (ES256 for OB 3.0, RS256 for OB 2.0), a
    /// work-activity unit, the example client records (each with a pathway period that starts at their
    /// first assessment), an admin, an instructor for the unit and a client user, and the badges the
    /// clients have earned, issued — as OB 3.0 VC-JWTs, and one as a hosted and one as a signed OB 2.0
    /// assertion.
    ///
    /// - Parameter examples: client-record files (the JSON of `examples/clients/`), by file name.
    public func seedDemo(examples: [(name: String, bytes: [UInt8])], by actor: String) async throws -> DemoSeed {
        guard try await stored({ () async throws(StoreError) in try await store.clientIDs() }).isEmpty else {
            throw CoreError(.conflict, key: "demo.notEmpty")
        }
        let time = now
        let existing = try keys.list()
        // The Ed25519 key first: made any later, the folder would get one of its own for the status lists.
        if !existing.contains(where: { $0.algorithm == .edDSA && $0.isActive }) { _ = try keys.generate(.edDSA, kid: "demo-ed25519", now: time) }
        if !existing.contains(where: { $0.algorithm == .es256 && $0.isActive }) { _ = try keys.generate(.es256, kid: "demo-es256", now: time) }
        if !existing.contains(where: { $0.algorithm == .rs256 && $0.isActive }) { _ = try keys.generate(.rs256, kid: "demo-rs256", now: time) }

        let unit = "demo-paja"
        try await addUnit(id: unit, name: "Demo work activity", by: actor)
        var clients: [String] = []
        for example in examples.sorted(by: { $0.name < $1.name }) {
            let file = try await importRecord(example.bytes, unit: unit, by: actor)
            let id = file.client.id
            clients.append(id)
            let first = file.assessments.map(\.assessedAt).min() ?? time
            let day: Int64 = 86_400 * 1_000_000
            let start = Timestamp(microseconds: first.microseconds - day, offsetSeconds: first.offsetSeconds)
            let end = Timestamp(microseconds: start.microseconds + 183 * day, offsetSeconds: first.offsetSeconds)
            _ = try await startPathway(client: id, decisionStart: start, decisionEnd: end, at: start, by: actor)
        }
        try await addUser(id: "demo-admin", role: .admin, displayName: "Demo admin", by: actor)
        try await addUser(id: "demo-ohjaaja", role: .instructor, displayName: "Demo instructor", units: [unit], by: actor)
        var credentials: [IssuedCredential] = []
        let bulk = try await issueAllEarned(clients: clients, by: actor)
        if let failure = bulk.failure { throw CoreError(.failure, key: "demo.issueFailed", ["reason": failure]) }
        for issued in bulk.issued {
            credentials.append(try await ledger.credential(id: issued.id))
        }
        // One hosted and one signed OB 2.0 assertion, so that every kind of public URL has something to show.
        if let sample = bulk.issued.first {
            credentials.append(try await issue(client: sample.client, badge: sample.badge, format: .ob2Hosted, by: actor))
            credentials.append(try await issue(client: sample.client, badge: sample.badge, format: .ob2Signed, by: actor))
        }
        // The client user sees a record with badges to show.
        let shown = bulk.issued.first?.client ?? clients.first
        if let shown { try await addUser(id: "demo-asiakas", role: .client, client: shown, by: actor) }
        var passwords: [String: String] = [:]
        for user in ["demo-admin", "demo-ohjaaja"] + (shown == nil ? [] : ["demo-asiakas"]) {
            let password = "demo-" + Self.randomHex(6)
            try await setPassword(user: user, password: password, by: actor)
            passwords[user] = password
        }
        let clientCode = await shown == nil ? nil : try createSignInCode(for: "demo-asiakas", by: "demo-ohjaaja")
        return DemoSeed(
            unit: unit, admin: "demo-admin", instructor: "demo-ohjaaja", clientUser: shown == nil ? "" : "demo-asiakas", client: shown,
            clients: clients, credentials: credentials, passwords: passwords, clientCode: clientCode)
    }
}
