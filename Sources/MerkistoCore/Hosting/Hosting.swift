public import Basics
public import Credentials
public import Foundation
import Storage

/// A credential as its public URL answers for it.
public enum HostedCredential: Sendable, Equatable {
    /// A hosted OB 2.0 assertion, as issued.
    case assertion(Data)
    /// A hosted OB 2.0 assertion that was revoked: `410 Gone` with this body (the same bytes `publish` writes).
    case revokedAssertion(Data)
    /// An OB 3.0 VC-JWT (compact JWS), fetched by its unguessable id; revoked or not, the token is the same
    /// and its revocation is in the revocation list that it names.
    case token(Data)
    /// An OB 3.0 credential with a Data Integrity proof (JSON), fetched by its unguessable id.
    case signedDocument(Data)
}

extension BadgeService {
    /// The publisher for the definitions, keys and base URL of this service.
    public func publisher() throws -> CredentialPublisher {
        try CredentialPublisher(compiled: compiled, keys: keys, baseURL: baseURL)
    }

    /// Writes every public document a verifier needs; returns the publisher's base URL and the paths written.
    public func publish(to directory: String) throws -> (base: String, paths: [String]) {
        let publisher = try publisher()
        let hosted = try stored { () throws(StoreError) in try store.credentials() }.filter { $0.format == .ob2Hosted }.compactMap { credential in
            credential.id.hasPrefix(publisher.layout.base)
                ? CredentialPublisher.HostedAssertion(
                    id: credential.id, path: String(credential.id.dropFirst(publisher.layout.base.count)), bytes: credential.bytes)
                : nil
        }
        return (
            publisher.layout.base,
            try publisher.publish(to: directory, revoked: try revokedEntries(), hosted: hosted, status: try statusListState())
        )
    }

    /// How many credentials are revoked: a change means a new revocation.
    public func revocationCount() throws(CoreError) -> Int {
        try stored { () throws(StoreError) in try store.revocationCount() }
    }

    /// The revocation lists and the status lists as they stand now (the same bytes `publish` writes), made
    /// and signed once per status version.
    public func revocationLists() throws -> [CredentialPublisher.Document] {
        try hostedState().lists
    }

    /// The lists, and a verifier over them and the published keys, for the current status version.
    private func hostedState() throws -> HostedState {
        try hosting.value(for: try statusVersion()) {
            let publisher = try publisher()
            // Without an active Ed25519 key the status lists cannot be signed: they are not served then, and a
            // verifier says of a credential that names one that its status is unknown (`publish` names the cause).
            let lists = try publisher.revocationLists(try revokedEntries()) + ((try? publisher.statusLists(try statusListState())) ?? [])
            let layout = publisher.layout
            let jwks = try publisher.lastingDocuments().first { $0.path == layout.jwksPath }?.bytes
            let byPath = Dictionary(lists.map { ($0.path, $0.bytes) }, uniquingKeysWith: { first, _ in first })
            // The store, not the service: the verifier is kept in the service's cache.
            let store = store
            let verifier = try CredentialVerifier { path in
                if path == layout.jwksPath { return jwks.map(Array.init) }
                if let list = byPath[path] { return Array(list) }
                guard path.hasPrefix("ob2/assertions/") else { return nil }
                switch try? Self.hostedCredential(atPath: path, layout: layout, store: store) {
                case .assertion(let bytes), .revokedAssertion(let bytes): return Array(bytes)
                default: return nil
                }
            }
            return HostedState(lists: lists, verifier: verifier)
        }
    }

    /// A number that changes whenever a revocation, suspension or lifting changes what the lists say.
    public func statusVersion() throws(CoreError) -> Int {
        try stored { () throws(StoreError) in try store.statusVersion() + store.revocationCount() }
    }

    private func statusListState() throws(CoreError) -> StatusListState {
        try stored { () throws(StoreError) in try store.statusListState() }
    }

    /// What the public URL `path` (relative to the base URL) answers for a stored credential: a hosted OB 2.0
    /// assertion (`ob2/assertions/UUID.json`) or an OB 3.0 credential (`credentials/UUID`); nil when there
    /// is no such credential.
    public func hostedCredential(atPath path: String, layout: PublishLayout) throws(CoreError) -> HostedCredential? {
        try Self.hostedCredential(atPath: path, layout: layout, store: store)
    }

    private static func hostedCredential(atPath path: String, layout: PublishLayout, store: any Store) throws(CoreError) -> HostedCredential? {
        if path.hasPrefix("ob2/assertions/") {
            let id = layout.base + path
            guard let credential = try stored({ () throws(StoreError) in try store.credential(id: id) }), credential.format == .ob2Hosted else {
                return nil
            }
            if try stored({ () throws(StoreError) in try store.revocation(of: id) }) != nil {
                do {
                    return .revokedAssertion(try CredentialPublisher.revokedAssertion(id: id))
                } catch {
                    throw CoreError(.failure, "cannot write the revoked assertion \(id): \(error)")
                }
            }
            return .assertion(Data(credential.bytes))
        }
        if let uuid = layout.credentialUUID(fromPath: path) {
            guard let credential = try stored({ () throws(StoreError) in try store.credential(id: "urn:uuid:" + uuid) }) else { return nil }
            switch credential.format {
            case .ob3JWT: return .token(Data(credential.bytes))
            case .ob3LDP: return .signedDocument(Data(credential.bytes))
            case .ob2Signed, .ob2Hosted: return nil
            }
        }
        return nil
    }

    /// Verifies a credential (a compact JWS, an OB 2.0 hosted assertion's JSON, or a baked PNG or SVG
    /// image that holds one) against this service's own keys, revocation lists and hosted assertions as they
    /// stand now; the report names every failure. Anyone may ask: it reveals nothing the public documents
    /// do not.
    public func verify(_ input: [UInt8], recipientEmail: String? = nil, at time: Timestamp? = nil) throws -> VerificationReport {
        try hostedState().verifier.verify(input: input, recipientEmail: recipientEmail, now: time ?? now)
    }

    private func revokedEntries() throws(CoreError) -> [CredentialPublisher.RevokedEntry] {
        try stored { () throws(StoreError) in try store.revocations() }.map {
            CredentialPublisher.RevokedEntry(id: $0.credentialID)
        }
    }
}

/// What the public lists say for one status version, signed, and a verifier that reads them.
struct HostedState: Sendable {
    var lists: [CredentialPublisher.Document]
    var verifier: CredentialVerifier
}
