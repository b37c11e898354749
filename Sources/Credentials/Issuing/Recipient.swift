import Basics
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who a credential is for, without naming them.
public enum Recipient: Sendable, Equatable {
    /// An e-mail address, stored only as a salted SHA-256 hash.
    case email(String)
    /// A pseudonymous subject id given by the caller (a URI such as `urn:uuid:…` or a DID).
    case subjectID(String)
    /// A fresh random `urn:uuid:` subject id for this credential alone.
    case anonymous

    /// E-mail addresses are compared trimmed and in lower case, when hashing and when verifying.
    public static func normalize(email: String) -> String {
        // Most addresses arrive already in that form; check before building a new string.
        let plain = email.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !($0 >= 0x41 && $0 <= 0x5A) }
        return plain ? email : email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// `sha256$` + hex(SHA-256(identity + salt)), the Open Badges identity hash.
    public static func identityHash(_ identity: String, salt: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(identity.utf8))
        hasher.update(data: Array(salt.utf8))
        return "sha256$" + Hex.encode(hasher.finalize())
    }

    /// A salt (16 hex digits) from 8 bytes the caller drew from a cryptographic generator.
    static func salt(from random: ArraySlice<UInt8>) -> String {
        Hex.encode(random.prefix(8))
    }

    /// A version 4 UUID from 16 bytes the caller drew from a cryptographic generator.
    static func uuid(from random: ArraySlice<UInt8>) -> String {
        var bytes = Array(random.prefix(16))
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        return uuidText(bytes)
    }

    /// A version 7 UUID (RFC 9562 §5.7) for now, with 8 random bytes the caller drew from a cryptographic
    /// generator. Credential ids are these: ids made later sort later, so the store's index of credential
    /// ids grows at its end rather than at a random page for every credential (with random ids, each
    /// credential rewrote a 16 KB index page: five times the bytes of the credential itself).
    static func timeOrderedUUID(random: ArraySlice<UInt8>) -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let nanoseconds = UInt64(time.tv_nsec)
        return timeOrderedUUID(
            milliseconds: UInt64(time.tv_sec) * 1000 + nanoseconds / 1_000_000,
            fraction: UInt16((nanoseconds % 1_000_000) * 4096 / 1_000_000), random: random)
    }

    /// A version 7 UUID: 48 bits of Unix time in milliseconds, the version, the fraction of the millisecond
    /// in 12 bits (method 3 of RFC 9562 §6.2, so ids of one millisecond keep their order too), the variant,
    /// and 62 random bits.
    static func timeOrderedUUID(milliseconds: UInt64, fraction: UInt16, random: ArraySlice<UInt8>) -> String {
        var bytes = (0..<6).map { UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * $0)) }
        bytes.append(0x70 | UInt8(truncatingIfNeeded: fraction >> 8) & 0x0F)
        bytes.append(UInt8(truncatingIfNeeded: fraction))
        bytes += random.prefix(8)
        bytes[8] = bytes[8] & 0x3F | 0x80
        return uuidText(bytes)
    }

    private static func uuidText(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(Hex.digits[Int(byte >> 4)])
            text.append(Hex.digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Bytes from the C library's cryptographic generator (`arc4random_buf`, kernel-seeded) in one call;
/// the standard library's generator would make a system call for every 8 bytes.
func randomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    if count > 0 { bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, count) } }
    return bytes
}

