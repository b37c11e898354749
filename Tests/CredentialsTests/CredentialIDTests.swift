import Basics
import Foundation
import Testing

@testable import Credentials

@Suite("Credential ids")
struct CredentialIDTests {
    @Test("a version 7 UUID is laid out as RFC 9562's example (Appendix A.6)")
    func rfcExample() {
        let random: [UInt8] = [0x18, 0xC4, 0xDC, 0x0C, 0x0C, 0x07, 0x39, 0x8F]
        let text = Recipient.timeOrderedUUID(milliseconds: 0x017F_22E2_79B0, fraction: 0xCC3, random: random[...])
        #expect(text == "017f22e2-79b0-7cc3-98c4-dc0c0c07398f")
    }

    @Test("issued credentials have version 7 ids, in the order they were made, at the time they were made")
    func issuedIDsAreTimeOrdered() throws {
        let directory = try Setup.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let issuer = try CredentialIssuer(compiled: Setup.compiled, keys: Setup.keyStore(in: directory), baseURL: "https://badges.example.org/")
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let ids = try (0..<300).map { _ in
            try issuer.issue(Setup.client, badge: "sahkoposti-ja-liitteet", format: .ob3JWT, recipient: .anonymous, now: Setup.now).id
        }
        let after = UInt64(Date().timeIntervalSince1970 * 1000) + 1
        #expect(Set(ids).count == ids.count)
        var previous: UInt64 = 0
        for id in ids {
            // Read by Foundation, not by us.
            let uuid = try #require(UUID(uuidString: String(id.dropFirst("urn:uuid:".count)))).uuid
            #expect(id.hasPrefix("urn:uuid:"))
            #expect(uuid.6 >> 4 == 7, "version")
            #expect(uuid.8 >> 6 == 0b10, "variant")
            let milliseconds = [uuid.0, uuid.1, uuid.2, uuid.3, uuid.4, uuid.5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(milliseconds >= before && milliseconds <= after)
            // Time and the fraction of the millisecond: never earlier than the id before.
            let ordered = milliseconds << 12 | UInt64(uuid.6 & 0x0F) << 8 | UInt64(uuid.7)
            #expect(ordered >= previous)
            previous = ordered
        }
    }

    @Test("OB 2.0 assertions keep version 4 ids (the OB 2.0 validator reads only versions 1-5)", arguments: [CredentialFormat.ob2Signed, .ob2Hosted])
    func ob2IDsAreRandom(format: CredentialFormat) throws {
        let directory = try Setup.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let issuer = try CredentialIssuer(compiled: Setup.compiled, keys: Setup.keyStore(in: directory), baseURL: "https://badges.example.org/")
        let id = try issuer.issue(Setup.client, badge: "sahkoposti-ja-liitteet", format: format, recipient: .anonymous, now: Setup.now).id
        let text = id.hasPrefix("urn:uuid:") ? String(id.dropFirst("urn:uuid:".count)) : String(id.split(separator: "/").last!.dropLast(".json".count))
        let uuid = try #require(UUID(uuidString: text)).uuid
        #expect(uuid.6 >> 4 == 4)
        #expect(uuid.8 >> 6 == 0b10)
    }
}
