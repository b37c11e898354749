public import Basics
public import Crypto
import Foundation
import JSONLD
public import RDF

/// Data Integrity proofs with the cryptosuite `eddsa-rdfc-2022` (W3C Data Integrity EdDSA Cryptosuites v1.0):
/// the document and the proof configuration are each expanded against the bundled contexts, canonicalized
/// with RDFC-1.0 and hashed with SHA-256; Ed25519 signs `hash(configuration) ‖ hash(document)`; the
/// `proofValue` is that signature in multibase base58btc.
public enum DataIntegrity {
    public static let proofType = "DataIntegrityProof"
    public static let cryptosuite = "eddsa-rdfc-2022"

    /// Why a Data Integrity proof could not be made or checked.
    public struct ProofError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The proof configuration: the proof without its `proofValue`.
    public static func configuration(verificationMethod: String, created: String) -> [String: JSONValue] {
        [
            "type": .string(proofType), "cryptosuite": .string(cryptosuite), "created": .string(created),
            "verificationMethod": .string(verificationMethod), "proofPurpose": "assertionMethod",
        ]
    }

    /// SHA-256 of the canonical N-Quads of a JSON-LD document.
    static func canonicalHash(_ document: JSONValue, what: String) throws(ProofError) -> [UInt8] {
        let quads: [Quad]
        do { quads = try JSONLDProcessor(loader: .bundled).toRDF(document) } catch {
            throw ProofError(message: "the \(what) is not JSON-LD the bundled contexts define: \(error)")
        }
        return try canonicalHash(quads, what: what)
    }

    /// SHA-256 of the canonical N-Quads of a dataset.
    static func canonicalHash(_ quads: [Quad], what: String) throws(ProofError) -> [UInt8] {
        do {
            return Array(SHA256.hash(data: try RDFCanonicalizer().canonicalNQuadsBytes(quads)))
        } catch {
            throw ProofError(message: "the \(what) cannot be canonicalized: \(error)")
        }
    }

    /// `hash(configuration with the document's @context) ‖ hash(document without proof)`.
    static func hashData(document: [String: JSONValue], configuration: [String: JSONValue]) throws(ProofError) -> [UInt8] {
        try hashDataAndStatements(document: document, configuration: configuration).data
    }

    /// ``hashData(document:configuration:)`` and the statements of the document without its proof: what
    /// the proof covers.
    static func hashDataAndStatements(
        document: [String: JSONValue], configuration: [String: JSONValue]
    ) throws(ProofError) -> (data: [UInt8], statements: [Quad]) {
        var unsecured = document
        unsecured["proof"] = nil
        var options = configuration
        options["@context"] = document["@context"]
        let statements: [Quad]
        do { statements = try JSONLDProcessor(loader: .bundled).toRDF(.object(unsecured)) } catch {
            throw ProofError(message: "the document is not JSON-LD the bundled contexts define: \(error)")
        }
        return (try canonicalHash(.object(options), what: "proof configuration") + canonicalHash(statements, what: "document"), statements)
    }

    /// The document with a proof by `key` appended to its `proof` array (made an array when it was one object).
    public static func sign(
        _ document: [String: JSONValue], key: Curve25519.Signing.PrivateKey, verificationMethod: String, created: String
    ) throws(ProofError) -> [String: JSONValue] {
        let configuration = configuration(verificationMethod: verificationMethod, created: created)
        var unsecured = document
        let earlier = unsecured.removeValue(forKey: "proof")
        let data = try hashData(document: unsecured, configuration: configuration)
        let proof = JSONValue.object(configuration.merging(["proofValue": .string(try signature(data, key: key))]) { $1 })
        var secured = unsecured
        secured["proof"] =
            switch earlier {
            case .array(let proofs)?: .array(proofs + [proof])
            case let single?: .array([single, proof])
            case nil: .array([proof])
            }
        return secured
    }

    /// `z` + base58btc of the Ed25519 signature of `data`.
    static func signature(_ data: [UInt8], key: Curve25519.Signing.PrivateKey) throws(ProofError) -> String {
        do { return Multibase.base58btc(try key.signature(for: data)) } catch {
            throw ProofError(message: "Ed25519 signing failed: \(error)")
        }
    }

    /// A proof found in a document: its configuration and signature, not yet checked.
    public struct Proof: Sendable {
        public var verificationMethod: String
        public var created: String?
        var configuration: [String: JSONValue]
        var signature: [UInt8]
    }

    /// The one `eddsa-rdfc-2022` proof of a document (`proof` an object or an array); several, or none, is an error.
    public static func proof(of document: [String: JSONValue]) throws(ProofError) -> Proof {
        let candidates: [JSONValue] =
            switch document["proof"] {
            case .array(let proofs)?: proofs
            case let single?: [single]
            case nil: []
            }
        let ours = candidates.compactMap { value -> [String: JSONValue]? in
            guard case .object(let fields) = value, fields["type"] == .string(proofType), fields["cryptosuite"] == .string(cryptosuite)
            else { return nil }
            return fields
        }
        guard ours.count == 1, var configuration = ours.first else {
            throw ProofError(
                message: ours.isEmpty
                    ? "the document has no \(proofType) with the cryptosuite \(cryptosuite)"
                    : "the document has \(ours.count) \(cryptosuite) proofs; it is not clear which one speaks for it")
        }
        guard configuration["proofPurpose"] == "assertionMethod" else {
            throw ProofError(message: "the proof's proofPurpose is not assertionMethod")
        }
        guard case .string(let method)? = configuration["verificationMethod"] else {
            throw ProofError(message: "the proof has no verificationMethod")
        }
        guard case .string(let value)? = configuration.removeValue(forKey: "proofValue"), let signature = Multibase.decodeBase58btc(value),
            signature.count == 64
        else {
            throw ProofError(message: "the proofValue is not a multibase base58btc Ed25519 signature (z…, 64 bytes)")
        }
        if let created = configuration["created"] {
            guard case .string(let text) = created, case .success = Timestamp.parse(text) else {
                throw ProofError(message: "the proof's created is not a date and time")
            }
        }
        let created: String? = if case .string(let text)? = configuration["created"] { text } else { nil }
        return Proof(verificationMethod: method, created: created, configuration: configuration, signature: signature)
    }

    /// Whether `proof` is a valid signature by `key` over the document (all of it but `proof`).
    public static func isValid(_ proof: Proof, of document: [String: JSONValue], key: Curve25519.Signing.PublicKey) throws(ProofError) -> Bool {
        try signedStatements(proof, of: document, key: key) != nil
    }

    /// The statements `proof` covers (the document without its proof, as RDF) when it is a valid signature
    /// by `key`; nil when it is not. Policy checks read these, not the JSON: JSON-LD lets the same statements
    /// be written in many shapes, and the proof holds for all of them.
    public static func signedStatements(
        _ proof: Proof, of document: [String: JSONValue], key: Curve25519.Signing.PublicKey
    ) throws(ProofError) -> [Quad]? {
        let (data, statements) = try hashDataAndStatements(document: document, configuration: proof.configuration)
        return key.isValidSignature(proof.signature, for: data) ? statements : nil
    }
}
