import Credentials
import Foundation
import Storage
import Testing

@Suite("Ledger")
struct LedgerTests {
    static func credential(_ id: String) -> IssuedCredential {
        IssuedCredential(
            id: id, badge: "b", client: "asiakas-1", recipient: "sha256$00", format: "ob3-jwt", keyID: "k", issuedAt: "2026-11-22T10:00:00Z",
            validUntil: nil, definitionsDigest: "d", bytes: Array("header.payload.signature".utf8))
    }

    @Test("records the exact bytes durably, refuses duplicates, revokes once, audits everything")
    func lifecycle() throws {
        let directory = try Setup.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/ledger.sqlite"
        do {
            let ledger = try SQLiteLedger(path: path)
            try ledger.record(Self.credential("urn:uuid:1"), actor: "test")
            #expect(throws: LedgerError.self) { try ledger.record(Self.credential("urn:uuid:1"), actor: "test") }
            _ = try ledger.revoke(id: "urn:uuid:1", reason: "mistake", at: "2026-11-23T10:00:00Z", actor: "test")
            #expect(throws: LedgerError.self) { try ledger.revoke(id: "urn:uuid:1", reason: "again", at: "2026-11-23T10:00:00Z", actor: "test") }
            #expect(throws: LedgerError.self) { try ledger.revoke(id: "urn:uuid:404", reason: "x", at: "2026-11-23T10:00:00Z", actor: "test") }
        }
        // A new connection sees everything: it was committed, not cached.
        let reopened = try SQLiteLedger(path: path)
        #expect(try reopened.credential(id: "urn:uuid:1")?.bytes == Array("header.payload.signature".utf8))
        #expect(try reopened.revocations() == [Revocation(credentialID: "urn:uuid:1", reason: "mistake", revokedAt: "2026-11-23T10:00:00Z")])
        #expect(try reopened.auditLog().map(\.action) == ["issue", "revoke"])
    }
}

@Suite("Baking")
struct BakingTests {
    static let ob3 = "eyJhbGciOiJFUzI1NiJ9.eyJAY29udGV4dCI6WyJodHRwczovL3d3dy53My5vcmcvbnMvY3JlZGVudGlhbHMvdjIiXX0.c2ln"
    static let ob2 = "{\"@context\":\"https://w3id.org/openbadges/v2\",\"id\":\"https://badges.example.org/ob2/assertions/1.json\",\"narrative\":\"a ]]> b\"}"

    @Test("PNG: bake and unbake both versions; the keyword follows the version", arguments: [ob3, ob2])
    func png(credential: String) throws {
        let baked = try Baker.bake(credential, into: Setup.tinyPNG())
        #expect(try Baker.unbake(baked) == credential)
        let keyword = Baker.version(of: credential) == .ob2 ? "openbadges" : "openbadgecredential"
        #expect(baked.range(of: Data("iTXt\(keyword)\0".utf8)) != nil)
        // Baking again replaces the credential rather than adding a second one.
        let again = try Baker.bake(credential, into: baked)
        #expect(again.count == baked.count)
        #expect(try Baker.unbake(Setup.tinyPNG()) == nil)
    }

    @Test("SVG: bake and unbake both versions, JWS in verify, JSON in CDATA", arguments: [ob3, ob2])
    func svg(credential: String) throws {
        let image = Data("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 8 8\" data-note=\"a > b\"><circle r=\"4\"/></svg>".utf8)
        let baked = try Baker.bake(credential, into: image)
        let text = String(decoding: baked, as: UTF8.self)
        #expect(try Baker.unbake(baked) == credential)
        if Baker.version(of: credential) == .ob2 {
            #expect(text.contains("xmlns:openbadges=\"http://openbadges.org\""))
            #expect(text.contains("<openbadges:assertion verify=\"https://badges.example.org/ob2/assertions/1.json\"><![CDATA["))
        } else {
            #expect(text.contains("xmlns:openbadges=\"https://purl.imsglobal.org/ob/v3p0\""))
            #expect(text.contains("<openbadges:credential verify=\"\(credential)\"/>"))
        }
        #expect(text.hasSuffix("<circle r=\"4\"/></svg>"))
    }

    @Test("damaged images are refused, not misread")
    func damaged() throws {
        var png = Setup.tinyPNG()
        png[png.count - 20] ^= 0xFF
        #expect(throws: CredentialError.self) { try Baker.unbake(png) }
        #expect(throws: CredentialError.self) { try Baker.bake(Self.ob3, into: Data("GIF89a".utf8)) }
    }
}
