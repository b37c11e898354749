public import Basics
import Foundation

/// Where failed sign-ins are counted and what they allow next. One interface, so that the counts can move
/// into the shared database when several servers run; ``MemorySignInThrottle`` keeps them in this process.
///
/// The rules never lock an account: a wrong password slows down the (account, address) pair that typed it,
/// and an address that fails against many accounts; the right password from an address without failures
/// is always let through.
public protocol SignInThrottling: Sendable {
    /// Seconds until a password sign-in of `user` from `address` may be tried; nil: now.
    func passwordWait(user: String, address: String?, now: Timestamp) -> Int64?
    func passwordFailed(user: String, address: String?, now: Timestamp)
    func passwordSucceeded(user: String, address: String?)
    /// Seconds until a one-time code may be tried from `address`; nil: now.
    func codeWait(address: String?, now: Timestamp) -> Int64?
    func codeFailed(address: String?, now: Timestamp)
}

/// Counts of failures in a sliding window, kept in memory with a cap on how many keys are kept.
public final class MemorySignInThrottle: SignInThrottling, @unchecked Sendable {
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
    /// The most keys kept; beyond it the oldest are forgotten first.
    public static let maximumKeys = 20_000

    private struct Count {
        var failures: Int
        var first: Int64
        var last: Int64
    }

    // `lock` guards `counts`. Keys: "pair:USER address", "user:USER", "address:A", "code:A", "codes".
    private let lock = NSLock()
    private var counts: [String: Count] = [:]

    public init() {}

    /// How many keys are kept now (for tests and the memory bound).
    public var keyCount: Int { lock.withLock { counts.count } }

    public func passwordWait(user: String, address: String?, now: Timestamp) -> Int64? {
        let place = Self.place(address)
        return lock.withLock {
            let time = now.microseconds
            var wait: Int64 = 0
            if let pair = current("pair:\(user) \(place)", time) {
                let free = (current("user:" + user, time)?.failures ?? 0) >= Self.accountBudget ? 0 : Self.freePairFailures
                if pair.failures > free {
                    let seconds = min(Int64(1) << min(pair.failures - free - 1, 20), Self.window / 1_000_000)
                    wait = max(wait, (pair.last + seconds * 1_000_000 - time + 999_999) / 1_000_000)
                }
            }
            if let spread = current("address:" + place, time), spread.failures >= Self.perAddress {
                wait = max(wait, (spread.first + Self.window - time + 999_999) / 1_000_000)
            }
            return wait > 0 ? wait : nil
        }
    }

    public func passwordFailed(user: String, address: String?, now: Timestamp) {
        let place = Self.place(address)
        lock.withLock {
            for key in ["pair:\(user) \(place)", "user:" + user, "address:" + place] { count(key, now.microseconds) }
        }
    }

    public func passwordSucceeded(user: String, address: String?) {
        let place = Self.place(address)
        lock.withLock { counts["pair:\(user) \(place)"] = nil }
    }

    public func codeWait(address: String?, now: Timestamp) -> Int64? {
        let place = Self.place(address)
        return lock.withLock {
            let time = now.microseconds
            var wait: Int64 = 0
            for (key, limit) in [("code:" + place, Self.codesPerAddress), ("codes", Self.codesOverall)] {
                if let found = current(key, time), found.failures >= limit {
                    wait = max(wait, (found.first + Self.window - time + 999_999) / 1_000_000)
                }
            }
            return wait > 0 ? wait : nil
        }
    }

    public func codeFailed(address: String?, now: Timestamp) {
        let place = Self.place(address)
        lock.withLock {
            for key in ["code:" + place, "codes"] { count(key, now.microseconds) }
        }
    }

    /// The count of a key while its window lasts (a window starts at its first failure).
    private func current(_ key: String, _ time: Int64) -> Count? {
        guard let found = counts[key] else { return nil }
        guard found.first > time - Self.window else {
            counts[key] = nil
            return nil
        }
        return found
    }

    private func count(_ key: String, _ time: Int64) {
        if var found = current(key, time) {
            found.failures += 1
            found.last = time
            counts[key] = found
            return
        }
        if counts.count >= Self.maximumKeys {
            // Forget what is out of the window, then, if still full, the half that failed longest ago.
            counts = counts.filter { $0.value.first > time - Self.window }
            if counts.count >= Self.maximumKeys {
                let cut = counts.values.map(\.last).sorted()[counts.count / 2]
                counts = counts.filter { $0.value.last > cut }
            }
        }
        counts[key] = Count(failures: 1, first: time, last: time)
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
