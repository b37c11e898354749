public import Basics
import Credentials
import Crypto
import Evaluation
import Foundation
public import Storage

/// An exchange a client opened to put one of their badges into a wallet: the interaction URL to show as
/// a link and a QR code, and until when it works.
public struct WalletOffer: Sendable {
    /// `…/wallet/<secret>?iuv=1` (VC-API / VCALM interaction URL).
    public var interactionURL: String
    public var badge: String
    public var expiresAt: Timestamp
}

extension BadgeService {
    /// Opens an exchange for a badge the client holds validly (only the client, from one of their own
    /// credentials): the wallet that completes it within ``walletExchangeLifetime`` (15 minutes) gets a new `ob3-ldp` credential of the
    /// badge issued to its DID. Audited.
    public func openWalletExchange(_ reference: String, as actor: Actor) async throws(CoreError) -> WalletOffer {
        let credential = try await ownCredential(reference, as: actor)
        let file = try await liveFile(credential.client)
        let time = now
        guard validCredential(credential, in: file) else {
            throw CoreError(.conflict, key: "exchange.notValid", ["credential": credential.id])
        }
        let secret = Self.randomHex(16)
        let exchange = WalletExchange(
            id: Self.exchangeID(secret), client: credential.client, badge: credential.badge, challenge: Self.randomUUID(), createdAt: time,
            expiresAt: Timestamp(microseconds: time.microseconds + walletExchangeLifetime))
        try await stored { () async throws(StoreError) in try await store.addExchange(exchange, by: actor.auditName, at: time) }
        return WalletOffer(interactionURL: try layoutBase() + "wallet/" + secret + "?iuv=1", badge: credential.badge, expiresAt: exchange.expiresAt)
    }

    /// Whether a credential of the client's is valid now (not revoked, not suspended, not expired): what
    /// can be handed over or put into a wallet.
    public func validCredential(_ credential: IssuedCredential, in file: ClientFile) -> Bool {
        validCredentials(file, at: now).contains { $0.id == credential.id }
    }

    /// Whether the client holds a valid `ob3-ldp` credential of the badge: the one a wallet's copy replaces.
    public func holdsDataIntegrityCopy(of badge: String, in file: ClientFile) -> Bool {
        validCredentials(file, at: now).contains { $0.badge == badge && $0.format == .ob3LDP }
    }

    /// The answer to `GET` of the interaction URL: where the wallet goes on (`{"protocols": {"vcapi": …}}`).
    public func walletProtocols(_ secret: String) async throws(CoreError) -> JSONValue {
        _ = try await openExchange(secret)
        return .object(["protocols": .object(["vcapi": .string(try layoutBase() + "wallet/" + secret + "/exchange")])])
    }

    /// One message of the exchange from the wallet, answered: `{}` gets the DID authentication request (the
    /// exchange's challenge and the server's domain); the holder's signed presentation (`{"verifiablePresentation":
    /// …}`, or the presentation alone) gets the credential, issued to the holder's DID with a status entry, in
    /// a presentation. Refused, with nothing issued: an unknown, expired or completed exchange, a proof for
    /// another challenge or domain, by another key than the holder's, expired or not verifying.
    public func walletExchange(_ secret: String, message: JSONValue) async throws -> JSONValue {
        let exchange = try await openExchange(secret)
        guard case .object(let fields) = message else { throw CoreError(.invalid, key: "exchange.message") }
        let domain = try layoutOrigin()
        if fields.isEmpty {
            return .object([
                "verifiablePresentationRequest": .object([
                    "query": [
                        .object([
                            "type": "DIDAuthentication", "acceptedMethods": [.object(["method": "key"])],
                            "acceptedCryptosuites": [.object(["cryptosuite": "Ed25519Signature2020"]), .object(["cryptosuite": "eddsa-rdfc-2022"])],
                        ])
                    ],
                    "challenge": .string(exchange.challenge), "domain": .string(domain),
                ])
            ])
        }
        let presentation: [String: JSONValue]
        if case .object(let wrapped)? = fields["verifiablePresentation"] {
            presentation = wrapped
        } else if fields["proof"] != nil {
            presentation = fields
        } else {
            throw CoreError(.invalid, key: "exchange.message")
        }
        let time = now
        let holder: String
        do {
            holder = try HolderProof.holder(of: presentation, challenge: exchange.challenge, domain: domain, now: time)
        } catch {
            throw CoreError(.unauthenticated, key: "exchange.didAuth", ["reason": error.message])
        }
        // Earned still (else nothing is used up), then the exchange is taken once, then the credential issued.
        let file = try await liveFile(exchange.client)
        let language = credentialLanguage(for: file.client, requested: nil)
        _ = try self.issuer(language).requireEarned(try record(of: file), badge: exchange.badge, now: time)
        guard try await stored({ () async throws(StoreError) in try await store.completeExchange(id: exchange.id, at: time) }) else {
            throw CoreError(.conflict, key: "exchange.used")
        }
        let credential = try await issue(
            client: exchange.client, badge: exchange.badge, format: .ob3LDP, recipient: .subjectID(holder), replacing: true, by: "wallet")
        return .object([
            "verifiablePresentation": .object([
                "@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                "verifiableCredential": [try StrictJSON.read(credential.bytes)],
            ])
        ])
    }

    /// The exchange behind a secret when it can still be used: "not found" for a secret that never was (or
    /// is malformed), a conflict for one used or expired.
    func openExchange(_ secret: String) async throws(CoreError) -> WalletExchange {
        guard secret.utf8.count == 32, Hex.decode(secret) != nil,
            let exchange = try await stored({ () async throws(StoreError) in try await store.exchange(id: Self.exchangeID(secret)) })
        else { throw CoreError(.notFound, key: "exchange.notFound") }
        guard exchange.completedAt == nil else { throw CoreError(.conflict, key: "exchange.used") }
        guard exchange.expiresAt > now else { throw CoreError(.conflict, key: "exchange.expired") }
        return exchange
    }

    static func exchangeID(_ secret: String) -> String { Hex.encode(SHA256.hash(data: Array(secret.utf8))) }

    /// A random (version 4) UUID.
    static func randomUUID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return uuidText(Hex.encode(bytes))
    }

    /// 32 hex digits written as a UUID (8-4-4-4-12).
    static func uuidText(_ hex: String) -> String {
        let digits = Array(hex.prefix(32))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(digits[$0]) }.joined(separator: "-")
    }

    /// The base URL the public documents are served under (ending in `/`).
    func layoutBase() throws(CoreError) -> String {
        do { return try publisher().layout.base } catch { throw CoreError(.failure, "\(error)") }
    }

    /// The domain a holder's proof must name: the base URL's origin (`https://host[:port]`).
    func layoutOrigin() throws(CoreError) -> String {
        let base = try layoutBase()
        guard let scheme = base.range(of: "://") else { return base }
        let rest = base[scheme.upperBound...]
        return String(base[..<scheme.upperBound]) + String(rest.prefix { $0 != "/" })
    }
}
