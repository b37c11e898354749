import Basics
import Definitions
import Evaluation
import MerkistoCore
import Storage
import Testing

@Suite("Attestation: a staff member confirms what a badge asks them to confirm")
struct AttestationTests {
    /// A client of unit `paja` whose levels meet everything `tyonhaku-verkossa` asks but the instructor's confirmation.
    static func world(keys: Bool = false) async throws -> (service: BadgeService, cleanup: () -> Void, instructor: Actor, other: Actor, admin: Actor, client: Actor) {
        let (service, cleanup) = try World.service(keys: keys)
        try await service.addUnit(id: "paja", name: "Paja", by: "test")
        try await service.addUnit(id: "kahvila", name: "Kahvila", by: "test")
        try await service.registerClient(id: "asiakas-1", unit: "paja", by: "test")
        try await service.addUser(id: "ohjaaja-1", role: .instructor, units: ["paja"], by: "test")
        try await service.addUser(id: "ohjaaja-2", role: .instructor, units: ["kahvila"], by: "test")
        try await service.addUser(id: "paakayttaja", role: .admin, by: "test")
        try await service.addUser(id: "asiakas-1-kayttaja", role: .client, client: "asiakas-1", by: "test")
        let levels = [("2.3", 3), ("3.1", 2), ("1.1", 2), ("2.6", 2)].map { StoredAssessment.Level(competence: $0.0, level: $0.1) }
        try await service.recordAssessment(
            StoredAssessment(id: "testi-1", assessedAt: World.now, assessor: "ohjaaja-1", evidence: .test, levels: levels), client: "asiakas-1", by: "test")
        let users = try await service.users()
        func actor(_ id: String) throws -> Actor { Actor(user: try #require(users.first { $0.id == id })) }
        return (service, cleanup, try actor("ohjaaja-1"), try actor("ohjaaja-2"), try actor("paakayttaja"), try actor("asiakas-1-kayttaja"))
    }

    /// The instructor confirms työnhaku verkossa for asiakas-1 and the badge is issued (a VC-JWT).
    @discardableResult
    static func awarded(_ world: (service: BadgeService, cleanup: () -> Void, instructor: Actor, other: Actor, admin: Actor, client: Actor)) async throws -> IssuedCredential {
        try await world.service.attest(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.instructor)
        return try await world.service.issue(client: "asiakas-1", badge: "tyonhaku-verkossa", format: .ob3JWT, by: "test")
    }

    static func earned(_ service: BadgeService) async throws -> Bool {
        try await service.evaluate(client: "asiakas-1").badges.first { $0.id == "tyonhaku-verkossa" }?.earned == true
    }

    @Test("the instructor confirms, the badge becomes earned; the page's standing says who and when; withdrawing undoes it; all audited")
    func confirmAndWithdraw() async throws {
        let world = try await Self.world()
        defer { world.cleanup() }
        let service = world.service
        #expect(service.attestationRoles(of: "tyonhaku-verkossa") == [.instructor])
        #expect(try await !Self.earned(service))
        let given = try await service.attest(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.instructor)
        #expect(given.role == .instructor && given.by == "ohjaaja-1" && given.at == World.now)
        #expect(try await Self.earned(service))
        let standing = await service.attestations(of: try service.clientFile("asiakas-1")).first { $0.badge == "tyonhaku-verkossa" }
        #expect(standing?.given == given && standing?.role == .instructor)
        // Given once: a second confirmation is a conflict, and nothing more is written.
        let audited = try await service.store.auditLog().count
        await #expect { try await service.attest(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.instructor) } throws: {
            ($0 as? CoreError)?.key == "attestation.given"
        }
        #expect(try await service.store.auditLog().count == audited)
        #expect(try await service.withdrawAttestation(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.instructor) == [given])
        #expect(try await !Self.earned(service))
        await #expect(service.attestations(of: try service.clientFile("asiakas-1")).first { $0.badge == "tyonhaku-verkossa" }?.given == nil)
        await #expect { try await service.withdrawAttestation(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.instructor) } throws: {
            ($0 as? CoreError)?.code == .notFound
        }
        let actions = try await service.store.auditLog().suffix(2).map(\.action)
        #expect(actions == ["attestation.record", "attestation.withdraw"])
        // Confirmed again after the withdrawal: a new confirmation is recorded.
        try await service.attest(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.admin)
        #expect(try await Self.earned(service))
        #expect(try await service.clientFile("asiakas-1").attestations.map(\.by) == ["paakayttaja"])
    }

    @Test("clients cannot confirm, instructors of other units do not see the client, and a badge that asks nothing is refused")
    func refusals() async throws {
        let world = try await Self.world()
        defer { world.cleanup() }
        let service = world.service
        let audited = try await service.store.auditLog().count
        let cases: [(Actor, String, Criterion.Role?, CoreError.Code, String)] = [
            (world.client, "tyonhaku-verkossa", nil, .forbidden, "forbidden.staff"),
            (world.other, "tyonhaku-verkossa", nil, .notFound, "client.notFound"),
            (world.instructor, "sahkoposti-ja-liitteet", nil, .invalid, "attestation.notAsked"),
            (world.instructor, "tyonhaku-verkossa", .admin, .invalid, "attestation.roleNotAsked"),
            (world.instructor, "no-such-badge", nil, .notFound, "badge.notFound"),
        ]
        for (actor, badge, role, code, key) in cases {
            await #expect { try await service.attest(client: "asiakas-1", badge: badge, role: role, as: actor) } throws: {
                let error = $0 as? CoreError
                return error?.code == code && error?.key == key
            }
        }
        await #expect { try await service.withdrawAttestation(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.client) } throws: {
            ($0 as? CoreError)?.code == .forbidden
        }
        #expect(try await service.store.auditLog().count == audited)
        #expect(try await !Self.earned(service))
        // An administrator may confirm in the instructor's role; an instructor of the unit may withdraw it.
        try await service.attest(client: "asiakas-1", badge: "tyonhaku-verkossa", role: .instructor, as: world.admin)
        #expect(try await service.withdrawAttestation(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.instructor).map(\.by) == ["paakayttaja"])
        // An erased client takes no confirmation.
        try await service.eraseClient("asiakas-1", by: "test")
        await #expect { try await service.attest(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.admin) } throws: {
            ($0 as? CoreError)?.key == "client.erased"
        }
    }
}
