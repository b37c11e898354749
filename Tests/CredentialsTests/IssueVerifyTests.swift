import Basics
import Credentials
import Crypto
import Definitions
import Evaluation
import Foundation
import Storage
import Testing

@Suite("Issuing and verifying")
struct IssueVerifyTests {
    /// Issues, publishes and returns what a test needs.
    struct World {
        var directory: String
        var issuer: CredentialIssuer
        var keys: KeyStore
        var ledger: SQLiteStore

        init() throws {
            directory = try Setup.temporaryDirectory()
            keys = try Setup.keyStore(in: directory)
            issuer = try CredentialIssuer(compiled: Setup.compiled, keys: keys, baseURL: "https://badges.example.org/")
            ledger = try SQLiteStore(path: directory + "/merkisto.sqlite")
        }

        func issue(_ format: CredentialFormat, algorithm: SigningAlgorithm? = nil, email: String = "asiakas@example.org") async throws -> IssuedCredential {
            let document = try issuer.issue(
                Setup.client, badge: "sahkoposti-ja-liitteet", format: format, recipient: .email(email), algorithm: algorithm, now: Setup.now)
            // Each document recorded under a holder of its own: the ledger here only publishes what was issued,
            // and it keeps one valid award per client, badge and format.
            try await ledger.recordCredential(
                IssuedCredential(
                    id: document.id, badge: document.badge, client: Setup.client.client + "-" + document.id.suffix(12), recipient: document.recipient, format: format,
                    keyID: document.keyID, issuedAt: document.issuedAt, validUntil: document.validUntil,
                    definitionsDigest: document.definitionsDigest, bytes: document.bytes), by: "test", at: document.issuedAt)
            return document
        }

        func verifier() async throws -> CredentialVerifier {
            let publisher = try CredentialPublisher(compiled: Setup.compiled, keys: keys, baseURL: "https://badges.example.org/")
            let revoked = try await ledger.revocations().map { CredentialPublisher.RevokedEntry(id: $0.credentialID) }
            let hosted = try await ledger.credentials().filter { $0.format == .ob2Hosted }.map {
                CredentialPublisher.HostedAssertion(id: $0.id, path: String($0.id.dropFirst(publisher.layout.base.count)), bytes: $0.bytes)
            }
            try publisher.publish(to: directory + "/published", revoked: revoked, hosted: hosted)
            return try CredentialVerifier(publishedDirectory: directory + "/published")
        }
    }

    @Test("OB 3.0 with a Data Integrity proof: did:web issuer, verified against the published keys; any change fails")
    func ob3DataIntegrity() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        let document = try await world.issue(.ob3LDP)
        guard case .object(let credential) = try JSONDecoder().decode(JSONValue.self, from: Data(document.bytes)) else {
            Issue.record("not a JSON object")
            return
        }
        let did = "did:web:badges.example.org:issuers:esimerkkialue"
        #expect(credential["issuer"]?["id"] == .string(did))
        #expect(credential["credentialSchema"] == nil)
        guard case .array(let proofs)? = credential["proof"], case .object(let proof)? = proofs.first else {
            Issue.record("no proof array")
            return
        }
        #expect(proof["verificationMethod"] == .string(did + "#eddsa-test"))
        #expect(proof["cryptosuite"] == "eddsa-rdfc-2022")
        let verifier = try await world.verifier()
        let report = verifier.verify(document.bytes, recipientEmail: "asiakas@example.org", now: Setup.now)
        #expect(report.isValid, "\(report.failures)")
        #expect(report.kind == "OB 3.0 Data Integrity")
        #expect(verifier.verify(document.bytes, recipientEmail: "toinen@example.org", now: Setup.now).failures == [.recipientMismatch])

        // The DID document publish wrote names the key as a Multikey.
        let didDocument = try JSONDecoder().decode(
            JSONValue.self, from: try Data(contentsOf: URL(fileURLWithPath: world.directory + "/published/issuers/esimerkkialue/did.json")))
        #expect(didDocument["id"] == .string(did))
        #expect(didDocument["assertionMethod"] == [.string(did + "#eddsa-test")])

        // Every change of a signed statement breaks the signature.
        var renamed = credential
        renamed["name"] = .string((credential["name"]?.stringValue ?? "") + "!")
        #expect(verifier.verify(JSONValue.object(renamed).jsonBytes(), now: Setup.now).failures == [.badSignature])
        var otherIssuer = credential
        otherIssuer["issuer"] = .object(["id": "did:web:elsewhere.example", "type": ["Profile"], "name": "X"])
        #expect(verifier.verify(JSONValue.object(otherIssuer).jsonBytes(), now: Setup.now).failures == [.badSignature])
        // Signed by our key, but naming another issuer: the key is not that issuer's.
        let pem = try String(contentsOfFile: world.directory + "/keys/eddsa-test.private.pem", encoding: .utf8)
        let der = try #require(Data(base64Encoded: pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()))
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))
        otherIssuer["proof"] = nil
        let resigned = try DataIntegrity.sign(otherIssuer, key: key, verificationMethod: did + "#eddsa-test", created: "2026-11-22T10:00:00Z")
        #expect(verifier.verify(JSONValue.object(resigned).jsonBytes(), now: Setup.now).failures.first.map {
            if case .claimsMismatch = $0 { true } else { false }
        } == true)
    }

    /// Credentials with a Data Integrity proof are made from a template of RDF statements; the full JSON-LD
    /// processing of each credential as issued (in the verifier) must sign exactly the same statements.
    @Test("credentials made from the Data Integrity template verify by full JSON-LD processing: every badge, language and recipient kind")
    func dataIntegrityTemplateMatchesFullProcessing() async throws {
        let workload = try CredentialWorkload(compiled: Setup.compiled, clients: 60)
        let verifier = try workload.verifier()
        for index in 0..<min(workload.count, 150) {
            let document = try workload.issueDataIntegrity(index)
            let report = verifier.verify(document.bytes, now: workload.time)
            #expect(report.isValid, "credential \(index) (\(document.badge)): \(report.failures)")
        }
        let world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        let verifierOfWorld = try await world.verifier()
        for language in Language.allCases {
            let issuer = try CredentialIssuer(compiled: Setup.compiled, keys: world.keys, baseURL: "https://badges.example.org/", language: language)
            for recipient in [Recipient.email("asiakas@example.org"), .subjectID("did:example:123"), .anonymous] {
                for badge in Setup.compiled.definitions.badges.map(\.id) {
                    guard let document = try? issuer.issue(Setup.client, badge: badge, format: .ob3LDP, recipient: recipient, now: Setup.now) else { continue }
                    let report = verifierOfWorld.verify(document.bytes, now: Setup.now)
                    #expect(report.isValid, "\(badge) \(language) \(recipient): \(report.failures)")
                }
            }
        }
    }

    @Test("OB 3.0 VC-JWTs verify with every algorithm", arguments: SigningAlgorithm.allCases)
    func ob3(algorithm: SigningAlgorithm) async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        let document = try await world.issue(.ob3JWT, algorithm: algorithm)
        let token = String(decoding: document.bytes, as: UTF8.self)
        let header = String(decoding: try #require(Data(base64Encoded: token.split(separator: ".")[0] + "=")), as: UTF8.self)
        #expect(header.contains("\"alg\":\"\(algorithm.rawValue)\""))
        #expect(header.contains("\"kid\":\"https://badges.example.org/keys/"))
        let report = try await world.verifier().verify(token, recipientEmail: " ASIAKAS@example.org ", now: Setup.now)
        #expect(report.isValid, "\(report.failures)")
        #expect(report.kind == "OB 3.0 VC-JWT")
    }

    @Test("OB 2.0 signed and hosted assertions verify")
    func ob2() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        let signed = try await world.issue(.ob2Signed)
        let hosted = try await world.issue(.ob2Hosted)
        let verifier = try await world.verifier()
        let signedReport = verifier.verify(String(decoding: signed.bytes, as: UTF8.self), recipientEmail: "asiakas@example.org", now: Setup.now)
        #expect(signedReport.isValid, "\(signedReport.failures)")
        let hostedReport = verifier.verify(String(decoding: hosted.bytes, as: UTF8.self), recipientEmail: "asiakas@example.org", now: Setup.now)
        #expect(hostedReport.isValid, "\(hostedReport.failures)")
    }

    @Test("flipping any single byte of an issued JWT or JWS makes verification fail", arguments: [CredentialFormat.ob3JWT, .ob2Signed])
    func everyByte(format: CredentialFormat) async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        let document = try await world.issue(format)
        let verifier = try await world.verifier()
        let original = document.bytes
        #expect(verifier.verify(String(decoding: original, as: UTF8.self), now: Setup.now).isValid)
        var accepted: [Int] = []
        for index in original.indices {
            var bytes = original
            bytes[index] ^= 0x01
            let report = verifier.verify(String(decoding: bytes, as: UTF8.self), now: Setup.now)
            if report.isValid { accepted.append(index) }
        }
        #expect(accepted.isEmpty, "flips accepted at \(accepted.prefix(10))")
    }

    @Test("dates, revocation, recipient and keys are each named when they fail")
    func failures() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        // tietoturvan-perusteet is valid for 24 months.
        let document = try world.issuer.issue(
            Setup.client, badge: "tietoturvan-perusteet", format: .ob3JWT, recipient: .email("a@example.org"), now: Setup.now)
        try await world.ledger.recordCredential(
            IssuedCredential(
                id: document.id, badge: document.badge, client: "asiakas-9e4b", recipient: document.recipient, format: .ob3JWT,
                keyID: document.keyID, issuedAt: document.issuedAt, validUntil: document.validUntil,
                definitionsDigest: document.definitionsDigest, bytes: document.bytes), by: "test", at: document.issuedAt)
        let token = String(decoding: document.bytes, as: UTF8.self)
        let until = try #require(document.validUntil)
        #expect(until == Setup.now.addingMonths(24) || until.description.hasPrefix("2028-11-22"))

        var verifier = try await world.verifier()
        #expect(verifier.verify(token, now: Timestamp(microseconds: until.microseconds + 1_000_000)).failures.contains(.expired(until.utcString)))
        let before = Timestamp(microseconds: Setup.now.microseconds - 86_400_000_000)
        #expect(verifier.verify(token, now: before).failures.contains { if case .notYetValid = $0 { true } else { false } })
        #expect(verifier.verify(token, recipientEmail: "b@example.org", now: Setup.now).failures == [.recipientMismatch])
        #expect(verifier.verify("not a credential", now: Setup.now).failures.first.map { if case .malformed = $0 { true } else { false } } == true)

        _ = try await world.ledger.revoke(credential: document.id, reason: "issued by mistake", by: "test", at: Setup.now)
        verifier = try await world.verifier()
        // Revoked, named as such; the reason (staff's free text) is in no published document.
        #expect(verifier.verify(token, now: Setup.now).failures.map { if case .revoked = $0 { true } else { false } } == [true])
        for file in FileManager.default.enumerator(atPath: world.directory + "/published")!.compactMap({ $0 as? String }) {
            guard let bytes = FileManager.default.contents(atPath: world.directory + "/published/" + file) else { continue }  // a folder
            #expect(bytes.range(of: Data("issued by mistake".utf8)) == nil, "\(file) holds the revocation reason")
        }

        let stranger = try CredentialVerifier(jwksData: Data("{\"keys\": []}".utf8))
        #expect(stranger.verify(token, now: Setup.now).failures.first.map { if case .unknownKey = $0 { true } else { false } } == true)
    }

    @Test("a JWKS with keys of other kinds still serves the keys it can use")
    func foreignKeys() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        let document = try await world.issue(.ob3JWT)
        let ours = try #require(try world.keys.list().first { $0.kid == document.keyID })
        let p384: JSONValue = ["kty": "EC", "crv": "P-384", "kid": "other-p384", "x": "AAAA", "y": "AAAA"]
        let jwks: JSONValue = ["keys": [p384, ours.publicJWK]]
        let verifier = try CredentialVerifier(jwksData: try jwks.encoded())
        #expect(verifier.verify(String(decoding: document.bytes, as: UTF8.self), now: Setup.now).isValid)

        // A token that names the unusable key says so.
        let parts = document.bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let header = Data(#"{"alg":"ES384","kid":"other-p384","typ":"JWT"}"#.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let forged = header + "." + String(decoding: parts[1], as: UTF8.self) + "." + String(decoding: parts[2], as: UTF8.self)
        let report = verifier.verify(forged, now: Setup.now)
        #expect(report.failures.contains { if case .unknownKey(let detail) = $0 { detail.contains("cannot be used") } else { false } })
    }

    @Test("a badge that is not earned is refused and nothing is signed")
    func notEarned() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        #expect(throws: NotEarned.self) {
            try world.issuer.issue(Setup.beginner, badge: "sahkoposti-ja-liitteet", format: .ob3JWT, recipient: .anonymous, now: Setup.now)
        }
        #expect(try await world.ledger.credentials().isEmpty)
    }

    @Test("recipient hashes follow the Open Badges test vectors")
    func hashes() {
        #expect(Recipient.identityHash("mayze", salt: "") == "sha256$7a1a1b3f7d40552e4299180e346e3add12bf9a751a43d9c4ca4518febc2c60c6")
        #expect(Recipient.identityHash("a@example.com", salt: "Kosher") == "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399")
        #expect(Recipient.normalize(email: "  Matti.Meikalainen@Example.ORG\n") == "matti.meikalainen@example.org")
    }

    @Test("credentials carry no personal data: no e-mail, no client id, no assessor")
    func privacy() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        for format in CredentialFormat.allCases {
            let document = try await world.issue(format, email: "matti.meikalainen@example.org")
            var text = String(decoding: document.bytes, as: UTF8.self)
            if format != .ob2Hosted {
                let payload = text.split(separator: ".")[1]
                text = String(decoding: Data(base64Encoded: payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                    .padding(toLength: (payload.count + 3) / 4 * 4, withPad: "=", startingAt: 0))!, as: UTF8.self)
            }
            #expect(!text.contains("meikalainen"))
            #expect(!text.contains(Setup.client.client))
            #expect(!text.contains("ohjaaja-21"))
        }
    }
}

extension Timestamp {
    var utcString: String {
        Timestamp(microseconds: microseconds, offsetSeconds: 0).description
    }
}
