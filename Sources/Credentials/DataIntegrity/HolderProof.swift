public import Basics
import Crypto
import Foundation

/// DID authentication: a holder's signed presentation (VC-API / VCALM), checked before anything is issued
/// to the holder's DID.
///
/// Accepted: a `did:key` Ed25519 key (`did:key:z6Mk…#z6Mk…`), proofs of type `Ed25519Signature2020` (what the
/// Learner Credential Wallet signs with) or `DataIntegrityProof` with cryptosuite `eddsa-rdfc-2022`, purpose
/// `authentication`, the challenge and the domain asked for. Both suites sign SHA-256 of the canonical proof
/// options followed by SHA-256 of the canonical presentation.
public enum HolderProof {
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// A short stable name: `not-a-presentation`, `no-proof`, `proof-type`, `purpose`, `challenge`, `domain`,
        /// `expired`, `method`, `holder`, `signature`.
        public var reason: String
        public var message: String
        public var description: String { message }
    }

    /// The holder's DID when `presentation` is a presentation signed by it for this `challenge` and `domain`.
    ///
    /// - Parameter now: a proof with an `expires` at or before it is refused.
    public static func holder(of presentation: [String: JSONValue], challenge: String, domain: String, now: Timestamp) throws(Refusal) -> String {
        func refuse(_ reason: String, _ message: String) -> Refusal { Refusal(reason: reason, message: message) }
        let types: [JSONValue] =
            switch presentation["type"] {
            case .array(let values)?: values
            case let value?: [value]
            case nil: []
            }
        guard types.contains(.string("VerifiablePresentation")) else {
            throw refuse("not-a-presentation", "the body is not a VerifiablePresentation")
        }
        let proofs: [JSONValue] =
            switch presentation["proof"] {
            case .array(let values)?: values
            case let value?: [value]
            case nil: []
            }
        guard proofs.count == 1, case .object(var configuration) = proofs[0] else {
            throw refuse("no-proof", proofs.isEmpty ? "the presentation has no proof" : "the presentation has \(proofs.count) proofs; one is expected")
        }
        let suite = configuration["type"]
        guard suite == "Ed25519Signature2020" || (suite == "DataIntegrityProof" && configuration["cryptosuite"] == "eddsa-rdfc-2022") else {
            throw refuse("proof-type", "the proof is neither Ed25519Signature2020 nor DataIntegrityProof with eddsa-rdfc-2022")
        }
        guard configuration["proofPurpose"] == "authentication" else { throw refuse("purpose", "the proof's purpose is not authentication") }
        guard case .string(let given)? = configuration["challenge"], ConstantTime.equal(given.utf8, challenge.utf8) else {
            throw refuse("challenge", "the proof does not carry the challenge this exchange asked for")
        }
        guard configuration["domain"] == .string(domain) || configuration["domain"] == .array([.string(domain)]) else {
            throw refuse("domain", "the proof's domain is not \(domain)")
        }
        if let expires = configuration["expires"] {
            guard case .string(let text) = expires, case .success(let time) = Timestamp.parse(text), time > now else {
                throw refuse("expired", "the proof has expired")
            }
        }
        guard case .string(let method)? = configuration["verificationMethod"], method.hasPrefix("did:key:"),
            let hash = method.firstIndex(of: "#"), method[method.index(after: hash)...] == method[method.index(method.startIndex, offsetBy: 8)..<hash],
            let raw = Multibase.ed25519PublicKey(multibase: String(method[method.index(after: hash)...])),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else {
            throw refuse("method", "the proof's verificationMethod is not a did:key Ed25519 key (did:key:z6Mk…#z6Mk…)")
        }
        let did = String(method[..<hash])
        if let holder = presentation["holder"] {
            let id: JSONValue? = if case .object(let fields) = holder { fields["id"] } else { holder }
            guard id == .string(did) else { throw refuse("holder", "the presentation's holder is not the DID that signed it") }
        }
        guard case .string(let value)? = configuration.removeValue(forKey: "proofValue"), let signature = Multibase.decodeBase58btc(value), signature.count == 64
        else {
            throw refuse("signature", "the proofValue is not a multibase base58btc Ed25519 signature")
        }
        var unsecured = presentation
        unsecured["proof"] = nil
        let data: [UInt8]
        do {
            data = try DataIntegrity.hashData(document: unsecured, configuration: configuration)
        } catch {
            throw refuse("signature", "the presentation cannot be read as JSON-LD: \(error)")
        }
        guard key.isValidSignature(signature, for: data) else { throw refuse("signature", "the presentation's signature does not verify") }
        return did
    }
}
