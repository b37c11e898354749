import Basics
import Credentials
import Foundation
import Hummingbird
import HummingbirdTesting
import MerkistoCore
import Storage
import Testing

@Suite("The verification page")
struct VerifyPageTests {
    /// Posts a credential to the verification page in English and gives the page.
    static func verify(_ credential: [UInt8], http: some TestClientProtocol) async throws -> String {
        let body = "credential=" + String(decoding: credential, as: UTF8.self).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        return try await http.execute(
            uri: "/verify", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .acceptLanguage: "en"],
            body: ByteBuffer(string: body)
        ) { response in
            #expect(response.status == .ok)
            return String(buffer: response.body)
        }
    }

    @Test("a suspended ob3-ldp credential is shown suspended whatever the shape of its JSON")
    func reshapedSuspended() async throws {
        let world = try await DemoWorld()
        defer { world.cleanup() }
        let client = try #require(world.seed.client)
        let issued = try await world.service.issue(client: client, badge: "digihyvinvointi-ja-netiketti", format: .ob3LDP, by: "test")
        guard case .object(let document) = try JSONDecoder().decode(JSONValue.self, from: Data(issued.bytes)),
            let status = document["credentialStatus"]
        else {
            Issue.record("no credentialStatus")
            return
        }
        var wrapped = document
        wrapped["credentialStatus"] = .array([status])
        var aliased = document
        aliased["@type"] = aliased.removeValue(forKey: "type")
        aliased["@id"] = aliased.removeValue(forKey: "id")
        let shapes = [issued.bytes, JSONValue.object(wrapped).jsonBytes(), JSONValue.object(aliased).jsonBytes()]
        try await world.application().test(.router) { http in
            for shape in shapes {
                let page = try await Self.verify(shape, http: http)
                #expect(page.contains("The badge is genuine and valid."))
            }
            try await world.service.ledger.suspend(credential: issued.id, reason: "tarkistetaan", by: "test")
            for shape in shapes {
                let page = try await Self.verify(shape, http: http)
                #expect(page.contains("The badge is suspended for now."))
                #expect(!page.contains("The badge is genuine and valid."))
            }
        }
    }
}
