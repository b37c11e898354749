import Basics
import Credentials
import Evaluation
import Foundation
import Testing

@Suite("Keys")
struct KeyStoreTests {
    @Test("generated private keys are readable only by their owner (0600), in a 0700 folder", arguments: SigningAlgorithm.allCases)
    func permissions(algorithm: SigningAlgorithm) throws {
        let directory = try Setup.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = KeyStore(directory: directory + "/keys")
        let key = try store.generate(algorithm, now: Setup.now)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/keys/\(key.kid).private.pem")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: directory + "/keys")
        #expect((folder[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(key.algorithm == algorithm)
        #expect(KeyStore.isValidKid(key.kid))
        // The public forms carry no private parts.
        guard case .object(let jwk) = key.publicJWK else {
            Issue.record("JWK is not an object")
            return
        }
        #expect(jwk["d"] == nil && jwk["p"] == nil && jwk["q"] == nil)
        #expect(!key.publicPEM.contains("PRIVATE"))
    }

    @Test("retired keys sign nothing new but stay listed; the newest active key is the default")
    func retire() throws {
        let directory = try Setup.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = KeyStore(directory: directory)
        try store.generate(.es256, kid: "old", now: Setup.now)
        try store.generate(.es256, kid: "new", now: Setup.now)
        #expect(try store.signingKey(kid: nil, algorithm: .es256).kid == "new")
        try store.retire("new", now: Setup.now)
        #expect(try store.signingKey(kid: nil, algorithm: .es256).kid == "old")
        #expect(throws: CredentialError.self) { try store.signingKey(kid: "new", algorithm: nil) }
        // The first key brought the Ed25519 key the status lists are signed with.
        #expect(try store.list().map(\.kid).filter { !$0.hasPrefix("eddsa-") } == ["old", "new"])
        #expect(try store.list().filter { $0.algorithm == .edDSA }.count == 1)
        #expect(try store.list().last?.retired != nil)
    }

    @Test("bad key ids and duplicates are refused")
    func refused() throws {
        let directory = try Setup.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = KeyStore(directory: directory)
        #expect(throws: CredentialError.self) { try store.generate(.es256, kid: "Not Valid/../x", now: Setup.now) }
        try store.generate(.es256, kid: "k1", now: Setup.now)
        #expect(throws: CredentialError.self) { try store.generate(.rs256, kid: "k1", now: Setup.now) }
        #expect(throws: CredentialError.self) { try store.signingKey(kid: "k1", algorithm: .rs256) }
    }

    @Test("a folder always has an active Ed25519 key for the status lists: made with the first key, never retired last")
    func statusKey() throws {
        let directory = try Setup.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = KeyStore(directory: directory)
        try store.generate(.es256, kid: "k1", now: Setup.now)
        let ed25519 = try #require(try store.list().first { $0.algorithm == .edDSA })
        #expect(try store.signingKey(kid: nil, algorithm: .edDSA).kid == ed25519.kid)
        try store.generate(.rs256, kid: "k2", now: Setup.now)
        #expect(try store.list().filter { $0.algorithm == .edDSA }.count == 1)
        // The last active Ed25519 key is not retired; once there is another, it can be.
        #expect(throws: CredentialError.self) { try store.retire(ed25519.kid, now: Setup.now) }
        try store.generate(.edDSA, kid: "ed2", now: Setup.now)
        try store.retire(ed25519.kid, now: Setup.now)
        #expect(try store.signingKey(kid: nil, algorithm: .edDSA).kid == "ed2")
    }
}
