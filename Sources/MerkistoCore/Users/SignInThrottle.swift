public import Basics
public import Storage
import Foundation

/// The sign-in throttle's rules over failure counts kept in the store, so that every server sees the same
/// counts (and a restart forgets none).
///
/// The rules never lock an account: a wrong password slows down the (account, address) pair that typed it,
/// and an address that fails against many accounts; the right password from an address without failures
/// is always let through. Counts are kept under keys: "pair:USER PLACE", "user:USER", "address:PLACE",
/// "code:PLACE" and "codes", each for a window that starts at its first failure.
public struct SignInThrottle: Sendable {
    /// How long a failure counts.
    public static let window: Int64 = 15 * 60 * 1_000_000
    /// Wrong passwords an (account, address) pair may make before each further try waits (1, 2, 4 … s, at most 15 min).
    public static let freePairFailures = 3
    /// Failures of one account from all addresses in the window after which a pair gets no free tries.
    public static let accountBudget = 10
    /// Failures from one address (all accounts, or all codes) after which that address waits for the window.
    public static let perAddress = 30
    /// Wrong one-time codes from one address in the window.
    public static let codesPerAddress = 10
    /// Wrong one-time codes from everywhere in the window: beyond it, codes are not tried until the window moves
    /// (a code has 40 bits; this keeps guessing from many addresses hopeless).
    public static let codesOverall = 200

    let store: any Store

    public init(store: any Store) {
        self.store = store
    }

    /// Seconds until a password sign-in of `user` from `address` may be tried; nil: now.
    public func passwordWait(user: String, address: String?, now: Timestamp) async throws(CoreError) -> Int64? {
        let place = Self.place(address)
        let time = now.microseconds
        let pairKey = "pair:\(user) \(place)", userKey = "user:" + user, addressKey = "address:" + place
        let counts = try await counts([pairKey, userKey, addressKey], time)
        var wait: Int64 = 0
        if let pair = counts[pairKey] {
            let free = (counts[userKey]?.failures ?? 0) >= Self.accountBudget ? 0 : Self.freePairFailures
            if pair.failures > free {
                let seconds = min(Int64(1) << min(pair.failures - free - 1, 20), Self.window / 1_000_000)
                wait = max(wait, (pair.last + seconds * 1_000_000 - time + 999_999) / 1_000_000)
            }
        }
        if let spread = counts[addressKey], spread.failures >= Self.perAddress {
            wait = max(wait, (spread.first + Self.window - time + 999_999) / 1_000_000)
        }
        return wait > 0 ? wait : nil
    }

    public func passwordFailed(user: String, address: String?, now: Timestamp) async throws(CoreError) {
        let place = Self.place(address)
        try await count(["pair:\(user) \(place)", "user:" + user, "address:" + place], now.microseconds)
    }

    public func passwordSucceeded(user: String, address: String?) async throws(CoreError) {
        let keys = ["pair:\(user) \(Self.place(address))"]
        try await stored { () async throws(StoreError) in try await store.clearFailures(keys) }
    }

    /// Seconds until a one-time code may be tried from `address`; nil: now.
    public func codeWait(address: String?, now: Timestamp) async throws(CoreError) -> Int64? {
        try await windowWait([("code:" + Self.place(address), Self.codesPerAddress), ("codes", Self.codesOverall)], now: now)
    }

    /// Seconds until the window of the first key that has reached its limit moves on; nil: none has.
    private func windowWait(_ limits: [(key: String, limit: Int)], now: Timestamp) async throws(CoreError) -> Int64? {
        let time = now.microseconds
        let counts = try await counts(limits.map(\.key), time)
        var wait: Int64 = 0
        for (key, limit) in limits {
            if let found = counts[key], found.failures >= limit {
                wait = max(wait, (found.first + Self.window - time + 999_999) / 1_000_000)
            }
        }
        return wait > 0 ? wait : nil
    }

    public func codeFailed(address: String?, now: Timestamp) async throws(CoreError) {
        try await count(["code:" + Self.place(address), "codes"], now.microseconds)
    }

    /// OAuth registrations one address may make in the window, and all addresses together: registering
    /// needs no account (RFC 7591 without an initial access token), so its rows are bounded this way.
    public static let registrationsPerAddress = 20
    public static let registrationsOverall = 100

    /// Seconds until a service may register from `address`; nil: now.
    public func registrationWait(address: String?, now: Timestamp) async throws(CoreError) -> Int64? {
        try await windowWait([("register:" + Self.place(address), Self.registrationsPerAddress), ("registrations", Self.registrationsOverall)], now: now)
    }

    /// Counts a registration from `address`.
    public func registered(address: String?, now: Timestamp) async throws(CoreError) {
        try await count(["register:" + Self.place(address), "registrations"], now.microseconds)
    }

    private func counts(_ keys: [String], _ time: Int64) async throws(CoreError) -> [String: FailureCount] {
        try await stored { () async throws(StoreError) in try await store.failureCounts(keys, windowStart: time - Self.window) }
    }

    private func count(_ keys: [String], _ time: Int64) async throws(CoreError) {
        try await stored { () async throws(StoreError) in try await store.countFailure(keys, at: time, windowStart: time - Self.window) }
    }

    /// Where a sign-in comes from, as counted: an IPv4 address as it is, an IPv6 address by its /64 (one
    /// home or office holds a whole /64), anything else as one place.
    package static func place(_ address: String?) -> String {
        guard let address, address.utf8.count <= 64 else { return "?" }
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return address }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return "?" }
        let bytes = withUnsafeBytes(of: &v6) { Array($0.prefix(8)) }
        if bytes.prefix(8) == [0, 0, 0, 0, 0, 0, 0, 0] {
            // ::ffff:a.b.c.d and the like: the IPv4 address inside counts as itself.
            let all = withUnsafeBytes(of: &v6) { Array($0) }
            if all[8..<12] == [0, 0, 0xFF, 0xFF] { return all[12..<16].map(String.init).joined(separator: ".") }
        }
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":") + "::/64"
    }
}
