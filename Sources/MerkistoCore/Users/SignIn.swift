public import Basics
import Credentials
import Crypto
import Foundation
import HummingbirdBcrypt
public import Storage

/// A one-time sign-in code just made: shown once (and printed as a QR code of its link).
public struct OneTimeCode: Sendable {
    /// The code to type: `ABCD-EFGH`.
    public var code: String
    /// The address that signs in with it.
    public var link: String
    public var user: String
    public var expiresAt: Timestamp
}

/// A session just started: what the browser keeps (`token`, in an HttpOnly cookie) and what the pages send
/// back with every change (`session.csrf`).
public struct SignedIn: Sendable {
    public var session: StoredSession
    public var token: String
    public var user: User
}

extension BadgeService {
    /// How long a session lasts.
    public static let sessionLength: Int64 = 8 * 3600 * 1_000_000

    /// Sets a user's password (administrators; at least 10 characters); the user's sessions end. Audited.
    public func setPassword(user: String, password: String, as actor: Actor) async throws(CoreError) {
        try await authorize(actor, .administer)
        try await setPassword(user: user, password: password, by: actor.auditName)
    }

    package func setPassword(user: String, password: String, by actor: String) async throws(CoreError) {
        guard password.count >= 10 else { throw CoreError(.invalid, key: "password.short") }
        guard password.utf8.count <= 72 else { throw CoreError(.invalid, key: "password.long") }
        let hash = Bcrypt.hash(password, cost: passwordCost)
        try await stored { () async throws(StoreError) in try await store.setPassword(user: user, hash: hash, by: actor, at: now) }
    }

    /// Signs a person in with their user id and password, from `address` (for throttling). Every failure
    /// says the same, whether the user exists or not. A name that cannot be a user id is refused before
    /// anything is kept or checked. Wrong passwords slow down the (account, address) pair that typed them
    /// and an address that fails against many accounts (`.throttled`, with the seconds to wait); the right
    /// password from an address without failures always gets through (see ``SignInThrottle``).
    ///
    /// bcrypt runs on a small pool of its own threads (``PasswordChecks``), never on the threads that answer
    /// pages; when its queue is full the sign-in is refused at once (`.unavailable`, with a time to retry).
    public func signIn(user id: String, password: String, address: String?) async throws(CoreError) -> SignedIn {
        let (user, hash, time) = try await passwordSignInStart(user: id, password: password, address: address)
        // An unknown user costs a bcrypt check too (on the pool), so that the time taken does not tell who exists.
        let right = try await PasswordChecks.shared.verify(password, hash: hash)
        return try await passwordSignInEnd(user: user, right: right && hash != nil, id: id, address: address, at: time)
    }

    /// The same, checking the password on the calling thread (for tools and tests, not for servers).
    package func signInNow(user id: String, password: String, address: String?) async throws(CoreError) -> SignedIn {
        let (user, hash, time) = try await passwordSignInStart(user: id, password: password, address: address)
        let right = Bcrypt.verify(password, hash: hash ?? PasswordChecks.unknownUserHash)
        return try await passwordSignInEnd(user: user, right: right && hash != nil, id: id, address: address, at: time)
    }

    private func passwordSignInStart(
        user id: String, password: String, address: String?
    ) async throws(CoreError) -> (user: User?, hash: String?, time: Timestamp) {
        let time = now
        guard Self.isUserID(id), password.utf8.count <= 1024 else { throw CoreError(.unauthenticated, key: "signIn.wrong") }
        if let wait = try await throttle.passwordWait(user: id, address: address, now: time) {
            throw CoreError(.throttled, key: "signIn.throttled", ["seconds": "\(wait)"], problems: ["retry-after: \(wait)"])
        }
        let user = try await stored { () async throws(StoreError) in try await store.user(id: id) }
        let hash = try await stored { () async throws(StoreError) in try await store.passwordHash(user: id) }
        return (user, hash, time)
    }

    private func passwordSignInEnd(user: User?, right: Bool, id: String, address: String?, at time: Timestamp) async throws(CoreError) -> SignedIn {
        guard right, let user else {
            try await throttle.passwordFailed(user: id, address: address, now: time)
            CoreMetrics.signInFailed(.password)
            throw CoreError(.unauthenticated, key: "signIn.wrong")
        }
        try await throttle.passwordSucceeded(user: id, address: address)
        return try await startSession(for: user, at: time)
    }

    /// Whether a name can be a user id (what ``addUser(id:role:displayName:client:units:by:)`` accepts).
    static func isUserID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }
    }

    /// The actor and the session a session token stands for; refused when unknown or expired.
    public func actor(session token: String) async throws(CoreError) -> (actor: Actor, session: StoredSession) {
        let refused = CoreError(.unauthenticated, key: "session.ended")
        guard token.utf8.count == 64,
            let (session, user) = try await stored({ () async throws(StoreError) in try await store.sessionUser(id: Self.sessionID(token)) }),
            session.expiresAt > now
        else { throw refused }
        return (Actor(user: user), session)
    }

    /// Ends the session of a token (signing out twice is not an error).
    public func signOut(session token: String) async throws(CoreError) {
        try await stored { () async throws(StoreError) in try await store.removeSession(id: Self.sessionID(token), at: now) }
    }

    func startSession(for user: User, at time: Timestamp) async throws(CoreError) -> SignedIn {
        let token = Self.randomHex(32)
        let session = Self.newSession(token: token, user: user.id, at: time)
        try await stored { () async throws(StoreError) in try await store.addSession(session, at: time) }
        return SignedIn(session: session, token: token, user: user)
    }

    static func newSession(token: String, user: String, at time: Timestamp) -> StoredSession {
        StoredSession(
            id: sessionID(token), user: user, csrf: randomHex(16), createdAt: time,
            expiresAt: Timestamp(microseconds: time.microseconds + sessionLength, offsetSeconds: time.offsetSeconds))
    }

    // MARK: One-time codes

    /// How long a one-time code stays usable.
    public static let codeLifetime: Int64 = 24 * 3600 * 1_000_000
    /// Capitals and digits that cannot be mistaken for one another (no I, O, 0 or 1): 32 of them.
    static let codeAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789".utf8)

    /// Makes a one-time sign-in code for a client user, by staff who may record for that client: a code to
    /// type (`ABCD-EFGH`), a link that carries it, and the link as a printable QR code. Only the code's
    /// SHA-256 is stored; it works once, within 24 hours.
    public func createSignInCode(for user: String, as actor: Actor) async throws(CoreError) -> OneTimeCode {
        try requireStaffSession(actor)
        let client = try await clientOfUser(user)
        do {
            try await authorize(actor, .record(client: client))
        } catch where error.code == .notFound {
            // A client user of another unit is as unknown as no user at all: the answer names neither the client nor that they exist.
            throw CoreError(.notFound, key: "user.notClientUser", ["user": user])
        }
        return try await createSignInCode(for: user, by: actor.auditName)
    }

    /// A one-time code lets whoever holds it act as the client, so only staff signed in themselves make one,
    /// never an API token (a token with `record` scope could otherwise become any client it may record for).
    private func requireStaffSession(_ actor: Actor) throws(CoreError) {
        guard actor.scopes == nil else { throw CoreError(.forbidden, key: "forbidden.codeByToken") }
    }

    /// Makes a one-time sign-in code for a client (by staff who may record for them): for the client's
    /// user, which is made first when the client has none (a client user named by the client's pseudonym).
    public func createSignInCode(forClient client: String, as actor: Actor) async throws(CoreError) -> OneTimeCode {
        try requireStaffSession(actor)
        try await authorize(actor, .record(client: client))
        let users = try await stored { () async throws(StoreError) in try await store.userList(.client(client), after: nil, limit: 10) }
        if let user = users.first(where: { $0.role == .client }) {
            return try await createSignInCode(for: user.id, by: actor.auditName)
        }
        var id = client
        var suffix = 2
        while try await stored({ [id] () async throws(StoreError) in try await store.user(id: id) }) != nil {
            id = "\(client)-\(suffix)"
            suffix += 1
        }
        try await addUser(id: id, role: .client, client: client, by: actor.auditName)
        return try await createSignInCode(for: id, by: actor.auditName)
    }

    /// The same, for the operator of the command-line tool (who may do everything).
    package func createSignInCode(for user: String, by actor: String) async throws(CoreError) -> OneTimeCode {
        _ = try await clientOfUser(user)
        var generator = SystemRandomNumberGenerator()
        let plain = String(decoding: (0..<8).map { _ in Self.codeAlphabet[Int(UInt8.random(in: 0...31, using: &generator))] }, as: UTF8.self)
        let time = now
        let code = SignInCode(
            id: try codeID(plain), user: user, createdBy: actor, createdAt: time,
            expiresAt: Timestamp(microseconds: time.microseconds + Self.codeLifetime, offsetSeconds: time.offsetSeconds))
        try await stored { () async throws(StoreError) in try await store.addSignInCode(code, at: time) }
        let base: String
        do {
            base = try publisher().layout.base
        } catch {
            throw CoreError(.failure, key: "signIn.noIssuer")
        }
        let link = base + "signin?code=" + plain
        return OneTimeCode(
            code: plain.prefix(4) + "-" + plain.suffix(4), link: link, user: user, expiresAt: code.expiresAt)
    }

    private func clientOfUser(_ user: String) async throws(CoreError) -> String {
        guard let target = try await stored({ () async throws(StoreError) in try await store.user(id: user) }), target.role == .client, let client = target.client
        else { throw CoreError(.notFound, key: "user.notClientUser", ["user": user]) }
        return client
    }

    /// Signs a client in with a one-time code (any case, with or without the dash): it is used up at once.
    /// Failures are throttled per address.
    public func signIn(code text: String, address: String?) async throws(CoreError) -> SignedIn {
        let time = now
        if let wait = try await throttle.codeWait(address: address, now: time) {
            throw CoreError(.throttled, key: "signIn.throttled", ["seconds": "\(wait)"], problems: ["retry-after: \(wait)"])
        }
        let refused = CoreError(.unauthenticated, key: "code.invalid")
        guard text.utf8.count <= 64 else {
            try await throttle.codeFailed(address: address, now: time)
            CoreMetrics.signInFailed(.code)
            throw refused
        }
        let plain = String(text.uppercased().filter { $0 != "-" && $0 != " " })
        guard plain.utf8.count == 8, plain.utf8.allSatisfy(Self.codeAlphabet.contains) else {
            try await throttle.codeFailed(address: address, now: time)
            CoreMetrics.signInFailed(.code)
            throw refused
        }
        let token = Self.randomHex(32)
        let id = try codeID(plain)
        guard
            let session = try await stored({ () async throws(StoreError) in
                try await store.redeemSignInCode(id: id, session: { Self.newSession(token: token, user: $0, at: time) }, at: time)
            }),
            let user = try await stored({ () async throws(StoreError) in try await store.user(id: session.user) })
        else {
            try await throttle.codeFailed(address: address, now: time)
            CoreMetrics.signInFailed(.code)
            throw refused
        }
        return SignedIn(session: session, token: token, user: user)
    }

    static func sessionID(_ token: String) -> String { hexString(Array(SHA256.hash(data: Array(token.utf8)))) }

    /// What is stored of a one-time code: its HMAC-SHA256 under the server's secret (a code has 40 bits, so
    /// a plain hash in a copied database could be reversed by trying them all).
    func codeID(_ plain: String) throws(CoreError) -> String {
        let secret: [UInt8]
        do { secret = try keys.secret(named: "sign-in-codes") } catch {
            throw CoreError(.failure, "the server's secret for sign-in codes cannot be read or made in \(keys.directory)")
        }
        return Self.hexString(Array(HMAC<SHA256>.authenticationCode(for: Array(plain.utf8), using: SymmetricKey(data: secret))))
    }

    /// `count` random bytes (from the system's generator) in lower-case hex.
    public static func randomHex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hexString((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static func hexString(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
}

/// bcrypt checks on a small pool of threads of their own: a password check takes a quarter of a second of
/// one core by design, and on the threads that answer requests a stream of sign-ins would stall every page.
/// At most `workers` checks run at once, on threads that yield to the rest of the server (nice 19), and
/// `capacity` wait; beyond that a sign-in is refused at once with a time to retry (503), so a flood costs the
/// server no more than the pool.
package final class PasswordChecks: @unchecked Sendable {
    package static let shared = PasswordChecks(workers: max(1, ProcessInfo.processInfo.activeProcessorCount / 2), capacity: 32)

    private let capacity: Int
    // `condition` guards `jobs` and `pending` (the checks waiting or running).
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var pending = 0

    package init(workers: Int, capacity: Int) {
        self.capacity = capacity
        for index in 0..<workers {
            let thread = Thread { [self] in work() }
            thread.name = "bcrypt-\(index)"  // Linux keeps 15 characters
            thread.start()
        }
    }

    /// A bcrypt hash of a random password no one knows: checked against when the user has no password.
    /// Made once, on first use — by a pool thread when the server asks, never on a thread that answers pages.
    static let unknownUserHash = Bcrypt.hash(BadgeService.randomHex(16), cost: 12)

    /// Whether `password` matches `hash` (no hash: checked against ``unknownUserHash``, and so never right),
    /// checked on the pool; `.unavailable` when the pool is full.
    package func verify(_ password: String, hash: String?) async throws(CoreError) -> Bool {
        let admitted = condition.withLock {
            guard pending < capacity else { return false }
            pending += 1
            return true
        }
        guard admitted else { throw CoreError(.unavailable, key: "signIn.busy", problems: ["retry-after: 2"]) }
        return await withCheckedContinuation { continuation in
            condition.withLock {
                jobs.append {
                    let right = Bcrypt.verify(password, hash: hash ?? Self.unknownUserHash) && hash != nil
                    self.condition.withLock { self.pending -= 1 }
                    continuation.resume(returning: right)
                }
                condition.signal()
            }
        }
    }

    private func work() {
        // Linux keeps a nice value per thread: this one gives way to the threads that answer pages, yet still
        // gets a share of a busy core (SCHED_IDLE would give it almost none, and a sign-in could wait for
        // minutes while the server is busy: staff must always be able to sign in).
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #endif
        _ = Self.unknownUserHash  // made here, before any sign-in waits for it
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
