import Crypto
import Foundation

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
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// `sha256$` + hex(SHA-256(identity + salt)), the Open Badges identity hash.
    public static func identityHash(_ identity: String, salt: String) -> String {
        "sha256$" + SHA256.hash(data: Data((identity + salt).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func randomSalt() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String("0123456789abcdef".randomElement(using: &generator)!) }.joined()
    }
}
