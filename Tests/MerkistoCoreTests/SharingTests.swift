import Basics
import Credentials
import Definitions
import MerkistoCore
import Storage
import Testing

@Suite("Share links: a client shows one badge to whoever they choose, and stops")
struct SharingTests {
    @Test("only the client turns a link on; its page shows the badge and whether it is valid, never the client; off, revoked or erased, it is gone")
    func shareAndStop() async throws {
        let world = try await AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        let credential = try await AttestationTests.awarded(world)
        for actor in [world.instructor, world.admin] {
            await #expect { try await service.shareCredential(credential.id, as: actor) } throws: { ($0 as? CoreError)?.key == "holder.clientOnly" }
        }
        #expect(try await service.shares(as: world.client).isEmpty)
        // By the uuid of its page address, as by its id: the same link, made once.
        let share = try await service.shareCredential(credential.pageID, as: world.client)
        #expect(try await service.shareCredential(credential.id, as: world.client) == share)
        #expect(try await service.shares(as: world.client) == [share])
        #expect(try service.shareURL(share) == "https://badges.example.org/shared/" + share.token)
        let shared = try await service.sharedBadge(token: share.token)
        #expect(shared.badge.id == "tyonhaku-verkossa" && shared.report.isValid && shared.issuedAt == credential.issuedAt)
        // Unknown and malformed tokens are alike "not found".
        for token in [String(repeating: "0", count: 32), "../../etc/passwd", ""] {
            await #expect { try await service.sharedBadge(token: token) } throws: { ($0 as? CoreError)?.key == "share.notFound" }
        }
        try await service.stopSharing(credential.id, as: world.client)
        await #expect { try await service.sharedBadge(token: share.token) } throws: { ($0 as? CoreError)?.key == "share.notFound" }
        await #expect { try await service.stopSharing(credential.id, as: world.client) } throws: { ($0 as? CoreError)?.code == .notFound }
        let actions = try await service.store.auditLog().suffix(2).map(\.action)
        #expect(actions == ["share.on", "share.off"])
        // On again, then revoked: gone; a revoked credential cannot be shared anew.
        let again = try await service.shareCredential(credential.id, as: world.client)
        #expect(again.token != share.token)
        _ = try await service.ledger.revoke(credential: credential.id, reason: "test", by: "test")
        await #expect { try await service.sharedBadge(token: again.token) } throws: { ($0 as? CoreError)?.key == "share.notFound" }
        try await service.stopSharing(credential.id, as: world.client)
        await #expect { try await service.shareCredential(credential.id, as: world.client) } throws: { ($0 as? CoreError)?.key == "share.revoked" }
    }

    @Test("erasing the client removes their share links")
    func erasureRemovesLinks() async throws {
        let world = try await AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        let credential = try await AttestationTests.awarded(world)
        let share = try await service.shareCredential(credential.id, as: world.client)
        try await service.eraseClient("asiakas-1", confirm: "asiakas-1", as: world.admin)
        #expect(try await service.store.share(token: share.token) == nil)
        await #expect { try await service.sharedBadge(token: share.token) } throws: { ($0 as? CoreError)?.key == "share.notFound" }
    }
}
