import Basics
import Crypto
import CryptoExtras
import Foundation

/// JWS compact serialization (RFC 7515) over swift-crypto: `BASE64URL(header).BASE64URL(payload).BASE64URL(signature)`.
enum JWS {
    /// The protected header of a token: `alg`, and for OB 3.0 the key URL as `kid` and `typ: JWT`.
    static func header(algorithm: SigningAlgorithm, kid: String?, type: String?) -> [UInt8] {
        var fields: [String: JSONValue] = ["alg": .string(algorithm.rawValue)]
        if let kid { fields["kid"] = .string(kid) }
        if let type { fields["typ"] = .string(type) }
        return JSONValue.object(fields).jsonBytes()
    }

    /// Signs `header.payload` and returns the whole token; `writePayload` appends the base64url payload.
    ///
    /// - Parameter hashedPrefix: the hash state of the token's first bytes when they are known in advance.
    static func compact(
        encodedHeader: [UInt8], key: KeyMaterial, hashedPrefix: HashedPrefix? = nil, writePayload: (inout [UInt8]) throws -> Void
    ) throws -> [UInt8] {
        var token = encodedHeader
        token.append(UInt8(ascii: "."))
        try writePayload(&token)
        let signature = try key.signature(for: token, hashedPrefix: hashedPrefix)
        token.append(UInt8(ascii: "."))
        Base64URL.append(signature, to: &token)
        return token
    }

    /// Signs a JSON document as a compact JWS.
    static func sign(_ document: JSONValue, header: [UInt8], key: KeyMaterial) throws -> [UInt8] {
        var encodedHeader: [UInt8] = []
        Base64URL.append(header, to: &encodedHeader)
        return try compact(encodedHeader: encodedHeader, key: key) { Base64URL.append(document.jsonBytes(), to: &$0) }
    }
}

/// A public key read from a JWK, ready to check signatures.
struct VerificationKey: Sendable {
    enum Backing: Sendable {
        case es256(P256.Signing.PublicKey)
        case rs256(_RSA.Signing.PublicKey)
        case edDSA(Curve25519.Signing.PublicKey)
    }

    let backing: Backing

    var algorithm: SigningAlgorithm {
        switch backing {
        case .es256: .es256
        case .rs256: .rs256
        case .edDSA: .edDSA
        }
    }

    /// - Throws: ``CredentialError`` when the JWK is not an EC P-256, RSA (2048 bits or more) or Ed25519 public key.
    init(jwk: [String: JSONValue]) throws {
        func part(_ name: String) throws -> [UInt8] {
            guard case .string(let text)? = jwk[name], let bytes = Base64URL.decode(text), !bytes.isEmpty else {
                throw CredentialError.invalidInput("the JWK has no valid \"\(name)\"")
            }
            return bytes
        }
        do {
            switch (jwk["kty"], jwk["crv"]) {
            case (.string("EC")?, .string("P-256")?):
                let x = try part("x"), y = try part("y")
                guard x.count == 32, y.count == 32 else { throw CredentialError.invalidInput("the P-256 JWK coordinates are not 32 bytes") }
                backing = .es256(try P256.Signing.PublicKey(x963Representation: [0x04] + x + y))
            case (.string("RSA")?, _):
                backing = .rs256(try _RSA.Signing.PublicKey(n: try part("n"), e: try part("e")))
            case (.string("OKP")?, .string("Ed25519")?):
                backing = .edDSA(try Curve25519.Signing.PublicKey(rawRepresentation: try part("x")))
            default:
                throw CredentialError.invalidInput("the JWK is not an EC P-256, RSA or Ed25519 public key")
            }
        } catch let error as CredentialError {
            throw error
        } catch {
            throw CredentialError.invalidInput("the JWK does not hold a usable public key")
        }
    }

    /// Whether `signature` is this key's JWS signature over `input`.
    /// `digest`, when given, is the SHA-256 of `input` (ES256 and RS256 sign it; EdDSA signs `input` itself).
    func isValidSignature(_ signature: [UInt8], for input: ArraySlice<UInt8>, digest: SHA256.Digest? = nil) -> Bool {
        switch backing {
        case .es256(let key):
            guard signature.count == 64, let value = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(value, for: digest ?? SHA256.hash(data: input))
        case .rs256(let key):
            let value = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(value, for: digest ?? SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case .edDSA(let key):
            return signature.count == 64 && key.isValidSignature(signature, for: input)
        }
    }
}

/// A compact JWS as a holder takes it apart (nothing here checks a signature).
public enum CompactJWS {
    /// The decoded payload of a compact JWS (`header.payload.signature`); nil when it is not one.
    public static func payload(of token: [UInt8]) -> [UInt8]? {
        let parts = token.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return Base64URL.decode(String(decoding: parts[1], as: UTF8.self))
    }
}
