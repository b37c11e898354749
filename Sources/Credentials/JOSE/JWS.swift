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

    /// Whether `signature` is this key's JWS signature over `input`; `hashes` may hold the SHA-256 state of
    /// a prefix of `input` hashed before.
    func isValidSignature(_ signature: [UInt8], for input: ArraySlice<UInt8>, hashes: PrefixHashes? = nil) -> Bool {
        switch backing {
        case .es256(let key):
            guard signature.count == 64, let value = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(value, for: hashes?.digest(of: input) ?? SHA256.hash(data: input))
        case .rs256(let key):
            let value = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(value, for: hashes?.digest(of: input) ?? SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case .edDSA(let key):
            return signature.count == 64 && key.isValidSignature(signature, for: input)
        }
    }
}

/// SHA-256 states after signing-input prefixes a verifier has already hashed.
///
/// Credentials of one badge from one issuer share most of their bytes: the header and, in the payload,
/// everything up to the first per-credential value (the whole achievement). When a signing input starts with
/// a prefix hashed before (compared byte for byte), hashing continues from the saved state instead of from
/// the start; the digest is the same, only the repeated work is skipped. New prefixes come from the bytes an
/// input shares with one of the last few inputs, cut to whole 64-byte blocks. At most `capacity` prefixes
/// are kept.
final class PrefixHashes: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(prefix: [UInt8], state: SHA256)] = []
    private var recent: [[UInt8]] = []
    private let capacity = 32
    private let recentCount = 8
    /// Shorter shared prefixes are not worth an entry.
    private let minimum = 1024

    func digest(of input: ArraySlice<UInt8>) -> SHA256.Digest {
        var hasher = SHA256()
        var hashed = 0
        let (known, recent) = lock.withLock { () -> ((prefix: [UInt8], state: SHA256)?, [[UInt8]]) in
            for index in entries.indices.reversed() where Self.starts(input, with: entries[index].prefix) {
                // Most recently used last.
                let entry = entries.remove(at: index)
                entries.append(entry)
                return (entry, [])
            }
            return (nil, self.recent)
        }
        if let known {
            hasher = known.state
            hasher.update(data: input.dropFirst(known.prefix.count))
            return hasher.finalize()
        }
        let shared = recent.map { Self.sharedLength(input, $0) }.max().map { $0 / 64 * 64 } ?? 0
        if shared >= minimum {
            hasher.update(data: input.prefix(shared))
            hashed = shared
            let entry = (prefix: Array(input.prefix(shared)), state: hasher)
            lock.withLock {
                entries.append(entry)
                if entries.count > capacity { entries.removeFirst() }
            }
        }
        hasher.update(data: input.dropFirst(hashed))
        lock.withLock {
            self.recent.append(Array(input))
            if self.recent.count > recentCount { self.recent.removeFirst() }
        }
        return hasher.finalize()
    }

    private static func starts(_ input: ArraySlice<UInt8>, with prefix: [UInt8]) -> Bool {
        guard input.count >= prefix.count else { return false }
        return input.withUnsafeBufferPointer { bytes in
            prefix.withUnsafeBufferPointer { memcmp(bytes.baseAddress!, $0.baseAddress!, prefix.count) == 0 }
        }
    }

    private static func sharedLength(_ a: ArraySlice<UInt8>, _ b: [UInt8]) -> Int {
        let count = min(a.count, b.count)
        return a.withUnsafeBufferPointer { left in
            b.withUnsafeBufferPointer { right in
                var index = 0
                while index < count, left[index] == right[index] { index += 1 }
                return index
            }
        }
    }
}
