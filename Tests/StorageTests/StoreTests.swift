import Basics
import Credentials
import Definitions
import Foundation
import GRDB
import PostgresNIO
import Testing

@testable import Storage

/// The same behaviour from every store: the SQLite store on disk, the in-memory one and, when
/// `MERKISTO_TEST_POSTGRES` names a PostgreSQL server (`postgres://USER@HOST:PORT/DB`), a database of
/// their own on it for each test (`.ci/run` starts one).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case memory
    case postgres

    /// The PostgreSQL server the tests may use, if any.
    static let postgresServer = ProcessInfo.processInfo.environment["MERKISTO_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    static var allCases: [StoreKind] { [.sqlite, .memory] + (postgresServer == nil ? [] : [.postgres]) }

    var testDescription: String { rawValue }

    func make() async throws -> (store: any Store, cleanup: @Sendable () -> Void) {
        switch self {
        case .memory: return (MemoryStore(), {})
        case .postgres:
            let url = try await PostgresStore.makeScratchDatabase(server: try #require(Self.postgresServer))
            let store = try await PostgresStore.open(url: url)
            return (store, { Task { await store.close(); try? await PostgresStore.dropScratchDatabase(url) } })
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-store-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return (try SQLiteStore(path: directory + "/merkisto.sqlite"), { try? FileManager.default.removeItem(atPath: directory) })
        }
    }
}

let t0 = try! Timestamp.parse("2026-03-02T10:00:00+02:00").get()

func credential(_ id: String, client: String = "asiakas-1") -> IssuedCredential {
    IssuedCredential(
        id: id, badge: "b-" + id, client: client, recipient: "sha256$00", format: .ob3JWT, keyID: "k", issuedAt: t0, validUntil: nil,
        definitionsDigest: "d", language: .sv, bytes: Array("header.payload.signature".utf8))
}

@Suite("Store")
struct StoreTests {
    @Test("credentials: exact bytes, duplicates refused, revoked once, everything audited", arguments: StoreKind.allCases)
    func credentials(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.recordCredential(credential("urn:uuid:1"), by: "test", at: t0)
        await #expect(throws: StoreError.self) { try await store.recordCredential(credential("urn:uuid:1"), by: "test", at: t0) }
        // A group commit is all or none: the duplicate in it keeps the new one out too.
        await #expect(throws: StoreError.self) { try await store.recordCredentials([credential("urn:uuid:2"), credential("urn:uuid:1")], by: "test", at: t0) }
        #expect(try await store.credential(id: "urn:uuid:2") == nil)
        _ = try await store.revoke(credential: "urn:uuid:1", reason: "mistake", by: "test", at: t0)
        await #expect(throws: StoreError.self) { _ = try await store.revoke(credential: "urn:uuid:1", reason: "again", by: "test", at: t0) }
        await #expect(throws: StoreError.self) { _ = try await store.revoke(credential: "urn:uuid:404", reason: "x", by: "test", at: t0) }
        #expect(try await store.credential(id: "urn:uuid:1") == credential("urn:uuid:1"))
        #expect(try await store.revocations() == [Revocation(credentialID: "urn:uuid:1", reason: "mistake", revokedAt: t0, by: "test")])
        #expect(try await store.revocationCount() == 1)
        #expect(try await store.revocation(of: "urn:uuid:1")?.reason == "mistake")
        #expect(try await store.revocation(of: "urn:uuid:2") == nil)
        #expect(try await store.auditLog().map(\.action) == ["credential.issue", "credential.revoke"])
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test("a session is read with its user and their units in one go; an unknown or ended session gives nothing", arguments: StoreKind.allCases)
    func sessionWithUser(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.addUnit(ActivityUnit(id: "ompelu", name: "Ompelu"), by: "admin", at: t0)
        try await store.addUnit(ActivityUnit(id: "puutyo", name: "Puutyö"), by: "admin", at: t0)
        let user = User(id: "ohjaaja-1", role: .instructor, displayName: "Maija", createdAt: t0, units: ["puutyo", "ompelu"])
        try await store.addUser(user, by: "admin", at: t0)
        let session = StoredSession(id: "s1", user: "ohjaaja-1", csrf: "c1", createdAt: t0, expiresAt: t0)
        try await store.addSession(session, at: t0)
        let found = try #require(try await store.sessionUser(id: "s1"))
        #expect(found.session == session)
        #expect(found.user == (try await store.user(id: "ohjaaja-1")) && found.user.units == ["ompelu", "puutyo"])
        #expect(try await store.sessionUser(id: "s2") == nil)
        try await store.removeSession(id: "s1", at: t0)
        #expect(try await store.sessionUser(id: "s1") == nil)
    }

    @Test("share links: one per credential of its own client, found by token, removed when off and when the client is erased", arguments: StoreKind.allCases)
    func shareLinks(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.addClient(StoredClient(id: "asiakas-1", registeredAt: t0), by: "test", at: t0)
        try await store.recordCredentials([credential("urn:uuid:1"), credential("urn:uuid:2")], by: "test", at: t0)
        let share = CredentialShare(token: String(repeating: "a", count: 32), credential: "urn:uuid:1", client: "asiakas-1", createdAt: t0)
        // Another client's credential, and one that does not exist, cannot be shared.
        await #expect(throws: StoreError.self) { try await store.addShare(CredentialShare(token: "b", credential: "urn:uuid:1", client: "asiakas-2", createdAt: t0), by: "test", at: t0) }
        await #expect(throws: StoreError.self) { try await store.addShare(CredentialShare(token: "c", credential: "urn:uuid:404", client: "asiakas-1", createdAt: t0), by: "test", at: t0) }
        try await store.addShare(share, by: "test", at: t0)
        await #expect(throws: StoreError.self) { try await store.addShare(CredentialShare(token: "d", credential: "urn:uuid:1", client: "asiakas-1", createdAt: t0), by: "test", at: t0) }
        await #expect(throws: StoreError.self) { try await store.addShare(CredentialShare(token: share.token, credential: "urn:uuid:2", client: "asiakas-1", createdAt: t0), by: "test", at: t0) }
        #expect(try await store.share(token: share.token) == share)
        #expect(try await store.shares(client: "asiakas-1") == [share])
        try await store.removeShare(credential: "urn:uuid:1", by: "test", at: t0)
        #expect(try await store.share(token: share.token) == nil)
        await #expect(throws: StoreError.self) { try await store.removeShare(credential: "urn:uuid:1", by: "test", at: t0) }
        try await store.addShare(share, by: "test", at: t0)
        try await store.eraseClient("asiakas-1", by: "test", at: t0)
        #expect(try await store.shares(client: "asiakas-1").isEmpty)
        #expect(try await store.auditLog().map(\.action).filter { $0.hasPrefix("share.") } == ["share.on", "share.off", "share.on"])
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test("wallet exchanges: kept for a living client, completed once and only before they expire, removed when the client is erased", arguments: StoreKind.allCases)
    func walletExchanges(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.addClient(StoredClient(id: "asiakas-1", registeredAt: t0), by: "test", at: t0)
        let later = Timestamp(microseconds: t0.microseconds + 15 * 60 * 1_000_000)
        let exchange = WalletExchange(id: String(repeating: "e", count: 64), client: "asiakas-1", badge: "b", challenge: "c-1", createdAt: t0, expiresAt: later)
        await #expect(throws: StoreError.self) {
            try await store.addExchange(WalletExchange(id: "x", client: "asiakas-404", badge: "b", challenge: "c", createdAt: t0, expiresAt: later), by: "test", at: t0)
        }
        try await store.addExchange(exchange, by: "asiakas-1-kayttaja", at: t0)
        #expect(try await store.exchange(id: exchange.id) == exchange)
        #expect(try await store.exchange(id: "unknown") == nil)
        // Expired: not completed. In time: completed once, never again.
        #expect(try await store.completeExchange(id: exchange.id, at: later) == false)
        #expect(try await store.completeExchange(id: exchange.id, at: t0) == true)
        #expect(try await store.completeExchange(id: exchange.id, at: t0) == false)
        #expect(try await store.exchange(id: exchange.id)?.completedAt == t0)
        #expect(try await store.completeExchange(id: "unknown", at: t0) == false)
        let second = WalletExchange(id: String(repeating: "f", count: 64), client: "asiakas-1", badge: "b", challenge: "c-2", createdAt: t0, expiresAt: later)
        try await store.addExchange(second, by: "test", at: t0)
        // Opening one removes those expired by then.
        let third = WalletExchange(id: String(repeating: "9", count: 64), client: "asiakas-1", badge: "b", challenge: "c-3", createdAt: later,
            expiresAt: Timestamp(microseconds: later.microseconds * 2))
        try await store.addExchange(third, by: "test", at: later)
        #expect(try await store.exchange(id: exchange.id) == nil)
        #expect(try await store.exchange(id: second.id) == nil)
        #expect(try await store.exchange(id: third.id) == third)
        try await store.eraseClient("asiakas-1", by: "test", at: t0)
        #expect(try await store.exchange(id: exchange.id) == nil)
        #expect(try await store.exchange(id: second.id) == nil)
        await #expect(throws: StoreError.self) { try await store.addExchange(second, by: "test", at: t0) }
        #expect(try await store.auditLog().map(\.action).filter { $0.hasPrefix("exchange.") } == ["exchange.open", "exchange.complete", "exchange.open", "exchange.open"])
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test("oauth: a registered service, a client's consent with its code, a code redeemed once, tokens revoked by hash, code and consent, withdrawn, erased", arguments: StoreKind.allCases)
    func oauth(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.addClient(StoredClient(id: "asiakas-1", registeredAt: t0), by: "test", at: t0)
        let later = Timestamp(microseconds: t0.microseconds + 600 * 1_000_000)
        let service = OAuthClient(
            id: "palvelu-1", secretHash: "h", name: "Oppilaitos", uri: "https://school.example/", logoURI: "https://school.example/logo.png",
            termsURI: "https://school.example/tos", policyURI: "https://school.example/privacy", softwareID: "s", softwareVersion: "1",
            redirectURIs: ["https://school.example/cb"], scopes: ["a", "b"], contacts: [], createdAt: t0)
        try await store.addOAuthClient(service, removingUnusedBefore: t0, at: t0)
        await #expect(throws: StoreError.self) { try await store.addOAuthClient(service, removingUnusedBefore: t0, at: t0) }
        #expect(try await store.oauthClient(id: "palvelu-1") == service)
        #expect(try await store.oauthClient(id: "palvelu-2") == nil)
        let grant = OAuthGrant(id: "g1", service: "palvelu-1", client: "asiakas-1", user: "asiakas-1-kayttaja", scopes: ["a"], createdAt: t0)
        let code = OAuthToken(hash: "code-1", kind: .code, grant: "g1", scopes: ["a"], expiresAt: later, redirectURI: "https://school.example/cb", codeChallenge: "c")
        await #expect(throws: StoreError.self) {
            try await store.addOAuthGrant(OAuthGrant(id: "g0", service: "palvelu-9", client: "asiakas-1", user: "u", scopes: [], createdAt: t0), code: code, by: "u", at: t0)
        }
        try await store.addOAuthGrant(grant, code: code, by: "asiakas-1-kayttaja", at: t0)
        #expect(try await store.oauthGrants(client: "asiakas-1") == [grant])
        #expect(try await store.oauthToken(hash: "code-1") == code)
        let access = OAuthToken(hash: "access-1", kind: .access, grant: "g1", scopes: ["a"], expiresAt: later, origin: "code-1")
        let refresh = OAuthToken(hash: "refresh-1", kind: .refresh, grant: "g1", scopes: ["a"], expiresAt: later, origin: "code-1")
        // Of the wrong kind, expired: nothing. Once: the tokens kept. Twice: nothing.
        #expect(try await store.redeemOAuthToken(hash: "code-1", kind: .refresh, issuing: [], at: t0) == false)
        #expect(try await store.redeemOAuthToken(hash: "code-1", kind: .code, issuing: [access], at: later) == false)
        #expect(try await store.oauthToken(hash: "access-1") == nil)
        #expect(try await store.redeemOAuthToken(hash: "code-1", kind: .code, issuing: [access, refresh], at: t0) == true)
        #expect(try await store.redeemOAuthToken(hash: "code-1", kind: .code, issuing: [], at: t0) == false)
        #expect(try await store.oauthToken(hash: "access-1")?.isLive(at: t0) == true)
        try await store.revokeOAuthTokens(hash: "access-1", origin: nil, grant: nil, at: t0)
        #expect(try await store.oauthToken(hash: "access-1")?.revokedAt == t0)
        #expect(try await store.oauthToken(hash: "refresh-1")?.revokedAt == nil)
        try await store.revokeOAuthTokens(hash: nil, origin: "code-1", grant: nil, at: t0)
        #expect(try await store.oauthToken(hash: "refresh-1")?.revokedAt == t0)
        // A withdrawn consent: its tokens revoked, none redeemed any more.
        let second = OAuthToken(hash: "code-2", kind: .code, grant: "g2", scopes: ["b"], expiresAt: later, redirectURI: "https://school.example/cb", codeChallenge: "c")
        try await store.addOAuthGrant(OAuthGrant(id: "g2", service: "palvelu-1", client: "asiakas-1", user: "u", scopes: ["b"], createdAt: t0), code: second, by: "u", at: t0)
        try await store.withdrawOAuthGrant(id: "g2", by: "u", at: t0)
        await #expect(throws: StoreError.self) { try await store.withdrawOAuthGrant(id: "g2", by: "u", at: t0) }
        #expect(try await store.oauthGrant(id: "g2")?.withdrawnAt == t0)
        #expect(try await store.oauthToken(hash: "code-2")?.revokedAt == t0)
        #expect(try await store.redeemOAuthToken(hash: "code-2", kind: .code, issuing: [], at: t0) == false)
        // A refresh token is removed when used; a redemption removes every expired token.
        let hour = Timestamp(microseconds: t0.microseconds + 3600 * 1_000_000)
        let code3 = OAuthToken(hash: "code-3", kind: .code, grant: "g3", scopes: ["a"], expiresAt: later, redirectURI: "https://school.example/cb", codeChallenge: "c")
        try await store.addOAuthGrant(OAuthGrant(id: "g3", service: "palvelu-1", client: "asiakas-1", user: "u", scopes: ["a"], createdAt: t0), code: code3, by: "u", at: t0)
        let shortLived = OAuthToken(hash: "access-3", kind: .access, grant: "g3", scopes: ["a"], expiresAt: Timestamp(microseconds: t0.microseconds + 1), origin: "code-3")
        let refresh3 = OAuthToken(hash: "refresh-3", kind: .refresh, grant: "g3", scopes: ["a"], expiresAt: Timestamp(microseconds: hour.microseconds * 2), origin: "code-3")
        #expect(try await store.redeemOAuthToken(hash: "code-3", kind: .code, issuing: [shortLived, refresh3], at: t0))
        let access4 = OAuthToken(hash: "access-4", kind: .access, grant: "g3", scopes: ["a"], expiresAt: Timestamp(microseconds: hour.microseconds * 2), origin: "code-3")
        #expect(try await store.redeemOAuthToken(hash: "refresh-3", kind: .refresh, issuing: [access4], at: hour))
        #expect(try await store.oauthToken(hash: "refresh-3") == nil)
        #expect(try await store.oauthToken(hash: "access-3") == nil)
        #expect(try await store.oauthToken(hash: "code-3") == nil)
        #expect(try await store.oauthToken(hash: "access-4") == access4)
        // Registrations no client allowed are removed once older than asked; one with a consent stays.
        let unused = OAuthClient(
            id: "palvelu-2", secretHash: "h", name: "x", uri: "u", logoURI: "u", termsURI: "u", policyURI: "u", softwareID: "s", softwareVersion: "1",
            redirectURIs: ["https://other.example/cb"], scopes: ["a"], contacts: [], createdAt: t0)
        try await store.addOAuthClient(unused, removingUnusedBefore: t0, at: t0)
        var third = unused
        third.id = "palvelu-3"
        third.createdAt = hour
        try await store.addOAuthClient(third, removingUnusedBefore: hour, at: hour)
        #expect(try await store.oauthClient(id: "palvelu-2") == nil)
        #expect(try await store.oauthClient(id: "palvelu-1") != nil)
        #expect(try await store.oauthClient(id: "palvelu-3") != nil)
        try await store.eraseClient("asiakas-1", by: "test", at: t0)
        #expect(try await store.oauthGrants(client: "asiakas-1").isEmpty)
        #expect(try await store.oauthToken(hash: "refresh-1") == nil)
        #expect(
            try await store.auditLog().map(\.action).filter { $0.hasPrefix("oauth.") } == [
                "oauth.register", "oauth.grant", "oauth.grant", "oauth.withdraw", "oauth.grant", "oauth.register", "oauth.register",
            ])
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test("status lists: places handed out at random and never twice, bound once, suspended and lifted, revoked for good", arguments: StoreKind.allCases)
    func statusLists(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        let places = try await store.reserveStatusEntries(count: 500, at: t0)
        #expect(places.count == 500 && Set(places).count == 500)
        #expect(places.allSatisfy { $0.list == 1 && $0.index >= 0 && $0.index < BitstringStatusList.minimumLength })
        // Random, not in order: a place says nothing about when its credential was issued.
        #expect(places.map(\.index) != places.map(\.index).sorted())
        let more = try await store.reserveStatusEntries(count: 10, at: t0)
        #expect(Set(more).isDisjoint(with: places))

        var first = credential("urn:uuid:1")
        first.status = places[0]
        var second = credential("urn:uuid:2")
        second.status = places[1]
        try await store.recordCredentials([first, second], by: "test", at: t0)
        #expect(try await store.credential(id: "urn:uuid:1")?.status == places[0])
        // A place is bound to one credential only, and only a place that was handed out.
        var taken = credential("urn:uuid:3")
        taken.status = places[0]
        await #expect(throws: StoreError.self) { try await store.recordCredential(taken, by: "test", at: t0) }
        taken.status = StatusListEntry(list: 99, index: 1)
        await #expect(throws: StoreError.self) { try await store.recordCredential(taken, by: "test", at: t0) }
        #expect(try await store.credential(id: "urn:uuid:3") == nil)

        func later(_ seconds: Int64) -> Timestamp { Timestamp(microseconds: t0.microseconds + seconds * 1_000_000) }
        let t1 = later(60), t2 = later(120), t3 = later(180)
        #expect(try await store.statusVersion() == 0)
        _ = try await store.suspend(credential: "urn:uuid:1", reason: "checking", by: "test", at: t1)
        await #expect(throws: StoreError.self) { _ = try await store.suspend(credential: "urn:uuid:1", reason: "again", by: "test", at: t1) }
        // Only credentials with a place can be suspended.
        try await store.recordCredential(credential("urn:uuid:4"), by: "test", at: t0)
        await #expect(throws: StoreError.self) { _ = try await store.suspend(credential: "urn:uuid:4", reason: "x", by: "test", at: t1) }
        var state = try await store.statusListState()
        #expect(state.lists == [1] && state.suspended == [places[0]] && state.revoked.isEmpty && state.changedAt == t1)

        try await store.liftSuspension(credential: "urn:uuid:1", by: "test", at: t2)
        await #expect(throws: StoreError.self) { try await store.liftSuspension(credential: "urn:uuid:1", by: "test", at: t2) }
        _ = try await store.suspend(credential: "urn:uuid:2", reason: "checking", by: "test", at: t2)
        _ = try await store.revoke(credential: "urn:uuid:2", reason: "mistake", by: "test", at: t3)
        // Revoked is for good: no longer also suspended, and cannot be suspended again.
        await #expect(throws: StoreError.self) { _ = try await store.suspend(credential: "urn:uuid:2", reason: "x", by: "test", at: t3) }
        state = try await store.statusListState()
        #expect(state.suspended.isEmpty && state.revoked == [places[1]] && state.changedAt == t3)
        #expect(try await store.statusVersion() == 4)
        #expect(try await store.suspensions().isEmpty)
        #expect(try await store.auditLog().map(\.action).filter { $0.hasPrefix("credential.") && $0 != "credential.issue" } == [
            "credential.suspend", "credential.unsuspend", "credential.suspend", "credential.revoke",
        ])
    }

    @Test("sign-in failures: counted per key in a window that starts at the first, out of it when it has passed, forgotten when cleared; not audited", arguments: StoreKind.allCases)
    func failures(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.countFailure(["a", "b"], at: 100, windowStart: 0)
        try await store.countFailure(["a"], at: 200, windowStart: 50)
        let counts = try await store.failureCounts(["a", "b", "c"], windowStart: 50)
        #expect(counts["a"] == FailureCount(failures: 2, first: 100, last: 200))
        #expect(counts["b"] == FailureCount(failures: 1, first: 100, last: 100))
        #expect(counts["c"] == nil)
        // A window that started at or before the window's start is over: not read, and counted anew.
        #expect(try await store.failureCounts(["a"], windowStart: 100).isEmpty)
        try await store.countFailure(["a"], at: 1000, windowStart: 100)
        #expect(try await store.failureCounts(["a"], windowStart: 100)["a"] == FailureCount(failures: 1, first: 1000, last: 1000))
        try await store.clearFailures(["a"])
        #expect(try await store.failureCounts(["a"], windowStart: 0).isEmpty)
        #expect(try await store.auditLog().isEmpty)
    }

    @Test("a list is used until half its places are handed out, then the next", arguments: StoreKind.allCases)
    func statusListsFill(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        let places = try await store.reserveStatusEntries(count: BitstringStatusList.minimumLength / 2 + 3, at: t0)
        #expect(places.filter { $0.list == 1 }.count == BitstringStatusList.minimumLength / 2)
        #expect(places.filter { $0.list == 2 }.count == 3)
        #expect(try await store.reserveStatusEntries(count: 1, at: t0).first?.list == 2)
    }

    @Test("a group commit is one audit entry that names every credential in it", arguments: StoreKind.allCases)
    func groupAudit(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        let group = (1...3).map { credential("urn:uuid:g\($0)", client: "asiakas-\($0)") }
        try await store.recordCredentials(group, by: "bulk", at: t0)
        let entries = try await store.auditLog()
        #expect(entries.count == 1)
        #expect(entries[0].subject == "3 credentials" && entries[0].actor == "bulk")
        for item in group { #expect(entries[0].detail.contains("\(item.id) \(item.badge) ob3-jwt for \(item.client)")) }
        #expect(try await store.credentials().map(\.id) == group.map(\.id))
    }

    @Test("one valid award per client, badge and format: another is refused until the first is revoked or past its validUntil", arguments: StoreKind.allCases)
    func oneValidAward(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        func award(_ id: String, format: CredentialFormat = .ob3JWT, validUntil: Timestamp? = nil) -> IssuedCredential {
            var award = credential(id)
            award.badge = "b"
            award.format = format
            award.validUntil = validUntil
            return award
        }
        try await store.recordCredentials([award("urn:uuid:1")], by: "a", at: t0)
        await #expect { try await store.recordCredentials([award("urn:uuid:2")], by: "a", at: t0) } throws: {
            ($0 as? StoreError)?.key == "credential.held" && ($0 as? StoreError)?.arguments["credential"] == "urn:uuid:1"
        }
        // Two in one group commit: the second is refused, and so is the whole commit.
        await #expect(throws: StoreError.self) { try await store.recordCredentials([award("urn:uuid:3", format: .ob2Signed), award("urn:uuid:4", format: .ob2Signed)], by: "a", at: t0) }
        #expect(try await store.credential(id: "urn:uuid:3") == nil)
        // Another format is another award.
        try await store.recordCredentials([award("urn:uuid:5", format: .ob2Signed)], by: "a", at: t0)
        _ = try await store.revoke(credential: "urn:uuid:1", reason: "replaced", by: "a", at: t0)
        let later = Timestamp(microseconds: t0.microseconds + 1_000_000, offsetSeconds: t0.offsetSeconds)
        try await store.recordCredentials([award("urn:uuid:6", validUntil: later)], by: "a", at: t0)
        await #expect(throws: StoreError.self) { try await store.recordCredentials([award("urn:uuid:7")], by: "a", at: t0) }
        // Past its validUntil, it is held no more.
        try await store.recordCredentials([award("urn:uuid:8")], by: "a", at: later)
    }

    @Test("clients, periods, assessments: checks and the audit trail", arguments: StoreKind.allCases)
    func clients(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.addUnit(ActivityUnit(id: "puutyo", name: "Puutyöpaja"), by: "admin", at: t0)
        await #expect(throws: StoreError.self) { try await store.addClient(StoredClient(id: "asiakas-1", unit: "nope", registeredAt: t0), by: "a", at: t0) }
        try await store.addClient(StoredClient(id: "asiakas-1", unit: "puutyo", displayName: "Maija", registeredAt: t0), by: "a", at: t0)
        await #expect(throws: StoreError.self) { try await store.addClient(StoredClient(id: "asiakas-1", registeredAt: t0), by: "a", at: t0) }
        let period = PathwayPeriod(id: "p1", client: "asiakas-1", pathway: "polku", phases: [PhaseChange(phase: "a", at: t0, by: "a")])
        try await store.startPeriod(period, by: "a", at: t0)
        var second = period
        second.id = "p2"
        await #expect(throws: StoreError.self) { try await store.startPeriod(second, by: "a", at: t0) }
        try await store.changePhase(period: "p1", from: "a", to: PhaseChange(phase: "b", at: t0, by: "a"))
        // Someone else moved it on already: the caller's view is stale.
        await #expect(throws: StoreError.self) { try await store.changePhase(period: "p1", from: "a", to: PhaseChange(phase: "c", at: t0, by: "a")) }
        let assessment = StoredAssessment(
            id: "alku", assessedAt: t0, assessor: "ohjaaja-1", evidence: .observed, checkpoint: "alkukartoitus", period: "p1",
            responses: [.init(item: "haku", value: 2)], levels: [.init(competence: "2.1", level: 3)], note: "hyvin meni")
        try await store.addAssessment(assessment, client: "asiakas-1", by: "ohjaaja-1", at: t0)
        await #expect(throws: StoreError.self) { try await store.addAssessment(assessment, client: "asiakas-1", by: "ohjaaja-1", at: t0) }
        await #expect(throws: StoreError.self) { try await store.addAssessment(assessment, client: "asiakas-404", by: "ohjaaja-1", at: t0) }
        try await store.closePeriod(period: "p1", from: "b", outcome: "opinnot", by: "a", at: t0)
        await #expect(throws: StoreError.self) { try await store.closePeriod(period: "p1", from: "b", outcome: "opinnot", by: "a", at: t0) }

        let file = try #require(try await store.clientFile("asiakas-1"))
        #expect(file.assessments == [assessment])
        #expect(file.periods.map(\.phases.count) == [2])
        #expect(file.periods[0].outcome == "opinnot")
        #expect(file.openPeriod == nil)
        let actions = try await store.auditLog().map(\.action)
        #expect(actions == ["unit.add", "client.add", "pathway.start", "pathway.advance", "assessment.record", "pathway.close"])
        // No personal data in the audit log.
        await #expect(!(try store.auditLog()).contains { "\($0)".contains("Maija") || "\($0)".contains("hyvin meni") })
    }

    @Test("attestations: recorded, withdrawn by badge and role, recorded again after a withdrawal; audited", arguments: StoreKind.allCases)
    func attestations(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.addClient(StoredClient(id: "asiakas-1", registeredAt: t0), by: "a", at: t0)
        let first = StoredAttestation(badge: "b", by: "ohjaaja-1", role: .instructor, at: t0)
        let other = StoredAttestation(badge: "c", by: "ohjaaja-1", role: .instructor, at: t0)
        let admins = StoredAttestation(badge: "b", by: "paakayttaja", role: .admin, at: t0)
        for attestation in [first, other, admins] { try await store.addAttestation(attestation, client: "asiakas-1", by: attestation.by, at: t0) }
        #expect(try await store.withdrawAttestations(client: "asiakas-1", badge: "b", roles: [.instructor], by: "ohjaaja-2", at: t0) == [first])
        #expect(try await store.withdrawAttestations(client: "asiakas-1", badge: "b", roles: [.instructor], by: "ohjaaja-2", at: t0) == [])
        await #expect(throws: StoreError.self) { try await store.withdrawAttestations(client: "asiakas-404", badge: "b", roles: [.instructor], by: "a", at: t0) }
        // The first place is free now; the next one still goes after the last.
        try await store.addAttestation(first, client: "asiakas-1", by: "ohjaaja-1", at: t0)
        #expect(try await store.clientFile("asiakas-1")?.attestations == [other, admins, first])
        let log = try await store.auditLog()
        #expect(log.map(\.action) == ["client.add", "attestation.record", "attestation.record", "attestation.record", "attestation.withdraw", "attestation.record"])
        #expect(log[4].actor == "ohjaaja-2" && log[4].detail.contains("confirmed by ohjaaja-1"))
    }

    @Test("erasure keeps the id, credentials and revocations and nothing personal", arguments: StoreKind.allCases)
    func erasure(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.addClient(StoredClient(id: "asiakas-1", displayName: "Maija", contact: "040", language: .sv, registeredAt: t0), by: "a", at: t0)
        try await store.addAssessment(
            StoredAssessment(id: "x", assessedAt: t0, assessor: "o", evidence: .self, levels: [.init(competence: "1.1", level: 1)]),
            client: "asiakas-1", by: "o", at: t0)
        try await store.recordCredential(credential("urn:uuid:1"), by: "o", at: t0)
        _ = try await store.revoke(credential: "urn:uuid:1", reason: "r", by: "o", at: t0)
        // The client's user typed wrong passwords (counted with the address); so did someone else.
        try await store.addUser(User(id: "maija", role: .client, client: "asiakas-1", createdAt: t0), by: "a", at: t0)
        let counted = ["pair:maija 192.0.2.7", "user:maija", "pair:maijaliisa 192.0.2.8", "user:maijaliisa"]
        try await store.countFailure(counted, at: 100, windowStart: 0)
        try await store.eraseClient("asiakas-1", by: "admin", at: t0)
        #expect(try await store.failureCounts(counted, windowStart: 0).keys.sorted() == ["pair:maijaliisa 192.0.2.8", "user:maijaliisa"])
        let file = try #require(try await store.clientFile("asiakas-1"))
        #expect(file.client.displayName == nil && file.client.contact == nil && file.client.language == nil && file.client.erasedAt == t0)
        #expect(file.assessments.isEmpty)
        #expect(file.credentials.map(\.id) == ["urn:uuid:1"])
        #expect(file.revocations.count == 1)
        await #expect(throws: StoreError.self) { try await store.eraseClient("asiakas-1", by: "admin", at: t0) }
        await #expect(throws: StoreError.self) {
            try await store.addAssessment(
                StoredAssessment(id: "y", assessedAt: t0, assessor: "o", evidence: .self, levels: [.init(competence: "1.1", level: 1)]),
                client: "asiakas-1", by: "o", at: t0)
        }
    }

    @Test("a changed audit entry breaks the chain and is named")
    func tamperedAudit() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-audit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/merkisto.sqlite"
        let store = try SQLiteStore(path: path)
        for index in 1...3 { try await store.recordCredential(credential("urn:uuid:\(index)"), by: "test", at: t0) }
        #expect(try await store.verifyAudit().isIntact)
        // The log is append-only in SQL …
        let queue = try DatabaseQueue(path: path)
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "UPDATE audit SET actor = 'x' WHERE sequence = 2") } }
        // … and an edit around the triggers is found by the chain.
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit SET actor = 'someone-else' WHERE sequence = 2")
        }
        let check = try await SQLiteStore(path: path).verifyAudit()
        #expect(!check.isIntact)
        #expect(check.problems.contains { $0.hasPrefix("entry 2:") })
    }

    @Test("the write-ahead log is copied into the database in the background, on a connection of its own")
    func backgroundCheckpoint() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-checkpoint-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/merkisto.sqlite"
        func size(_ file: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0 }
        let store = try SQLiteStore(path: path)
        let empty = size(path)
        // About 24 MB of credentials that share no prefix: well past the log size that asks for a checkpoint.
        for group in 0..<12 {
            let credentials = (0..<500).map { index in
                var stored = credential("urn:uuid:\(group)-\(index)")
                stored.bytes = [UInt8](repeating: 0, count: 4000)
                stored.bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                return stored
            }
            try await store.recordCredentials(credentials, by: "test", at: t0)
        }
        // Everything is in the log (and durable) at once; the database file catches up soon after, copied by
        // the checkpointer's own connection.
        let deadline = Date().addingTimeInterval(60)
        while size(path) < empty + 16_000_000, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(size(path) >= empty + 16_000_000)
        #expect(store.backgroundCheckpoints > 0)
        #expect(try await store.credential(id: "urn:uuid:11-499")?.bytes.count == 4000)
        #expect(try await store.verifyAudit().isIntact)
        // Settling copies what is left and empties the log.
        try await store.recordCredentials([credential("urn:uuid:last")], by: "test", at: t0)
        #expect(size(path + "-wal") > 0)
        try await store.settle()
        #expect(size(path + "-wal") == 0)
        #expect(try await store.credential(id: "urn:uuid:last") != nil)
    }

    @Test("a ledger written by Merkisto 0.x is migrated in: credentials kept, audit chained")
    func migratesLedger() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-ledger-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/merkisto.sqlite"
        // The old ledger's schema and rows, as its v1 migration and `record`/`revoke` wrote them.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1: credentials, revocations, audit log');
                    CREATE TABLE credential (id TEXT PRIMARY KEY, badge TEXT NOT NULL, client TEXT NOT NULL, recipient TEXT NOT NULL,
                      format TEXT NOT NULL, keyID TEXT, issuedAt TEXT NOT NULL, validUntil TEXT, definitionsDigest TEXT NOT NULL, bytes BLOB NOT NULL);
                    CREATE TABLE revocation (credentialID TEXT PRIMARY KEY REFERENCES credential(id) ON DELETE RESTRICT, reason TEXT NOT NULL, revokedAt TEXT NOT NULL);
                    CREATE TABLE audit (sequence INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                      subject TEXT NOT NULL, detail TEXT NOT NULL);
                    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    INSERT INTO credential VALUES ('urn:uuid:old', 'b', 'asiakas-1', 'sha256$00', 'ob3-jwt', 'k', '2026-11-22T10:00:00Z', NULL, 'd', X'616263');
                    INSERT INTO revocation VALUES ('urn:uuid:old', 'mistake', '2026-11-23T10:00:00Z');
                    INSERT INTO audit (at, actor, action, subject, detail) VALUES ('2026-11-22T10:00:00Z', 'cli', 'issue', 'urn:uuid:old', 'b ob3-jwt for asiakas-1');
                    INSERT INTO audit (at, actor, action, subject, detail) VALUES ('2026-11-23T10:00:00Z', 'cli', 'revoke', 'urn:uuid:old', 'mistake');
                    """)
        }
        let store = try SQLiteStore(path: path)
        let old = try #require(try await store.credential(id: "urn:uuid:old"))
        #expect(old.bytes == Array("abc".utf8) && old.format == .ob3JWT && old.language == .fi)
        #expect(try await store.revocations().map(\.reason) == ["mistake"])
        try await store.recordCredential(credential("urn:uuid:new"), by: "test", at: t0)
        let check = try await store.verifyAudit()
        // Two old entries, chained again by detail digests (an entry says so, naming the old head), and the new one.
        #expect(check.isIntact && check.entries == 4)
        #expect(try await store.auditLog().map(\.action) == ["issue", "revoke", "audit.rechain", "credential.issue"])
        #expect(try await store.auditLog().allSatisfy { $0.detailDigest != nil })
    }

    @Test("erasure removes the reasons and the audit details that describe the client; the chain still verifies", arguments: StoreKind.allCases)
    func erasureRedacts(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await Self.describeClient(store)
        try await store.eraseClient("asiakas-1", by: "admin", at: t0)
        try await Self.expectRedacted(store)
    }

    /// Entries of every kind that name asiakas-1: added, a bulk issue with another client's credential, one
    /// issued alone, revocations, a user who signs in as the client, their token and their sign-in.
    static func describeClient(_ store: any Store) async throws {
        try await store.addClient(StoredClient(id: "asiakas-1", registeredAt: t0), by: "ohjaaja", at: t0)
        try await store.addClient(StoredClient(id: "asiakas-2", registeredAt: t0), by: "ohjaaja", at: t0)
        try await store.recordCredentials([credential("urn:uuid:1"), credential("urn:uuid:2", client: "asiakas-2"), credential("urn:uuid:3")], by: "ohjaaja", at: t0)
        try await store.recordCredential(credential("urn:uuid:4"), by: "ohjaaja", at: t0)
        _ = try await store.revoke(credential: "urn:uuid:1", reason: "Asiakas siirtyi päihdekuntoutukseen", by: "ohjaaja", at: t0)
        _ = try await store.revoke(credential: "urn:uuid:2", reason: "väärä merkki", by: "ohjaaja", at: t0)
        try await store.addUser(User(id: "oma-1", role: .client, client: "asiakas-1", createdAt: t0), by: "ohjaaja", at: t0)
        try await store.addToken(APIToken(id: "t9", user: "oma-1", name: "oma", scopes: [.read], secretHash: "abc", createdAt: t0), by: "oma-1", at: t0)
        try await store.addSession(StoredSession(id: "s9", user: "oma-1", csrf: "c", createdAt: t0, expiresAt: t0), at: t0)
    }

    /// What ``describeClient(_:)`` wrote about asiakas-1, after erasing them: no detail left about them.
    static func expectRedacted(_ store: any Store) async throws {
        #expect(try await store.revocations().map(\.reason).sorted() == ["", "väärä merkki"])
        let log = try await store.auditLog()
        #expect(try await store.verifyAudit().isIntact)
        let single = try #require(log.first { $0.action == "credential.issue" && $0.subject == "urn:uuid:4" })
        #expect(single.redacted && single.detail.isEmpty)
        let token = try #require(log.first { $0.action == "token.add" })
        #expect(token.redacted && token.detail.isEmpty)
        for entry in log where entry.subject == "oma-1" { #expect(entry.detail.isEmpty, "\(entry.action)") }
        // Nothing left that says what happened to asiakas-1, except that they were added and erased.
        for entry in log where entry.subject == "asiakas-1" && entry.action != "audit.redact" { #expect(entry.detail.isEmpty) }
        let bulk = try #require(log.first { $0.action == "credential.issue" })
        #expect(bulk.redacted && !bulk.detail.contains("asiakas-1") && bulk.detail.contains("for asiakas-2"))
        #expect(log.last?.action == "audit.redact")
        // The log cannot be changed otherwise: a detail that does not match its digest is named.
        var changed = log
        changed[0].detail = "muutettu"
        changed[0].redacted = false
        #expect(!AuditVerification(checking: changed).isIntact)
    }

    @Test(
        "a log written before the audit mentions were kept is indexed when the database is opened, and erasure still finds every entry",
        arguments: StoreKind.allCases.filter { $0 != .memory })
    func mentionsBackfilled(kind: StoreKind) async throws {
        // A store that can be opened again: a file, or a scratch database by its URL.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-mentions-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let url = kind == .postgres ? try await PostgresStore.makeScratchDatabase(server: try #require(StoreKind.postgresServer)) : nil
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            if let url { Task { try? await PostgresStore.dropScratchDatabase(url) } }
        }
        let written: any Store = if let url { try await PostgresStore.open(url: url) } else { try SQLiteStore(path: directory + "/merkisto.sqlite") }
        try await Self.describeClient(written)
        let mentions = try await Self.mentionRows(written)
        #expect(mentions.count >= 6)
        // As a database from before the mentions was: no table, the migration not yet applied; then opened again.
        let store: any Store
        if let sqlite = written as? SQLiteStore {
            try await sqlite.write { db in
                try db.execute(sql: "DROP TABLE auditMention; DELETE FROM grdb_migrations WHERE identifier = 'v15: audit mentions'")
            }
            store = try SQLiteStore(path: sqlite.path)
        } else {
            let postgres = try #require(written as? PostgresStore)
            try await postgres.write { c in
                try await c.query("DROP TABLE audit_mention", logger: postgres.logger)
                try await c.query("DELETE FROM merkisto_migration WHERE version = 5", logger: postgres.logger)
            }
            await postgres.close()
            store = try await PostgresStore.open(url: try #require(url))
        }
        // The same mentions as the entries were written with.
        #expect(try await Self.mentionRows(store) == mentions)
        try await store.eraseClient("asiakas-1", by: "admin", at: t0)
        try await Self.expectRedacted(store)
        // The erased client's mentions go with them; the other client's stay.
        let left = try await Self.mentionRows(store)
        #expect(!left.contains { $0.hasPrefix("asiakas-1 ") || $0.hasPrefix("oma-1 ") } && left.contains { $0.hasPrefix("asiakas-2 ") })
    }

    /// Every "name sequence" row of the store's audit mentions, in order.
    static func mentionRows(_ store: any Store) async throws -> [String] {
        if let sqlite = store as? SQLiteStore {
            return try await sqlite.read { db in try String.fetchAll(db, sql: "SELECT name || ' ' || sequence FROM auditMention ORDER BY name, sequence") }
        }
        let postgres = try #require(store as? PostgresStore)
        return try await postgres.read { c in
            try await c.rows("SELECT name || ' ' || sequence FROM audit_mention ORDER BY name COLLATE \"C\", sequence", postgres.logger).map { try $0.decode(String.self) }
        }
    }
}

@Suite("The database file")
struct DatabaseFileTests {
    @Test("a new database and its -wal and -shm files are readable by their owner only (0600)")
    func ownerOnly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-mode-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/merkisto.sqlite"
        let store = try SQLiteStore(path: path)
        try await store.addUnit(ActivityUnit(id: "puutyo", name: "Puutyöpaja"), by: "admin", at: t0)
        for file in [path, path + "-wal", path + "-shm"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            let mode = try #require(attributes[.posixPermissions] as? NSNumber).intValue
            #expect(mode & 0o777 == 0o600, "\(file) has mode \(String(mode, radix: 8))")
        }
        _ = store
    }
}

@Suite("SQLite records read by position, under their names")
struct RecordColumnTests {
    /// The names of an enum's cases, in order.
    static func names<C: CaseIterable>(_ type: C.Type) -> [String] { C.allCases.map { "\($0)" } }

    @Test("every record's Columns are the table's columns in the database's order, so `SELECT *` by position reads each by its name")
    func columnsInTableOrder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-columns-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: directory + "/merkisto.sqlite")
        let tables: [(String, [String])] = [
            ("client", Self.names(StoredClient.Columns.self)), ("revocation", Self.names(Revocation.Columns.self)),
            ("period", Self.names(PeriodRow.Columns.self)), ("phaseChange", Self.names(PhaseRow.Columns.self)),
            ("assessment", Self.names(AssessmentRow.Columns.self)), ("attestation", Self.names(AttestationRow.Columns.self)),
            ("heldAward", Self.names(HeldAwardRow.Columns.self)),
        ]
        try store.writer.read { db in
            for (table, columns) in tables {
                #expect(try db.columns(in: table).map(\.name) == columns, "\(table)")
            }
            // The credential selection joins three tables: its columns by the statement's names.
            let statement = try db.makeStatement(sql: CredentialRow.selection)
            #expect(statement.columnNames.count == CredentialRow.Columns.allCases.count)
            for (index, column) in CredentialRow.Columns.allCases.enumerated() where !["prefixBytes"].contains("\(column)") {
                #expect(statement.columnNames[index] == "\(column)", "\(column)")
            }
        }
    }
}

@Suite("Copying and backing up a database")
struct StoreCopyTests {
    /// A database with something of every kind in it.
    static func filled(_ store: any Store) async throws {
        try await store.addUnit(ActivityUnit(id: "puutyo", name: "Puutyöpaja"), by: "admin", at: t0)
        try await store.addClient(StoredClient(id: "asiakas-1", unit: "puutyo", displayName: "Maija", language: .sv, registeredAt: t0), by: "a", at: t0)
        try await store.addClient(StoredClient(id: "asiakas-2", unit: "puutyo", registeredAt: t0), by: "a", at: t0)
        try await store.addUser(User(id: "ohjaaja-1", role: .instructor, createdAt: t0, units: ["puutyo"]), by: "admin", at: t0)
        try await store.addUser(User(id: "maija", role: .client, client: "asiakas-1", createdAt: t0), by: "admin", at: t0)
        try await store.setPassword(user: "ohjaaja-1", hash: "$2b$04$hash", by: "admin", at: t0)
        try await store.startPeriod(
            PathwayPeriod(id: "p1", client: "asiakas-1", pathway: "polku", decisionEnd: t0, phases: [PhaseChange(phase: "a", at: t0, by: "o")]), by: "o", at: t0)
        try await store.addAssessment(
            StoredAssessment(id: "alku", assessedAt: t0, assessor: "o", evidence: .test, responses: [.init(item: "i", value: 2)], levels: [.init(competence: "1.1", level: 3)]),
            client: "asiakas-1", by: "o", at: t0)
        try await store.addAttestation(StoredAttestation(badge: "b", by: "o", role: .instructor, at: t0), client: "asiakas-1", by: "o", at: t0)
        let places = try await store.reserveStatusEntries(count: 3, at: t0)
        var first = credential("urn:uuid:1")
        first.status = places[0]
        var second = credential("urn:uuid:2")
        second.status = places[1]
        try await store.recordCredentials([first, second, credential("urn:uuid:3", client: "asiakas-2")], by: "o", at: t0)
        _ = try await store.revoke(credential: "urn:uuid:1", reason: "virhe", by: "o", at: t0)
        _ = try await store.suspend(credential: "urn:uuid:2", reason: "tauko", by: "o", at: t0)
        try await store.addToken(
            APIToken(id: "t1", user: "ohjaaja-1", name: "integraatio", scopes: [.read], secretHash: "abc", createdAt: t0), by: "admin", at: t0)
        try await store.addShare(CredentialShare(token: "s1", credential: "urn:uuid:2", client: "asiakas-1", createdAt: t0), by: "maija", at: t0)
        let version = DefinitionsVersion(digest: String(repeating: "d", count: 64), files: 2, uploadedBy: "admin", uploadedAt: t0)
        try await store.addDefinitionsVersion(version, archive: [1, 2, 3], by: "admin", at: t0)
        try await store.activateDefinitions(digest: version.digest, by: "admin", at: t0)
        try await store.eraseClient("asiakas-2", by: "admin", at: t0)
    }

    static func sameContents(_ a: StoreDump, _ b: StoreDump) {
        #expect(a.counts == b.counts)
        #expect(a.units == b.units)
        #expect(a.users.map(\.user) == b.users.map(\.user) && a.users.map(\.passwordHash) == b.users.map(\.passwordHash))
        #expect(a.files == b.files)
        #expect(a.credentials == b.credentials)
        #expect(a.places.map(\.entry) == b.places.map(\.entry) && a.places.map(\.reservedAt) == b.places.map(\.reservedAt))
        #expect(a.revocations == b.revocations && a.suspensions == b.suspensions && a.statusChanges == b.statusChanges)
        #expect(a.tokens == b.tokens && a.shares == b.shares)
        #expect(a.definitions.map(\.version) == b.definitions.map(\.version) && a.definitions.map(\.archive) == b.definitions.map(\.archive))
        #expect(a.activeDefinitions == b.activeDefinitions)
        #expect(a.audit == b.audit)
    }

    @Test("a copy holds the same rows and the same audit log, entry for entry, and goes on from there; a store that is not empty is refused", arguments: StoreKind.allCases.filter { $0 != .memory })
    func copy(kind: StoreKind) async throws {
        let (source, cleanSource) = try await StoreKind.sqlite.make()
        defer { cleanSource() }
        try await Self.filled(source)
        let (target, cleanTarget) = try await kind.make()
        defer { cleanTarget() }
        let copyable = try #require(target as? any CopyableStore)
        let original = try await (source as! SQLiteStore).dump()
        _ = try await copyable.copy(from: source as! SQLiteStore)
        Self.sameContents(original, try await copyable.dump())
        // A client's file, credentials, revocations and suspensions included, reads the same from the copy.
        for client in ["asiakas-1", "asiakas-2"] {
            let (read, expected) = (try await target.clientFile(client), try await source.clientFile(client))
            #expect(read == expected && read?.credentials.isEmpty == false, "\(client)")
        }
        #expect(try await target.clientFiles(["asiakas-2", "nobody", "asiakas-1"]) == (try await source.clientFiles(["asiakas-2", "asiakas-1"])))
        // And back again, into a new SQLite database.
        let (back, cleanBack) = try await StoreKind.sqlite.make()
        defer { cleanBack() }
        _ = try await (back as! SQLiteStore).copy(from: copyable)
        Self.sameContents(original, try await (back as! SQLiteStore).dump())
        // The copy goes on: what was held is still held, the chain grows from the same head.
        await #expect(throws: StoreError.self) { try await target.recordCredential(credential("urn:uuid:9", client: "asiakas-1").with(badge: "b-urn:uuid:2"), by: "o", at: t0) }
        _ = try await target.revoke(credential: "urn:uuid:2", reason: "x", by: "o", at: t0)
        #expect(try await target.verifyAudit().isIntact)
        #expect(try await target.auditLog().count == original.audit.count + 1)
        await #expect(throws: StoreError.self) { _ = try await copyable.copy(from: source as! SQLiteStore) }
    }

    @Test("a backup is a database of its own with the same contents, written while the database is in use")
    func backup() async throws {
        let (source, cleanup) = try await StoreKind.sqlite.make()
        defer { cleanup() }
        try await Self.filled(source)
        let store = source as! SQLiteStore
        let path = store.path + ".backup"
        try store.backup(to: path)
        #expect(throws: StoreError.self) { try store.backup(to: path) }
        let restored = try SQLiteStore(path: path)
        Self.sameContents(try await store.dump(), try await restored.dump())
        #expect(try await restored.verifyAudit().isIntact)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}

extension IssuedCredential {
    func with(badge: String) -> IssuedCredential {
        var copy = self
        copy.badge = badge
        return copy
    }
}

@Suite("Client lists a page at a time")
struct ClientListTests {
    /// Clients in three units and none, pseudonyms that sort differently by bytes and by a locale, open periods
    /// in two phases with decision ends (past, future, none), a closed period, an erased client, assessments
    /// and credentials.
    static func fill(_ store: any Store) async throws {
        for unit in ["puutyo", "ompelu", "keittio"] { try await store.addUnit(ActivityUnit(id: unit, name: unit), by: "a", at: t0) }
        let units: [String?] = ["puutyo", "ompelu", "keittio", nil]
        let day: Int64 = 86_400_000_000
        var ids: [String] = []
        for number in 0..<40 { ids.append(["sk-", "sk_", "sk", "Sk-", "sk-a"][number % 5] + String(number)) }
        ids += ["sk-", "sk-00", "sk_-"]
        for (number, id) in ids.enumerated() {
            try await store.addClient(StoredClient(id: id, unit: units[number % 4], registeredAt: t0), by: "a", at: t0)
            if number % 3 != 2 {
                let end: Timestamp? = number % 7 == 0 ? nil : Timestamp(microseconds: t0.microseconds + Int64(number % 5 - 2) * day, offsetSeconds: 7200)
                let period = PathwayPeriod(
                    id: "p-\(id)", client: id, pathway: "polku", decisionStart: t0, decisionEnd: end, phases: [PhaseChange(phase: "alku", at: t0, by: "a")])
                try await store.startPeriod(period, by: "a", at: t0)
                if number % 2 == 0 { try await store.changePhase(period: "p-\(id)", from: "alku", to: PhaseChange(phase: "jakso", at: t0, by: "a")) }
                if number % 11 == 0 { try await store.closePeriod(period: "p-\(id)", from: number % 2 == 0 ? "jakso" : "alku", outcome: "opinnot", by: "a", at: t0) }
            }
            for index in 0..<(number % 3) {
                try await store.addAssessment(
                    StoredAssessment(id: "a\(index)", assessedAt: t0, assessor: "o", evidence: .self, levels: [.init(competence: "1.1", level: 2)]),
                    client: id, by: "o", at: t0)
            }
            if number % 4 == 1 { try await store.recordCredential(credential("urn:uuid:\(id)", client: id), by: "o", at: t0) }
        }
        // Imported with an open period: listed like any other.
        let imported = PathwayPeriod(
            id: "p-imported", client: "sk-imported", pathway: "polku", decisionEnd: Timestamp(microseconds: t0.microseconds - day),
            phases: [PhaseChange(phase: "jakso", at: t0, by: "a")])
        try await store.importClients([ClientFile(client: StoredClient(id: "sk-imported", unit: "ompelu", registeredAt: t0), periods: [imported])], by: "a", at: t0)
        try await store.eraseClient("sk-5", by: "a", at: t0)
    }

    @Test("every filter and order, page by page, gives exactly the clients and figures their files give, in byte order", arguments: StoreKind.allCases)
    func pages(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await Self.fill(store)
        let files = try await store.clientFiles(try await store.clientIDs())
        let listings = files.map(ClientListing.init)
        let now = Timestamp(microseconds: t0.microseconds + 1)
        var queries: [ClientQuery] = []
        for order in ClientQuery.Order.allCases {
            for units in [nil, ["puutyo"], ["ompelu", "keittio"], []] as [[String]?] {
                queries.append(ClientQuery(units: units, order: order))
                queries.append(ClientQuery(units: units, idPrefix: "sk-", order: order))
                queries.append(ClientQuery(units: units, phase: "jakso", order: order))
                queries.append(ClientQuery(units: units, overdueAt: now, order: order))
                queries.append(ClientQuery(units: units, idPrefix: "sk", phase: "alku", overdueAt: now, order: order))
            }
        }
        for query in queries {
            let expected = listings.filter(query.includes).sorted(by: query.sorts)
            var paged: [ClientListing] = []
            var page = query
            page.limit = 7
            while true {
                let got = try await store.clientList(page)
                paged += got
                guard got.count == page.limit, let last = got.last else { break }
                page.after = last.cursor(query.order)
            }
            #expect(paged == expected, "\(kind) \(query)")
        }
        // The filters found something, and the pseudonyms are in byte order ("Sk-" before "sk", "sk-" before "sk_").
        let all = try await store.clientList(ClientQuery(limit: 1_000))
        #expect(all.map(\.client.id) == listings.map(\.client.id).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(all.contains { $0.phase == "jakso" } && all.contains { $0.phase == "alku" } && all.contains { $0.credentials > 0 && $0.assessments > 0 })
        #expect(try await store.clientList(ClientQuery(overdueAt: now, limit: 1_000)).contains { $0.client.id == "sk-imported" })
        #expect(try await store.clientList(ClientQuery(phase: "jakso", limit: 1_000)).allSatisfy { $0.client.erasedAt == nil })
        let total = try await store.clientCount(units: nil)
        #expect(total.count == files.count && total.exact)
        #expect(try await store.clientCount(units: ["ompelu", "keittio"]).count == files.count { ["ompelu", "keittio"].contains($0.client.unit) })
    }

    @Test("the files a dry run reads hold what evaluation reads, the same as each client's whole file, over chunk ends", arguments: StoreKind.allCases)
    func evaluationFiles(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await Self.fill(store)
        // Responses with and without an instrument, notes, attestations, held awards (one ending, one revoked), a
        // revoked and a suspended credential, a client's language, and more clients than one chunk holds.
        let later = Timestamp(microseconds: t0.microseconds + 3_600_000_000, offsetSeconds: 0)
        var imported: [ClientFile] = []
        for number in 0..<530 {
            let id = "sk-z" + String(number)
            imported.append(
                ClientFile(
                    client: StoredClient(id: id, language: number % 2 == 0 ? .sv : nil, registeredAt: t0, schemaReference: number % 3 == 0 ? "v1" : nil),
                    assessments: (0..<(number % 4)).map { index in
                        StoredAssessment(
                            // Ids that sort against the recorded order (a3, a2, a1): the order is the recorded one.
                            id: "a\(number % 4 - index)", assessedAt: index == 0 ? t0 : later, assessor: "ohjaaja-\(index)", evidence: index % 2 == 0 ? .test : .observed,
                            instrument: index % 2 == 0 ? "kartoitus" : nil, checkpoint: index == 1 ? "alkukartoitus" : nil,
                            responses: index % 2 == 0 ? [.init(item: "haku", value: number % 4), .init(item: "sähköposti", value: -1)] : [],
                            levels: [.init(competence: "2.\(index + 1)", level: index)], note: index == 2 ? "huom" : nil)
                    },
                    attestations: number % 5 == 0 ? [StoredAttestation(badge: "b\(number % 7)", by: "ohjaaja-1", role: .instructor, at: later)] : [],
                    heldAwards: number % 6 == 0
                        ? [HeldAward(badge: "vanha", issuedAt: t0, validUntil: later, revoked: false, credential: "urn:uuid:vanha-\(number)"),
                           HeldAward(badge: "toinen", issuedAt: later, revoked: true)] : []))
        }
        try await store.importClients(imported, by: "a", at: t0)
        let places = try await store.reserveStatusEntries(count: 2, at: t0)
        var revoked = credential("urn:uuid:r", client: "sk-z7")
        revoked.status = places[0]
        var suspended = credential("urn:uuid:s", client: "sk-z7")
        suspended.status = places[1]
        try await store.recordCredentials([revoked, suspended], by: "o", at: t0)
        _ = try await store.revoke(credential: "urn:uuid:r", reason: "r", by: "o", at: later)
        _ = try await store.suspend(credential: "urn:uuid:s", reason: "s", by: "o", at: later)

        /// What evaluation reads of a file (a store may leave the rest out).
        func evaluated(_ file: ClientFile) -> ClientFile {
            var file = file
            file.periods = []
            file.suspensions = []
            for index in file.credentials.indices {
                file.credentials[index].bytes = []
                file.credentials[index].status = nil
            }
            return file
        }
        let ids = try await store.clientIDs()
        let whole = try await store.clientFiles(ids)
        let batches = try await store.forEachEvaluationBatch(workers: 3) { files in files }
        #expect(batches.count == (ids.count + 511) / 512 && batches.count > 1)
        let read = batches.flatMap { $0 }
        #expect(read.map(\.client.id) == ids)
        #expect(read.count == whole.count)
        // The first client whose file differs (the files themselves are too long to print).
        let differing = zip(read, whole).first { evaluated($0) != evaluated($1) }?.0.client.id
        #expect(differing == nil)
        // The test saw each kind of thing.
        #expect(read.contains { !$0.attestations.isEmpty } && read.contains { $0.heldAwards.contains(where: \.revoked) })
        #expect(read.contains { $0.revocations.count == 1 && $0.credentials.count == 2 } && read.contains { $0.client.erasedAt != nil })
        #expect(read.contains { $0.assessments.contains { $0.responses.count == 2 && $0.note != nil } })
        #expect(read.contains { $0.assessments.map(\.id) == ["a3", "a2", "a1"] })
        // A value that is not what its column holds is an error that names it, not a crash.
        if let sqlite = store as? SQLiteStore {
            try await sqlite.write { db in try db.execute(sql: "UPDATE assessment SET assessedAt = 'eilen' WHERE client = 'sk-z1'") }
            await #expect(throws: StoreError.self) { _ = try await store.forEachEvaluationBatch(workers: 2) { $0.count } }
            do { _ = try await store.forEachEvaluationBatch(workers: 2) { $0.count } } catch { #expect("\(error)".contains("assessedAt holds \"eilen\"")) }
        }
    }

    @Test("users a page at a time: all, staff only, a client's own, in byte order", arguments: StoreKind.allCases)
    func users(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await Self.fill(store)
        try await store.addUser(User(id: "admin", role: .admin, createdAt: t0), by: "a", at: t0)
        try await store.addUser(User(id: "Ohjaaja", role: .instructor, createdAt: t0, units: ["puutyo", "ompelu"]), by: "a", at: t0)
        for id in ["sk-1", "sk-10", "sk_1"] { try await store.addUser(User(id: id, role: .client, client: "sk_1", createdAt: t0), by: "a", at: t0) }
        try await store.addUser(User(id: "sk-3", role: .client, client: "Sk-3", createdAt: t0), by: "a", at: t0)
        let all = try await store.users()
        for (userKind, limit) in [(UserKind.all, 2), (.staff, 1), (.client("sk_1"), 2), (.client("sk-404"), 3)] {
            var paged: [User] = []
            while true {
                let page = try await store.userList(userKind, after: paged.last?.id, limit: limit)
                paged += page
                if page.count < limit { break }
            }
            let expected = all.filter(userKind.includes).sorted { Array($0.id.utf8).lexicographicallyPrecedes(Array($1.id.utf8)) }
            #expect(paged == expected, "\(kind) \(userKind)")
        }
        #expect(try await store.userList(.staff, after: nil, limit: 10).map(\.id) == ["Ohjaaja", "admin"])
        #expect(try await store.userList(.staff, after: nil, limit: 10).first?.units == ["ompelu", "puutyo"])
    }

    @Test("API tokens and kept definition sets a page at a time, newest first; an unknown start gives none", arguments: StoreKind.allCases)
    func tokensAndVersions(kind: StoreKind) async throws {
        let (store, cleanup) = try await kind.make()
        defer { cleanup() }
        try await store.addUser(User(id: "admin", role: .admin, createdAt: t0), by: "a", at: t0)
        // Ids that sort otherwise than they were made, so that the order can only come from when.
        for number in 0..<7 {
            try await store.addToken(
                APIToken(id: "t\(7 - number)", user: "admin", name: "n\(number)", scopes: [.read], secretHash: "h", createdAt: t0), by: "admin", at: t0)
            try await store.addDefinitionsVersion(
                DefinitionsVersion(digest: "d\(7 - number)", files: number, uploadedBy: "admin", uploadedAt: t0), archive: [1, 2], by: "admin", at: t0)
        }
        let tokens = try await store.tokens()
        let versions = try await store.definitionsVersions()
        for limit in [1, 2, 3, 7, 8] {
            var pagedTokens: [APIToken] = []
            var pagedVersions: [DefinitionsVersion] = []
            while true {
                let page = try await store.tokenPage(after: pagedTokens.last?.id, limit: limit)
                pagedTokens += page
                if page.count < limit { break }
            }
            while true {
                let page = try await store.definitionsVersionPage(after: pagedVersions.last?.digest, limit: limit)
                pagedVersions += page
                if page.count < limit { break }
            }
            #expect(pagedTokens == tokens.reversed() && pagedTokens.map(\.id) == (1...7).map { "t\($0)" }, "\(kind) \(limit)")
            #expect(pagedVersions == versions.reversed() && pagedVersions.map(\.files) == (0..<7).reversed().map { $0 }, "\(kind) \(limit)")
        }
        #expect(try await store.tokenPage(after: "t404", limit: 5).isEmpty)
        #expect(try await store.definitionsVersionPage(after: "d404", limit: 5).isEmpty)
        #expect(try await store.definitionsVersion(digest: "d3") == versions.first { $0.digest == "d3" })
        #expect(try await store.definitionsVersion(digest: "d404") == nil)
    }

    @Test("a database from before client lists gets its open periods' phases and decision ends")
    func migrates() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merkisto-lists-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/merkisto.sqlite"
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v13: oauth")
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO client (id, registeredAt) VALUES ('sk-1', '2026-03-02T10:00:00+02:00'), ('sk-2', '2026-03-02T10:00:00+02:00');
                    INSERT INTO period (id, client, pathway, decisionEnd) VALUES ('p1', 'sk-1', 'polku', '2026-04-01T00:00:00+03:00');
                    INSERT INTO phaseChange (period, sequence, phase, at, by) VALUES ('p1', 0, 'alku', '2026-03-02T10:00:00+02:00', 'a'),
                      ('p1', 1, 'jakso', '2026-03-03T10:00:00+02:00', 'a');
                    INSERT INTO period (id, client, pathway, closedAt) VALUES ('p2', 'sk-2', 'polku', '2026-03-02T11:00:00+02:00');
                    """)
        }
        try queue.close()
        let store = try SQLiteStore(path: path)
        let listed = try await store.clientList(ClientQuery(order: .decisionEnd))
        #expect(listed.map(\.client.id) == ["sk-1", "sk-2"])
        let end = try Timestamp.parse("2026-04-01T00:00:00+03:00").get()
        #expect(listed[0].phase == "jakso" && listed[0].decisionEnd == end)
        #expect(listed[1].phase == nil && listed[1].decisionEnd == nil)
    }
}
