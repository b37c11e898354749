public import Basics
import Crypto
import Foundation
import HummingbirdBcrypt
public import Storage

/// Counts failed sign-ins per account and per address in a sliding window, and says when either has had
/// too many: then every attempt (right or wrong) is refused until the window has moved on.
final class SignInThrottle: @unchecked Sendable {
    static let window: Int64 = 15 * 60 * 1_000_000
    static let perAccount = 5
    static let perAddress = 20
    // `lock` guards `failures`: keys are "user:ID" and "address:IP".
    private let lock = NSLock()
    private var failures: [String: [Int64]] = [:]

    /// Seconds until `user` from `address` may try again; nil: now.
    func wait(user: String, address: String?, now: Timestamp) -> Int64? {
        lock.withLock {
            var longest: Int64?
            for (key, limit) in keys(user, address) {
                let recent = (failures[key] ?? []).filter { $0 > now.microseconds - Self.window }
                failures[key] = recent.isEmpty ? nil : recent
                if recent.count >= limit, let oldest = recent.first {
                    let seconds = (oldest + Self.window - now.microseconds + 999_999) / 1_000_000
                    longest = max(longest ?? 0, seconds)
                }
            }
            return longest
        }
    }

    func failed(user: String, address: String?, now: Timestamp) {
        lock.withLock { for (key, _) in keys(user, address) { failures[key, default: []].append(now.microseconds) } }
    }

    func succeeded(user: String) {
        lock.withLock { failures["user:" + user] = nil }
    }

    private func keys(_ user: String, _ address: String?) -> [(String, Int)] {
        [("user:" + user, Self.perAccount)] + (address.map { [("address:" + $0, Self.perAddress)] } ?? [])
    }
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

    /// Sets a user's password (at least 10 characters); the user's sessions end.
    public func setPassword(user: String, password: String, by actor: String) throws(CoreError) {
        guard password.count >= 10 else { throw CoreError(.invalid, "a password needs at least 10 characters") }
        guard password.utf8.count <= 72 else { throw CoreError(.invalid, "a password can have at most 72 bytes (bcrypt reads no more)") }
        let hash = Bcrypt.hash(password, cost: passwordCost)
        try stored { () throws(StoreError) in try store.setPassword(user: user, hash: hash, by: actor, at: now) }
    }

    /// Signs a person in with their user id and password, from `address` (for throttling). Every failure
    /// says the same, whether the user exists or not; too many failures for the account or the address
    /// refuse all attempts for a while (`.throttled`, with the seconds to wait).
    public func signIn(user id: String, password: String, address: String?) throws(CoreError) -> SignedIn {
        let time = now
        if let wait = throttle.wait(user: id, address: address, now: time) {
            throw CoreError(.throttled, "too many failed sign-ins; try again in \(wait) seconds", problems: ["retry-after: \(wait)"])
        }
        let refused = CoreError(.unauthenticated, "the user id or the password is wrong")
        let user = try stored { () throws(StoreError) in try store.user(id: id) }
        let hash = try stored { () throws(StoreError) in try store.passwordHash(user: id) }
        // An unknown user costs a bcrypt check too, so that the time taken does not tell who exists.
        let right = Bcrypt.verify(password, hash: hash ?? Self.unknownUserHash)
        guard right, hash != nil, let user else {
            throttle.failed(user: id, address: address, now: time)
            throw refused
        }
        throttle.succeeded(user: id)
        return try startSession(for: user, at: time)
    }

    /// The actor and the session a session token stands for; refused when unknown or expired.
    public func actor(session token: String) throws(CoreError) -> (actor: Actor, session: StoredSession) {
        let refused = CoreError(.unauthenticated, "the session has ended; sign in again")
        guard token.utf8.count == 64,
            let session = try stored({ () throws(StoreError) in try store.session(id: Self.sessionID(token)) }),
            session.expiresAt > now,
            let user = try stored({ () throws(StoreError) in try store.user(id: session.user) })
        else { throw refused }
        return (Actor(user: user), session)
    }

    /// Ends the session of a token (signing out twice is not an error).
    public func signOut(session token: String) throws(CoreError) {
        try stored { () throws(StoreError) in try store.removeSession(id: Self.sessionID(token), at: now) }
    }

    func startSession(for user: User, at time: Timestamp) throws(CoreError) -> SignedIn {
        let token = Self.randomHex(32)
        let session = StoredSession(
            id: Self.sessionID(token), user: user.id, csrf: Self.randomHex(16), createdAt: time,
            expiresAt: Timestamp(microseconds: time.microseconds + Self.sessionLength, offsetSeconds: time.offsetSeconds))
        try stored { () throws(StoreError) in try store.addSession(session, at: time) }
        return SignedIn(session: session, token: token, user: user)
    }

    static func sessionID(_ token: String) -> String { hexString(Array(SHA256.hash(data: Array(token.utf8)))) }

    /// A bcrypt hash of a random password no one knows: checked against when the user has no password.
    private static let unknownUserHash = Bcrypt.hash(randomHex(16), cost: 12)

    static func randomHex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hexString((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
