import Basics
import Credentials
import Crypto
import Foundation
import JSONLD
import RDF
import Testing

/// The CLR 2.0 Data Integrity test vector (Fixtures/clr): the same canonical document, proof options, hashes
/// and proof value as 1EdTech's, with the example's key.
@Suite struct ClrVectorTests {
    static let fixtures = Setup.repository + "/Tests/CredentialsTests/Fixtures/clr/"

    static func credential() throws -> [String: JSONValue] {
        guard case .object(let fields) = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: fixtures + "ldp-clr-credential.json")))
        else { preconditionFailure("the example is an object") }
        return fields
    }

    @Test func reproducesTheClrVector() throws {
        let processor = JSONLDProcessor(loader: .bundled)
        let document = try String(contentsOfFile: Self.fixtures + "document-canon.txt", encoding: .utf8)
        let options = try String(contentsOfFile: Self.fixtures + "proof-canon.txt", encoding: .utf8)
        #expect(try RDFCanonicalizer().canonicalNQuads(try processor.toRDF(.object(try Self.credential()))) == document)
        var configuration = DataIntegrity.configuration(verificationMethod: DataIntegrityTests.verificationMethod, created: "2010-01-01T19:23:24Z")
        configuration["@context"] = try Self.credential()["@context"]
        #expect(try RDFCanonicalizer().canonicalNQuads(try processor.toRDF(.object(configuration))) == options)
        #expect(Hex.encode(SHA256.hash(data: Array(document.utf8))) == "768d7015ae69e0210e1c2a45194d9c1d15d7a6022e52b946574a2a27f6fa85fe")
        #expect(Hex.encode(SHA256.hash(data: Array(options.utf8))) == "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19")

        let signed = try DataIntegrity.sign(
            try Self.credential(), key: try DataIntegrityTests.key(), verificationMethod: DataIntegrityTests.verificationMethod,
            created: "2010-01-01T19:23:24Z")
        guard case .array(let proofs)? = signed["proof"], case .object(let proof)? = proofs.first else {
            Issue.record("no proof array")
            return
        }
        #expect(proof["proofValue"] == "zF52sU1nfPAjcwCqtgxPNSor6SJnAzRBwZW5VNQXPt8xXCHkd39sgqj32DnMjhFCzbyHsLkhQ8HpBqQTkMgXy329")
        #expect(try DataIntegrity.isValid(try DataIntegrity.proof(of: signed), of: signed, key: try DataIntegrityTests.key().publicKey))
    }

    /// The credentials inside a CLR are statements of the CLR's own document: taking one out, or changing
    /// one, breaks the CLR's proof.
    @Test func takingACredentialOutBreaksTheProof() throws {
        let key = try DataIntegrityTests.key()
        let signed = try DataIntegrity.sign(
            try Self.credential(), key: key, verificationMethod: DataIntegrityTests.verificationMethod, created: "2010-01-01T19:23:24Z")
        guard case .object(var subject)? = signed["credentialSubject"] else {
            Issue.record("no subject")
            return
        }
        subject["verifiableCredential"] = []
        var emptied = signed
        emptied["credentialSubject"] = .object(subject)
        #expect(try DataIntegrity.isValid(try DataIntegrity.proof(of: emptied), of: emptied, key: key.publicKey) == false)
    }
}
