/// A problem while managing keys or issuing, publishing, baking or verifying credentials.
///
/// The message never contains private key material.
public struct CredentialError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        case keyFile
        case unknownKey
        case retiredKey
        case wrongAlgorithm
        case invalidInput
        case notEarned
        case io
    }

    public var code: Code
    public var message: String

    public var description: String { message }

    public static func keyFile(_ message: String) -> CredentialError { CredentialError(code: .keyFile, message: message) }
    public static func unknownKey(_ message: String) -> CredentialError { CredentialError(code: .unknownKey, message: message) }
    public static func invalidInput(_ message: String) -> CredentialError { CredentialError(code: .invalidInput, message: message) }
    public static func io(_ message: String) -> CredentialError { CredentialError(code: .io, message: message) }
}
