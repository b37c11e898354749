import Basics
import Foundation

/// Where every public document lives under the issuer's base URL; `merkisto publish` writes the same paths.
public struct PublishLayout: Sendable {
    /// The base URL, always ending in `/`.
    public let base: String
    public let issuerID: String

    /// The issuer's `did:web` identifier (W3C did:web method): the base URL's host (a port written `%3A`)
    /// and path, then `issuers:<id>`; it resolves to ``didDocumentPath`` under the base URL.
    public let did: String

    public init(baseURL: String, issuerID: String) {
        base = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        self.issuerID = issuerID
        var rest = Substring(base)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true).map { part in
            part.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: ":", with: "%3A")
        }
        did = (["did:web"] + parts + ["issuers", issuerID]).joined(separator: ":")
    }

    public var issuerProfile: String { base + issuerProfilePath }
    public var issuerProfilePath: String { "issuers/\(issuerID).json" }
    public var ob2Issuer: String { base + ob2IssuerPath }
    public var ob2IssuerPath: String { "ob2/issuers/\(issuerID).json" }
    public func achievement(_ badge: String) -> String { base + achievementPath(badge) }
    public func achievementPath(_ badge: String) -> String { "achievements/\(badge).json" }
    /// A baseline as an achievement (hand-over packages name it; its requirements are fragments of it).
    public func baseline(_ id: String) -> String { base + baselinePath(id) }
    public func baselinePath(_ id: String) -> String { "baselines/\(id).json" }
    public func badgeClass(_ badge: String) -> String { base + badgeClassPath(badge) }
    public func badgeClassPath(_ badge: String) -> String { "ob2/badges/\(badge).json" }
    public func image(_ badge: String, fileExtension: String) -> String { base + imagePath(badge, fileExtension: fileExtension) }
    public func imagePath(_ badge: String, fileExtension: String) -> String { "images/\(badge).\(fileExtension)" }
    public func jwk(_ kid: String) -> String { base + jwkPath(kid) }
    public func jwkPath(_ kid: String) -> String { "keys/\(kid).json" }
    public var jwksPath: String { "keys/jwks.json" }
    public var wellKnownJWKSPath: String { ".well-known/jwks.json" }
    public func cryptographicKey(_ kid: String) -> String { base + cryptographicKeyPath(kid) }
    public func cryptographicKeyPath(_ kid: String) -> String { "ob2/keys/\(kid).json" }
    public var revocationList: String { base + revocationListPath }
    public var revocationListPath: String { "status/revocations.json" }
    public var ob2RevocationList: String { base + ob2RevocationListPath }
    public var ob2RevocationListPath: String { "ob2/revocations.json" }
    public func hostedAssertion(_ uuid: String) -> String { base + hostedAssertionPath(uuid) }
    public func hostedAssertionPath(_ uuid: String) -> String { "ob2/assertions/\(uuid).json" }
    /// Where a server answers with an OB 3.0 credential (`urn:uuid:UUID`) by its unguessable id.
    public func credential(_ uuid: String) -> String { base + credentialPath(uuid) }
    public func credentialPath(_ uuid: String) -> String { "credentials/\(uuid)" }

    public var didDocumentPath: String { "issuers/\(issuerID)/did.json" }
    /// The Data Integrity verification method of a key: the DID and the key id as its fragment.
    public func verificationMethod(_ kid: String) -> String { did + "#" + kid }

    /// The UUID in a credential path (`credentials/UUID`), if the path is one.
    public func credentialUUID(fromPath path: String) -> String? {
        guard path.hasPrefix("credentials/") else { return nil }
        let uuid = path.dropFirst("credentials/".count)
        guard uuid.utf8.count == 36, uuid.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || Hex.digits.contains($0) }) else { return nil }
        return String(uuid)
    }

    /// The key id in a `kid` URL or a CryptographicKey URL published by this layout, if it is one.
    public static func kid(fromKeyURL url: String) -> String? {
        // By bytes (every verification asks this; comparing Characters cost more than a microsecond).
        let bytes = url.utf8
        let name = bytes[(bytes.lastIndex(of: UInt8(ascii: "/")).map { bytes.index(after: $0) } ?? bytes.startIndex)...]
        guard name.count > 5, name.suffix(5).elementsEqual(".json".utf8) else { return nil }
        return String(url[name.startIndex..<bytes.index(name.endIndex, offsetBy: -5)])
    }
}
