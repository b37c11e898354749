import Basics
import Credentials
import Crypto
import Foundation
import JSONLD
import RDF
import Testing

/// eddsa-rdfc-2022 against the 1EdTech worked example (Fixtures/data-integrity, from the OB 3.0
/// implementation guide's Data Integrity test vectors) and against tampering.
@Suite struct DataIntegrityTests {
    static let fixtures = Setup.repository + "/Tests/CredentialsTests/Fixtures/data-integrity/"
    static let verificationMethod = "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    /// The example's secret key: seed (32 bytes) followed by the public key.
    static let secretKey = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be44bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"

    static func key() throws -> Curve25519.Signing.PrivateKey {
        try Curve25519.Signing.PrivateKey(rawRepresentation: Hex.decode(String(secretKey.prefix(64)))!)
    }

    static func credential() throws -> [String: JSONValue] {
        guard case .object(let fields) = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: fixtures + "ldp-ob-credential.json")))
        else { preconditionFailure("the example is an object") }
        return fields
    }

    @Test func multikeyOfTheExampleKey() throws {
        #expect(Multibase.ed25519PublicKey(try Self.key().publicKey.rawRepresentation) == "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
        #expect(Multibase.ed25519PublicKey(multibase: "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi") == Array(try Self.key().publicKey.rawRepresentation))
    }

    @Test func reproducesTheWorkedExample() throws {
        let signed = try DataIntegrity.sign(
            try Self.credential(), key: try Self.key(), verificationMethod: Self.verificationMethod, created: "2010-01-01T19:23:24Z")
        guard case .array(let proofs)? = signed["proof"], case .object(let proof)? = proofs.first else {
            Issue.record("no proof array")
            return
        }
        #expect(proof["proofValue"] == "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr")
        // The intermediate values the example gives: both canonical forms and their hashes.
        let document = try String(contentsOfFile: Self.fixtures + "obv3p0_document-canon.txt", encoding: .utf8)
        let options = try String(contentsOfFile: Self.fixtures + "obv3p0_proof-canon.txt", encoding: .utf8)
        let processor = JSONLDProcessor(loader: .bundled)
        #expect(try RDFCanonicalizer().canonicalNQuads(try processor.toRDF(.object(try Self.credential()))) == document)
        var configuration = DataIntegrity.configuration(verificationMethod: Self.verificationMethod, created: "2010-01-01T19:23:24Z")
        configuration["@context"] = try Self.credential()["@context"]
        #expect(try RDFCanonicalizer().canonicalNQuads(try processor.toRDF(.object(configuration))) == options)
        #expect(Hex.encode(SHA256.hash(data: Array(document.utf8))) == "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773")
        #expect(Hex.encode(SHA256.hash(data: Array(options.utf8))) == "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19")
        let found = try DataIntegrity.proof(of: signed)
        #expect(try DataIntegrity.isValid(found, of: signed, key: try Self.key().publicKey))
    }

    @Test func anyChangeToTheSignedStatementsFailsVerification() throws {
        let signed = try DataIntegrity.sign(
            try Self.credential(), key: try Self.key(), verificationMethod: Self.verificationMethod, created: "2010-01-01T19:23:24Z")
        let key = try Self.key().publicKey
        var changes: [[String: JSONValue]] = []
        var renamed = signed
        renamed["name"] = "Teamwork Badge!"
        changes.append(renamed)
        var later = signed
        later["validFrom"] = "2010-01-01T00:00:01Z"
        changes.append(later)
        var otherCreated = signed
        if case .array(var proofs)? = otherCreated["proof"], case .object(var proof) = proofs[0] {
            proof["created"] = "2010-01-01T19:23:25Z"
            proofs[0] = .object(proof)
            otherCreated["proof"] = .array(proofs)
        }
        changes.append(otherCreated)
        for changed in changes {
            #expect(try DataIntegrity.isValid(try DataIntegrity.proof(of: changed), of: changed, key: key) == false)
        }
        // Key order and white space are not signed: the same statements verify.
        let reparsed = try JSONDecoder().decode(JSONValue.self, from: try JSONValue.object(signed).encoded(pretty: true))
        guard case .object(let fields) = reparsed else { return }
        #expect(try DataIntegrity.isValid(try DataIntegrity.proof(of: fields), of: fields, key: key))
    }

    @Test func refusesWhatItCannotCheck() throws {
        var document = try Self.credential()
        #expect(throws: DataIntegrity.ProofError.self) { try DataIntegrity.proof(of: document) }
        document["proof"] = .object(DataIntegrity.configuration(verificationMethod: Self.verificationMethod, created: "2010-01-01T19:23:24Z")
            .merging(["proofValue": "zNotBase58!"]) { $1 })
        #expect(throws: DataIntegrity.ProofError.self) { try DataIntegrity.proof(of: document) }
        // A value that names nothing the contexts define, and a relative id, are errors, not statements
        // silently left unsigned.
        for (key, value) in [("proofPurpose", "nonsense"), ("id", "relative/credential")] {
            var configuration = DataIntegrity.configuration(verificationMethod: Self.verificationMethod, created: "2010-01-01T19:23:24Z")
            configuration["@context"] = try Self.credential()["@context"]
            configuration[key] = .string(value)
            #expect(throws: JSONLDError.self) { try JSONLDProcessor(loader: .bundled).toRDF(.object(configuration)) }
        }
        // A term no bundled context defines is an error, not silently left unsigned.
        var undefined = try Self.credential()
        undefined["unsignedExtra"] = "text"
        #expect(throws: DataIntegrity.ProofError.self) {
            try DataIntegrity.sign(undefined, key: try Self.key(), verificationMethod: Self.verificationMethod, created: "2010-01-01T19:23:24Z")
        }
    }

    @Test func base58RoundTripsAgainstKnownValues() {
        // Values from the base58btc draft (draft-msporny-base58) and leading zero bytes.
        #expect(Multibase.base58btc(Array("Hello World!".utf8)) == "z2NEpo7TZRRrLZSi2U")
        #expect(Multibase.base58btc(Array("The quick brown fox jumps over the lazy dog.".utf8)) == "zUSm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z")
        #expect(Multibase.base58btc([0, 0, 0x28, 0x7f, 0xb4, 0xcd]) == "z11233QC4")
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + (length == 0 ? 0 : 1)) }
            #expect(Multibase.decodeBase58btc(Multibase.base58btc(bytes)) == bytes)
        }
        #expect(Multibase.decodeBase58btc("z0OIl") == nil)
        // Against the textbook algorithm (one base-58 digit per pass over the bytes) on random inputs of
        // every length a key, a signature or a multikey has, leading zero bytes included.
        func textbook(_ input: [UInt8]) -> String {
            let zeros = input.prefix { $0 == 0 }.count
            var number = Array(input[zeros...]), digits: [UInt8] = [], start = 0
            while start < number.count {
                var remainder = 0
                for index in start..<number.count {
                    let value = remainder * 256 + Int(number[index])
                    number[index] = UInt8(value / 58)
                    remainder = value % 58
                }
                digits.append(Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)[remainder])
                while start < number.count && number[start] == 0 { start += 1 }
            }
            return "z" + String(repeating: "1", count: zeros) + String(decoding: digits.reversed(), as: UTF8.self)
        }
        var generator = SystemRandomNumberGenerator()
        for round in 0..<3000 {
            let length = round < 200 ? round % 100 : [32, 34, 64, 65, 33][round % 5]
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 7 == 0, !bytes.isEmpty { bytes[0] = 0 }
            if round % 11 == 0, bytes.count > 1 { bytes[1] = 0 }
            #expect(Multibase.base58btc(bytes) == textbook(bytes), "\(bytes)")
        }
    }
}
