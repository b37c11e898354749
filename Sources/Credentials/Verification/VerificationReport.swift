public import Basics
import Definitions

/// Why a credential is not valid, named plainly.
public enum VerificationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case unknownKey(String)
    case badSignature
    case expired(String)
    case notYetValid(String)
    case revoked(String)
    /// The suspension bit of the credential's status list place is set.
    case suspended
    /// The credential names a status list that cannot be read or trusted.
    case statusUnknown(String)
    case recipientMismatch
    case claimsMismatch(String)

    public var description: String {
        switch self {
        case .malformed(let detail): "malformed: \(detail)"
        case .unknownKey(let detail): "unknown key: \(detail)"
        case .badSignature: "bad signature: the credential was changed after signing, or signed by another key"
        case .expired(let time): "expired: valid until \(time)"
        case .notYetValid(let time): "not yet valid: valid from \(time)"
        case .revoked(let reason): "revoked: \(reason)"
        case .suspended: "suspended: the issuer has suspended this credential for now"
        case .statusUnknown(let detail): "status unknown: \(detail)"
        case .recipientMismatch: "recipient mismatch: the credential was not issued to this recipient"
        case .claimsMismatch(let detail): "claims mismatch: \(detail)"
        }
    }
}

extension VerificationFailure {
    /// The failure in plain words in a language (details from the credential itself stay as they are).
    public func text(in language: Language) -> String {
        let strings = Localizer.shared
        return switch self {
        case .malformed(let detail): strings.text("verify.failure.malformed", language, ["detail": detail])
        case .unknownKey(let detail): strings.text("verify.failure.unknownKey", language, ["detail": detail])
        case .badSignature: strings.text("verify.failure.badSignature", language)
        case .expired(let time): strings.text("verify.failure.expired", language, ["time": time])
        case .notYetValid(let time): strings.text("verify.failure.notYetValid", language, ["time": time])
        case .revoked(let reason): strings.text("verify.failure.revoked", language, ["reason": reason])
        case .suspended: strings.text("verify.failure.suspended", language)
        case .statusUnknown(let detail): strings.text("verify.failure.statusUnknown", language, ["detail": detail])
        case .recipientMismatch: strings.text("verify.failure.recipientMismatch", language)
        case .claimsMismatch(let detail): strings.text("verify.failure.claimsMismatch", language, ["detail": detail])
        }
    }
}

/// The outcome of verifying one credential.
public struct VerificationReport: Sendable {
    /// `OB 3.0 VC-JWT`, `OB 2.0 signed`, `OB 2.0 hosted`.
    public var kind: String
    public var id: String?
    public var issuer: String?
    public var badgeName: String?
    public var algorithm: String?
    public var keyID: String?
    public var failures: [VerificationFailure]

    public var isValid: Bool { failures.isEmpty }

    public init(kind: String, failures: [VerificationFailure]) {
        self.kind = kind
        self.failures = failures
    }
}
