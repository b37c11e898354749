public import Basics
import Credentials
import Foundation
import Storage

/// One file a holder can take of a credential: the credential as issued, or a form of it that a wallet,
/// a backpack or a person can read.
public struct CredentialFile: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// An OB 3.0 VC-JWT as issued (compact JWS).
        case jwt
        /// The credential a VC-JWT carries (its payload), as JSON.
        case jwtPayload
        /// An OB 3.0 credential with a Data Integrity proof, as issued.
        case dataIntegrity
        /// An OB 2.0 hosted assertion, as issued.
        case hostedAssertion
        /// An OB 2.0 signed assertion (compact JWS), as issued.
        case signedAssertion
        /// The badge image with the credential baked in.
        case bakedImage
    }

    public var kind: Kind
    /// The file's name, distinct among the files of one badge's credentials (`credential.jwt`,
    /// `credential.json`, `credential-ldp.json`, `assertion.json`, `assertion.jws`, `badge.svg`).
    public var name: String
    public var mediaType: String
    public var bytes: [UInt8]

    public init(kind: Kind, name: String, mediaType: String, bytes: [UInt8]) {
        self.kind = kind
        self.name = name
        self.mediaType = mediaType
        self.bytes = bytes
    }
}

extension CredentialFile {
    /// The files of a credential as issued (the baked images are ``BadgeService/bakedCredential(_:fileExtension:as:)``).
    public static func files(of credential: IssuedCredential) -> [CredentialFile] {
        switch credential.format {
        case .ob3JWT:
            var files = [CredentialFile(kind: .jwt, name: "credential.jwt", mediaType: "application/vc+jwt", bytes: credential.bytes)]
            if let payload = CompactJWS.payload(of: credential.bytes) {
                files.append(CredentialFile(kind: .jwtPayload, name: "credential.json", mediaType: "application/json", bytes: payload))
            }
            return files
        case .ob3LDP:
            return [CredentialFile(kind: .dataIntegrity, name: "credential-ldp.json", mediaType: "application/vc+ld+json", bytes: credential.bytes)]
        case .ob2Hosted:
            return [CredentialFile(kind: .hostedAssertion, name: "assertion.json", mediaType: "application/json", bytes: credential.bytes)]
        case .ob2Signed:
            return [CredentialFile(kind: .signedAssertion, name: "assertion.jws", mediaType: "text/plain; charset=utf-8", bytes: credential.bytes)]
        }
    }
}
