import Basics
@testable import Credentials
import Crypto
import CryptoExtras
import Evaluation
import Foundation
import JWTKit
import Testing

/// Merkisto signs and verifies JWS itself (over swift-crypto) to meet its speed bars; vapor/jwt-kit, an
/// independent JOSE implementation, must accept every token we sign, and we must accept what it signs.
@Suite("Interoperability with jwt-kit")
struct JWTKitInteropTests {
    /// The claims jwt-kit checks for us; everything else in the payload is ignored by this type.
    struct Claims: JWTPayload {
        var iss: String
        var jti: String
        var sub: String
        var nbf: Int

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// A whole JSON document as a payload.
    struct Document: JWTPayload {
        var value: JSONValue
        init(_ value: JSONValue) { self.value = value }
        init(from decoder: any Decoder) throws { value = try JSONValue(from: decoder) }
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    @Test("jwt-kit verifies our OB 3.0 VC-JWTs with the published JWK", arguments: SigningAlgorithm.allCases)
    func jwtKitAcceptsOurs(algorithm: SigningAlgorithm) async throws {
        let world = try IssueVerifyTests.World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        let document = try await world.issue(.ob3JWT, algorithm: algorithm)
        let stored = try #require(try world.keys.list().first { $0.kid == document.keyID })
        let collection = JWTKeyCollection()
        try await collection.add(jwk: JSONDecoder().decode(JWK.self, from: Data(stored.publicJWK.jsonBytes())))
        let token = String(decoding: document.bytes, as: UTF8.self)
        let claims = try await collection.verify(token, as: Claims.self)
        #expect(claims.jti == document.id)
        #expect(claims.iss == world.issuer.layout.issuerProfile)

        // And a changed token is refused by jwt-kit too.
        var bytes = document.bytes
        let index = bytes.count / 2
        bytes[index] = bytes[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        await #expect(throws: (any Error).self) { try await collection.verify(String(decoding: bytes, as: UTF8.self), as: Claims.self) }
    }

    @Test("we verify a credential that jwt-kit signed with our key", arguments: SigningAlgorithm.allCases)
    func weAcceptJWTKits(algorithm: SigningAlgorithm) async throws {
        let world = try IssueVerifyTests.World()
        defer { try? FileManager.default.removeItem(atPath: world.directory) }
        let ours = try await world.issue(.ob3JWT, algorithm: algorithm)
        let parts = ours.bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let payload = try JSONBytes.parse(try #require(Base64URL.decode(String(decoding: parts[1], as: UTF8.self))))

        let stored = try #require(try world.keys.list().first { $0.kid == ours.keyID })
        let material = try world.keys.material(for: stored)
        let collection = JWTKeyCollection()
        // jwt-kit writes the identifier a key is registered under as the `kid` header: the key's URL.
        let kid = JWKIdentifier(string: world.issuer.layout.jwk(stored.kid))
        switch material.backing {
        case .es256(let key): await collection.add(ecdsa: try ES256PrivateKey(backing: key), kid: kid)
        case .rs256(let key):
            await collection.add(rsa: try Insecure.RSA.PrivateKey(pem: key.pkcs8PEMRepresentation), digestAlgorithm: .sha256, kid: kid)
        case .edDSA(let key): await collection.add(eddsa: EdDSA.PrivateKey(backing: key), kid: kid)
        }
        var header = JWTHeader()
        header.typ = "JWT"
        let token = try await collection.sign(Document(payload), kid: kid, header: header)
        #expect(token != String(decoding: ours.bytes, as: UTF8.self))
        let report = try await world.verifier().verify(token, recipientEmail: "asiakas@example.org", now: Setup.now)
        #expect(report.isValid, "\(report.failures)")
        #expect(report.id == ours.id)
    }
}
