import Basics
import Credentials
import Crypto
import Definitions
import Foundation
import MerkistoCore
import Storage
import Testing

@Suite("Hand-over package: a client's badges and progress in one signed CLR 2.0 credential")
struct HandoverTests {
    typealias World3 = (service: BadgeService, cleanup: () -> Void, instructor: Actor, other: Actor, admin: Actor, client: Actor)

    /// asiakas-1 with työnhaku verkossa as ob3-ldp and as ob3-jwt, an Ed25519 key, and a self-assessment
    /// higher than the tested levels.
    static func world() async throws -> (World3, ldp: IssuedCredential, jwt: IssuedCredential, key: Curve25519.Signing.PublicKey) {
        let world = try await AttestationTests.world(keys: true)
        let key = try world.service.keys.generate(.edDSA, kid: "ed25519-test", now: World.now)
        try await world.service.attest(client: "asiakas-1", badge: "tyonhaku-verkossa", as: world.instructor)
        try await world.service.recordAssessment(
            StoredAssessment(
                id: "oma-1", assessedAt: World.now, assessor: "asiakas-1", evidence: .self, levels: [StoredAssessment.Level(competence: "1.3", level: 5)]),
            client: "asiakas-1", by: "test")
        let ldp = try await world.service.issue(client: "asiakas-1", badge: "tyonhaku-verkossa", format: .ob3LDP, by: "test")
        let jwt = try await world.service.issue(client: "asiakas-1", badge: "tyonhaku-verkossa", format: .ob3JWT, by: "test")
        let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: try #require(key.ed25519PublicKey))
        return (world, ldp, jwt, publicKey)
    }

    static func object(_ bytes: [UInt8]) throws -> [String: JSONValue] {
        guard case .object(let fields) = try StrictJSON.read(bytes) else { throw CoreError(.invalid, "not an object") }
        return fields
    }

    @Test("the client asks for their own; staff only with the client's agreement; others do not see the client; audited with whose consent")
    func whoMayMakeIt() async throws {
        let (world, _, _, _) = try await Self.world()
        defer { world.cleanup() }
        let service = world.service
        await #expect { try await service.handover(client: "asiakas-1", as: world.instructor) } throws: { ($0 as? CoreError)?.key == "handover.consent" }
        await #expect { try await service.handover(client: "asiakas-1", clientAgreed: true, as: world.other) } throws: { ($0 as? CoreError)?.code == .notFound }
        await #expect { try await service.handover(client: "asiakas-2", as: world.client) } throws: { ($0 as? CoreError)?.code == .notFound }
        await #expect { try await service.handover(client: "asiakas-1", format: .ob2Signed, as: world.client) } throws: {
            ($0 as? CoreError)?.key == "handover.format"
        }
        let audited = try await service.store.auditLog().count
        let byInstructor = try await service.handover(client: "asiakas-1", clientAgreed: true, as: world.instructor)
        let byClient = try await service.handover(client: "asiakas-1", format: .ob3JWT, as: world.client)
        _ = try await service.handover(client: "asiakas-1", as: .console)
        let entries = try await service.store.auditLog().dropFirst(audited)
        #expect(entries.map(\.action) == ["handover.make", "handover.make", "handover.make"])
        #expect(entries.map(\.actor) == ["ohjaaja-1", "asiakas-1-kayttaja", "cli"])
        let details = entries.map(\.detail)
        #expect(details[0].contains(byInstructor.package.id) && details[0].hasSuffix("consent recorded by ohjaaja-1"))
        #expect(details[1].contains(byClient.package.id) && details[1].contains("ob3-jwt") && details[1].hasSuffix("consent client"))
        #expect(details[2].hasSuffix("consent command line"))
        #expect(byInstructor.fileName == "handover-asiakas-1-\(String(World.now.utcDescription.prefix(10))).json")
        #expect(byClient.fileName.hasSuffix(".jwt"))
    }

    @Test("valid credentials as issued; the package's proof covers them: taking one out or changing one breaks it")
    func credentialsAsIssued() async throws {
        let (world, ldp, jwt, key) = try await Self.world()
        defer { world.cleanup() }
        let handover = try await world.service.handover(client: "asiakas-1", as: world.client)
        let package = try Self.object(handover.package.bytes)
        #expect(handover.package.included == [ldp.id] && handover.package.leftOut == [jwt.id])
        guard case .object(let subject)? = package["credentialSubject"], case .array(let inside)? = subject["verifiableCredential"] else {
            Issue.record("no subject")
            return
        }
        #expect(inside.first == .object(try Self.object(ldp.bytes)))
        #expect(package["type"] == ["VerifiableCredential", "ClrCredential"] && subject["type"] == ["ClrSubject"])
        #expect(!String(decoding: handover.package.bytes, as: UTF8.self).contains("asiakas-1"))
        #expect(try DataIntegrity.isValid(try DataIntegrity.proof(of: package), of: package, key: key))
        var taken = subject
        taken["verifiableCredential"] = .array(Array(inside.dropFirst()))
        var without = package
        without["credentialSubject"] = .object(taken)
        #expect(try DataIntegrity.isValid(try DataIntegrity.proof(of: without), of: without, key: key) == false)
        guard case .object(var first) = inside[0] else { return }
        first["name"] = "Toinen merkki"
        var changed = subject
        changed["verifiableCredential"] = .array([.object(first)] + inside.dropFirst())
        var altered = package
        altered["credentialSubject"] = .object(changed)
        #expect(try DataIntegrity.isValid(try DataIntegrity.proof(of: altered), of: altered, key: key) == false)

        // The VC-JWT package carries both, the JWT as its compact text; a revoked one is in neither.
        let asJWT = try await world.service.handover(client: "asiakas-1", format: .ob3JWT, as: world.client)
        #expect(asJWT.package.included == [ldp.id, jwt.id] && asJWT.package.leftOut.isEmpty)
        let payload = try Self.object(try #require(CompactJWS.payload(of: asJWT.package.bytes)))
        guard case .object(let jwtSubject)? = payload["credentialSubject"], case .array(let carried)? = jwtSubject["verifiableCredential"] else {
            Issue.record("no subject")
            return
        }
        #expect(carried.contains(.string(String(decoding: jwt.bytes, as: UTF8.self))))
        #expect(payload["jti"] == payload["id"] && payload["sub"] == jwtSubject["id"])
        _ = try await world.service.ledger.revoke(credential: ldp.id, reason: "test", by: "test")
        let afterRevoking = try await world.service.handover(client: "asiakas-1", format: .ob3JWT, as: world.client)
        #expect(afterRevoking.package.included == [jwt.id])
    }

    @Test("progress per baseline counts only evidence as strong as each requirement asks; badges are associated with the levels they show")
    func progressAndAssociations() async throws {
        let (world, _, _, key) = try await Self.world()
        defer { world.cleanup() }
        let handover = try await world.service.handover(client: "asiakas-1", language: .en, as: world.client)
        let package = try Self.object(handover.package.bytes)
        #expect(handover.package.baselines == ["kansalaisen-perustaso", "tyoelaman-perustaso"])
        guard case .object(let subject)? = package["credentialSubject"], case .array(let inside)? = subject["verifiableCredential"],
            case .array(let associations)? = subject["association"], case .array(let achievements)? = subject["achievement"]
        else {
            Issue.record("no subject")
            return
        }
        let base = "https://badges.example.org/baselines/"
        func results(_ baseline: String) throws -> [String: [String: JSONValue]] {
            for case .object(let credential) in inside {
                guard case .object(let credentialSubject)? = credential["credentialSubject"], case .object(let achievement)? = credentialSubject["achievement"],
                    achievement["id"] == .string(base + baseline + ".json"), case .array(let list)? = credentialSubject["result"]
                else { continue }
                #expect(credential["type"] == ["VerifiableCredential", "AchievementCredential"])
                #expect(try DataIntegrity.isValid(try DataIntegrity.proof(of: credential), of: credential, key: key))
                var byCompetence: [String: [String: JSONValue]] = [:]
                for case .object(let result) in list {
                    guard case .string(let description)? = result["resultDescription"] else { continue }
                    byCompetence[String(description.split(separator: "-").last!)] = result
                }
                return byCompetence
            }
            Issue.record("no progress credential for \(baseline)")
            return [:]
        }
        // 1.1: a test shows level 2; the working-life baseline asks level 3 from a test: in progress. 1.3: only
        // a self-assessment, of 5. The working-life baseline asks level 3 from a test: nothing counts, in
        // progress. The citizen baseline takes a self-assessment: 5, completed.
        let working = try results("tyoelaman-perustaso")
        #expect(working["1.1"]?["achievedLevel"] == .string(base + "tyoelaman-perustaso.json#competence-1.1-level-2"))
        #expect(working["1.1"]?["status"] == "InProgress")
        #expect(working["1.3"]?["achievedLevel"] == nil && working["1.3"]?["status"] == "InProgress")
        #expect(working["2.3"]?["status"] == "Completed")
        #expect(working["2.4"]?["achievedLevel"] == nil && working["2.4"]?["status"] == "InProgress")
        let citizen = try results("kansalaisen-perustaso")
        #expect(citizen["1.3"]?["achievedLevel"] == .string(base + "kansalaisen-perustaso.json#competence-1.3-level-5"))
        #expect(citizen["1.3"]?["status"] == "Completed")

        // työnhaku verkossa asks 2.3 at 3 from a test, 3.1, 1.1 and 2.6 at 2 from any evidence.
        let badge = "https://badges.example.org/achievements/tyonhaku-verkossa.json"
        let shown = Set(
            associations.compactMap { association -> String? in
                guard case .object(let fields) = association, fields["sourceId"] == .string(badge), case .string(let target)? = fields["targetId"] else { return nil }
                return target
            })
        #expect(
            shown == [
                base + "kansalaisen-perustaso.json#requirement-2.3", base + "kansalaisen-perustaso.json#requirement-3.1",
                base + "kansalaisen-perustaso.json#requirement-1.1", base + "kansalaisen-perustaso.json#requirement-2.6",
                base + "tyoelaman-perustaso.json#requirement-2.3",
            ])
        // Every association joins achievements the package names.
        let named = Set(achievements.compactMap { if case .object(let fields) = $0, case .string(let id)? = fields["id"] { id } else { nil } })
        for case .object(let association) in associations {
            guard case .string(let source)? = association["sourceId"], case .string(let target)? = association["targetId"] else { continue }
            #expect(named.contains(source) && named.contains(target), "\(source) → \(target)")
        }
    }

    @Test("without a signing key the package is refused, saying which key to make")
    func withoutKeys() async throws {
        let (service, cleanup) = try World.service(keys: false)
        defer { cleanup() }
        try await service.addUnit(id: "paja", name: "Paja", by: "test")
        try await service.registerClient(id: "asiakas-1", unit: "paja", by: "test")
        for format in [CredentialFormat.ob3LDP, .ob3JWT] {
            let refused: CoreError? = await {
                do {
                    _ = try await service.handover(client: "asiakas-1", format: format, as: .console)
                    return nil
                } catch { return error as? CoreError }
            }()
            #expect(refused?.key == "handover.noKey" && refused?.code == .conflict && refused?.message.contains("merkisto keys generate") == true)
        }
    }

    @Test("an erased client has no package")
    func erasedClient() async throws {
        let (world, _, _, _) = try await Self.world()
        defer { world.cleanup() }
        try await world.service.eraseClient("asiakas-1", confirm: "asiakas-1", as: world.admin)
        await #expect { try await world.service.handover(client: "asiakas-1", as: .console) } throws: { ($0 as? CoreError)?.key == "client.erased" }
    }
}
