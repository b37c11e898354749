import Basics
import Crypto
import CryptoExtras
import Definitions
import Foundation

/// A private signing key of one algorithm, with its public forms (JWK, SPKI PEM).
///
/// The private key never leaves this type except as PEM written to a 0600 file by ``KeyStore``.
struct KeyMaterial: Sendable {
    enum Backing: Sendable {
        case es256(P256.Signing.PrivateKey)
        case rs256(_RSA.Signing.PrivateKey)
        case edDSA(Curve25519.Signing.PrivateKey)
    }

    let backing: Backing

    var algorithm: SigningAlgorithm {
        switch backing {
        case .es256: .es256
        case .rs256: .rs256
        case .edDSA: .edDSA
        }
    }

    static func generate(_ algorithm: SigningAlgorithm) throws -> KeyMaterial {
        switch algorithm {
        case .es256: KeyMaterial(backing: .es256(P256.Signing.PrivateKey()))
        case .rs256: KeyMaterial(backing: .rs256(try _RSA.Signing.PrivateKey(keySize: .bits2048)))
        case .edDSA: KeyMaterial(backing: .edDSA(Curve25519.Signing.PrivateKey()))
        }
    }

    /// PKCS#8 PEM of the private key.
    var privatePEM: String {
        switch backing {
        case .es256(let key): key.pemRepresentation
        case .rs256(let key): key.pkcs8PEMRepresentation
        case .edDSA(let key): PEM.encode(Self.ed25519PKCS8Prefix + key.rawRepresentation, label: "PRIVATE KEY")
        }
    }

    static func load(pem: String, algorithm: SigningAlgorithm) throws -> KeyMaterial {
        switch algorithm {
        case .es256:
            return KeyMaterial(backing: .es256(try P256.Signing.PrivateKey(pemRepresentation: pem)))
        case .rs256:
            return KeyMaterial(backing: .rs256(try _RSA.Signing.PrivateKey(pemRepresentation: pem)))
        case .edDSA:
            guard let der = PEM.decode(pem, label: "PRIVATE KEY"), der.count == Self.ed25519PKCS8Prefix.count + 32,
                der.prefix(Self.ed25519PKCS8Prefix.count) == Self.ed25519PKCS8Prefix
            else { throw CredentialError.keyFile("not an Ed25519 PKCS#8 private key") }
            return KeyMaterial(backing: .edDSA(try Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))))
        }
    }

    /// SubjectPublicKeyInfo PEM of the public key.
    var publicPEM: String {
        switch backing {
        case .es256(let key): key.publicKey.pemRepresentation
        case .rs256(let key): key.publicKey.pemRepresentation
        case .edDSA(let key): PEM.encode(Self.ed25519SPKIPrefix + key.publicKey.rawRepresentation, label: "PUBLIC KEY")
        }
    }

    /// The public key as a JWK (RFC 7517) with `kid`, `alg` and `use`.
    func publicJWK(kid: String) throws -> JSONValue {
        var fields: [String: JSONValue] = ["kid": .string(kid), "alg": .string(algorithm.rawValue), "use": "sig"]
        switch backing {
        case .es256(let key):
            let point = key.publicKey.x963Representation
            fields["kty"] = "EC"
            fields["crv"] = "P-256"
            fields["x"] = .string(Base64URL.encode(point.dropFirst().prefix(32)))
            fields["y"] = .string(Base64URL.encode(point.suffix(32)))
        case .rs256(let key):
            let primitives = try key.publicKey.getKeyPrimitives()
            fields["kty"] = "RSA"
            fields["n"] = .string(Base64URL.encode(primitives.modulus.drop { $0 == 0 }))
            fields["e"] = .string(Base64URL.encode(primitives.publicExponent.drop { $0 == 0 }))
        case .edDSA(let key):
            fields["kty"] = "OKP"
            fields["crv"] = "Ed25519"
            fields["x"] = .string(Base64URL.encode(key.publicKey.rawRepresentation))
        }
        return .object(fields)
    }

    /// The JWS signature (RFC 7518) over `input`: raw r‖s for ES256, RSASSA-PKCS1-v1_5 with SHA-256 for
    /// RS256, Ed25519 for EdDSA.
    func signature(for input: [UInt8], hashedPrefix prefix: HashedPrefix? = nil) throws -> [UInt8] {
        switch backing {
        case .es256(let key): Array(try key.signature(for: Self.sha256(input, prefix)).rawRepresentation)
        case .rs256(let key): Array(try key.signature(for: Self.sha256(input, prefix), padding: .insecurePKCS1v1_5).rawRepresentation)
        case .edDSA(let key): Array(try key.signature(for: input))  // Ed25519 hashes the whole message itself.
        }
    }

    /// SHA-256 of `input`, continued from the state after its (constant) first bytes when that is known.
    private static func sha256(_ input: [UInt8], _ prefix: HashedPrefix?) -> SHA256.Digest {
        guard let prefix, prefix.length <= input.count else { return SHA256.hash(data: input) }
        var hasher = prefix.state
        hasher.update(data: input[prefix.length...])
        return hasher.finalize()
    }

    static let ed25519PKCS8Prefix = Data([0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
    static let ed25519SPKIPrefix = Data([0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00])
}

/// The SHA-256 state after the first `length` bytes of a signing input that many inputs share (the JOSE
/// header and the fixed start of a badge's payload), so that signing hashes only the rest.
struct HashedPrefix: Sendable {
    let state: SHA256
    let length: Int

    init(_ bytes: [UInt8]) {
        var state = SHA256()
        state.update(data: bytes)
        self.state = state
        length = bytes.count
    }
}

/// PEM armour (RFC 7468).
enum PEM {
    static func encode(_ der: Data, label: String) -> String {
        let base64 = der.base64EncodedString()
        var lines: [String] = []
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<end]))
            index = end
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }

    static func decode(_ pem: String, label: String) -> Data? {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = pem.range(of: begin), let stop = pem.range(of: end, range: start.upperBound..<pem.endIndex) else { return nil }
        let body = pem[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body))
    }
}
