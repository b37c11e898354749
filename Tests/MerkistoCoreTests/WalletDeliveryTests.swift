import Basics
import Credentials
import Crypto
import Foundation
import MerkistoCore
import Storage
import Testing

@Suite("Wallet delivery: a badge to the DID of the wallet that completes the exchange, once, in time")
struct WalletDeliveryTests {
    /// A presentation the independent wallet imitation signed (Tests/CredentialsTests/Fixtures/wallet).
    static func presentation() throws -> JSONValue {
        try StrictJSON.read(Array(try Data(contentsOf: URL(fileURLWithPath: World.repository + "/Tests/CredentialsTests/Fixtures/wallet/vp-ed25519signature2020.json"))))
    }

    /// An exchange for asiakas-1's badge with the fixture's challenge, as if the client had opened it.
    static func exchange(_ service: BadgeService, secret: String, expiresAt: Timestamp) async throws {
        try await service.store.addExchange(
            WalletExchange(
                id: Hex.encode(SHA256.hash(data: Array(secret.utf8))), client: "asiakas-1", badge: "tyonhaku-verkossa",
                challenge: "3f8a2c1e-7b4d-4e21-9c5a-0d6e1f2a3b4c", createdAt: World.now, expiresAt: expiresAt),
            by: "test", at: World.now)
    }

    @Test("only the client opens one, for a valid badge; the wallet gets protocols, the request, then its credential; a replay is refused")
    func happyPath() async throws {
        let world = try await AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        let held = try await AttestationTests.awarded(world)
        await #expect { try await service.openWalletExchange(held.id, as: world.instructor) } throws: { ($0 as? CoreError)?.key == "holder.clientOnly" }
        let offer = try await service.openWalletExchange(held.pageID, as: world.client)
        #expect(offer.interactionURL.hasPrefix("https://badges.example.org/wallet/") && offer.interactionURL.hasSuffix("?iuv=1"))
        #expect(offer.expiresAt == Timestamp(microseconds: World.now.microseconds + 15 * 60 * 1_000_000))
        let secret = String(offer.interactionURL.dropFirst("https://badges.example.org/wallet/".count).prefix(32))
        #expect(try await service.walletProtocols(secret) == ["protocols": ["vcapi": .string("https://badges.example.org/wallet/\(secret)/exchange")]])
        guard case .object(let answer) = try await service.walletExchange(secret, message: [:]), case .object(let request)? = answer["verifiablePresentationRequest"]
        else {
            Issue.record("no request")
            return
        }
        #expect(request["domain"] == "https://badges.example.org")
        guard case .string(let challenge)? = request["challenge"] else { return }
        #expect(challenge.count == 36)

        // The independent wallet's presentation, on an exchange with its challenge.
        let fixture = String(repeating: "ab", count: 16)
        try await Self.exchange(service, secret: fixture, expiresAt: Timestamp(microseconds: World.now.microseconds + 60_000_000))
        let before = try await service.clientFile("asiakas-1").credentials.count
        let delivered = try await service.walletExchange(fixture, message: ["verifiablePresentation": try Self.presentation()])
        guard case .object(let vp) = delivered, case .object(let presentation)? = vp["verifiablePresentation"],
            case .array(let credentials)? = presentation["verifiableCredential"], case .object(let credential)? = credentials.first,
            case .object(let subject)? = credential["credentialSubject"]
        else {
            Issue.record("no credential: \(delivered)")
            return
        }
        #expect(subject["id"] == "did:key:z6MkvLKVP3CVH798CSuowXPokmRSbe7e2oWsjtQ1DtBsqRmT")
        #expect(credential["credentialStatus"] != nil)
        let file = try await service.clientFile("asiakas-1")
        #expect(file.credentials.count == before + 1 && file.credentials.last?.format == .ob3LDP && file.credentials.last?.recipient == "did:key:z6MkvLKVP3CVH798CSuowXPokmRSbe7e2oWsjtQ1DtBsqRmT")
        let actions = try await service.store.auditLog().suffix(2).map(\.action)
        #expect(actions == ["exchange.complete", "credential.issue"])
        await #expect { try await service.walletExchange(fixture, message: ["verifiablePresentation": try Self.presentation()]) } throws: {
            ($0 as? CoreError)?.key == "exchange.used"
        }
        #expect(try await service.clientFile("asiakas-1").credentials.count == before + 1)
    }

    @Test("refused with nothing issued: an expired exchange, an unknown one, another challenge, a revoked badge; erasure removes them")
    func refusals() async throws {
        let world = try await AttestationTests.world(keys: true)
        defer { world.cleanup() }
        let service = world.service
        let held = try await AttestationTests.awarded(world)
        let expired = String(repeating: "cd", count: 16)
        try await Self.exchange(service, secret: expired, expiresAt: World.now)
        await #expect { try await service.walletExchange(expired, message: ["verifiablePresentation": try Self.presentation()]) } throws: {
            ($0 as? CoreError)?.key == "exchange.expired"
        }
        for unknown in [String(repeating: "0", count: 32), "../etc", ""] {
            await #expect { try await service.walletProtocols(unknown) } throws: { ($0 as? CoreError)?.key == "exchange.notFound" }
        }
        // An exchange opened by the client has a challenge of its own: the fixture's presentation is not for it.
        let offer = try await service.openWalletExchange(held.id, as: world.client)
        let secret = String(offer.interactionURL.dropFirst("https://badges.example.org/wallet/".count).prefix(32))
        await #expect { try await service.walletExchange(secret, message: ["verifiablePresentation": try Self.presentation()]) } throws: {
            ($0 as? CoreError)?.key == "exchange.didAuth" && ($0 as? CoreError)?.code == .unauthenticated
        }
        await #expect { try await service.walletExchange(secret, message: ["hello": "world"]) } throws: { ($0 as? CoreError)?.key == "exchange.message" }
        #expect(try await service.clientFile("asiakas-1").credentials.count == 1)
        _ = try await service.ledger.revoke(credential: held.id, reason: "test", by: "test")
        await #expect { try await service.openWalletExchange(held.id, as: world.client) } throws: { ($0 as? CoreError)?.key == "exchange.notValid" }
        try await service.eraseClient("asiakas-1", confirm: "asiakas-1", as: world.admin)
        await #expect { try await service.walletProtocols(secret) } throws: { ($0 as? CoreError)?.key == "exchange.notFound" }
    }
}
