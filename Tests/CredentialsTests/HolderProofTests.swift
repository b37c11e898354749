import Basics
import Credentials
import Foundation
import Testing

/// A holder's DID authentication, checked against presentations signed by an independent implementation
/// (Fixtures/wallet: pyld + cryptography + base58).
@Suite struct HolderProofTests {
    static let fixtures = Setup.repository + "/Tests/CredentialsTests/Fixtures/wallet/"
    static let challenge = "3f8a2c1e-7b4d-4e21-9c5a-0d6e1f2a3b4c"
    static let domain = "https://badges.example.org"
    static let now = try! Timestamp.parse("2026-12-05T12:00:00Z").get()

    static func presentation(_ name: String) throws -> [String: JSONValue] {
        guard case .object(let fields) = try StrictJSON.read(Array(try Data(contentsOf: URL(fileURLWithPath: fixtures + name)))) else {
            preconditionFailure("a presentation is an object")
        }
        return fields
    }

    static func reason(_ presentation: [String: JSONValue], challenge: String = challenge, domain: String = domain) -> String? {
        do {
            _ = try HolderProof.holder(of: presentation, challenge: challenge, domain: domain, now: now)
            return nil
        } catch { return error.reason }
    }

    @Test("both suites verify and give the signer's did:key", arguments: ["vp-ed25519signature2020.json", "vp-eddsa-rdfc-2022.json"])
    func verifies(name: String) throws {
        let presentation = try Self.presentation(name)
        let did = try HolderProof.holder(of: presentation, challenge: Self.challenge, domain: Self.domain, now: Self.now)
        #expect(did.hasPrefix("did:key:z6Mk") && presentation["holder"] == .string(did))
    }

    @Test("each wrong part is refused with its reason", arguments: ["vp-ed25519signature2020.json", "vp-eddsa-rdfc-2022.json"])
    func refusals(name: String) throws {
        let presentation = try Self.presentation(name)
        #expect(Self.reason(presentation, challenge: "another") == "challenge")
        #expect(Self.reason(presentation, domain: "https://elsewhere.example") == "domain")
        func changed(_ change: (inout [String: JSONValue], inout [String: JSONValue]) -> Void) -> [String: JSONValue] {
            var copy = presentation
            guard case .object(var proof)? = copy["proof"] else { return copy }
            change(&copy, &proof)
            copy["proof"] = .object(proof)
            return copy
        }
        #expect(Self.reason(changed { vp, _ in vp["type"] = ["VerifiablePresentation", "Other"] }) == "signature")
        #expect(Self.reason(changed { _, proof in proof["created"] = "2026-12-05T10:30:33Z" }) == "signature")
        #expect(Self.reason(changed { vp, _ in vp["holder"] = "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi" }) == "holder")
        #expect(Self.reason(changed { _, proof in proof["proofPurpose"] = "assertionMethod" }) == "purpose")
        #expect(Self.reason(changed { _, proof in proof["expires"] = "2020-01-01T00:00:00Z" }) == "expired")
        #expect(Self.reason(changed { _, proof in proof["type"] = "Ed25519Signature2018" }) == "proof-type")
        #expect(Self.reason(changed { _, proof in
            // The fragment must be the key itself.
            if case .string(let method)? = proof["verificationMethod"] { proof["verificationMethod"] = .string(method + "x") }
        }) == "method")
        #expect(Self.reason(changed { vp, _ in vp["type"] = ["VerifiableCredential"] }) == "not-a-presentation")
        var unsigned = presentation
        unsigned["proof"] = nil
        #expect(Self.reason(unsigned) == "no-proof")
    }
}
