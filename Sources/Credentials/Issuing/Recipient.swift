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
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, var byte) in random.prefix(16).enumerated() {
            if index == 6 { byte = byte & 0x0F | 0x40 }
            if index == 8 { byte = byte & 0x3F | 0x80 }
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

/// Lower-case hexadecimal.
enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
