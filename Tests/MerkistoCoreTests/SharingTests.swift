import Basics
import Credentials
import Definitions
import MerkistoCore
import Storage
import Testing

@Suite("Share links: a client shows one badge to whoever they choose, and stops")
struct SharingTests {
    @Test("only the client turns a link on; its page shows the badge and whether it is valid, never the client; off, revoked or erased, it is gone")
    func shareAndStop() throws {
        let world = try AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        let credential = try AttestationTests.awarded(world)
        for actor in [world.instructor, world.admin] {
            #expect { try service.shareCredential(credential.id, as: actor) } throws: { ($0 as? CoreError)?.key == "holder.clientOnly" }
        }
        #expect(try service.shares(as: world.client).isEmpty)
        // By the uuid of its page address, as by its id: the same link, made once.
        let share = try service.shareCredential(credential.pageID, as: world.client)
        #expect(try service.shareCredential(credential.id, as: world.client) == share)
        #expect(try service.shares(as: world.client) == [share])
        #expect(try service.shareURL(share) == "https://badges.example.org/shared/" + share.token)
        let shared = try service.sharedBadge(token: share.token)
        #expect(shared.badge.id == "tyonhaku-verkossa" && shared.report.isValid && shared.issuedAt == credential.issuedAt)
        // Unknown and malformed tokens are alike "not found".
        for token in [String(repeating: "0", count: 32), "../../etc/passwd", ""] {
            #expect { try service.sharedBadge(token: token) } throws: { ($0 as? CoreError)?.key == "share.notFound" }
        }
        try service.stopSharing(credential.id, as: world.client)
        #expect { try service.sharedBadge(token: share.token) } throws: { ($0 as? CoreError)?.key == "share.notFound" }
        #expect { try service.stopSharing(credential.id, as: world.client) } throws: { ($0 as? CoreError)?.code == .notFound }
        let actions = try service.store.auditLog().suffix(2).map(\.action)
        #expect(actions == ["share.on", "share.off"])
        // On again, then revoked: gone; a revoked credential cannot be shared anew.
        let again = try service.shareCredential(credential.id, as: world.client)
        #expect(again.token != share.token)
        _ = try service.ledger.revoke(credential: credential.id, reason: "test", by: "test")
        #expect { try service.sharedBadge(token: again.token) } throws: { ($0 as? CoreError)?.key == "share.notFound" }
        try service.stopSharing(credential.id, as: world.client)
        #expect { try service.shareCredential(credential.id, as: world.client) } throws: { ($0 as? CoreError)?.key == "share.revoked" }
    }

    @Test("erasing the client removes their share links")
    func erasureRemovesLinks() throws {
        let world = try AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        let credential = try AttestationTests.awarded(world)
        let share = try service.shareCredential(credential.id, as: world.client)
        try service.eraseClient("asiakas-1", confirm: "asiakas-1", as: world.admin)
        #expect(try service.store.share(token: share.token) == nil)
        #expect { try service.sharedBadge(token: share.token) } throws: { ($0 as? CoreError)?.key == "share.notFound" }
    }
}
