import Credentials
import Foundation
import Testing

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
