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
    public func publish(to directory: String) async throws -> (base: String, paths: [String]) {
        let publisher = try publisher()
        let hosted = try await stored { () async throws(StoreError) in try await store.credentials() }.filter { $0.format == .ob2Hosted }.compactMap { credential in
            credential.id.hasPrefix(publisher.layout.base)
                ? CredentialPublisher.HostedAssertion(
                    id: credential.id, path: String(credential.id.dropFirst(publisher.layout.base.count)), bytes: credential.bytes)
                : nil
        }
        let revoked = try await revokedEntries()
        let status = try await statusListState()
        return (publisher.layout.base, try publisher.publish(to: directory, revoked: revoked, hosted: hosted, status: status))
    }

    /// How many credentials are revoked: a change means a new revocation.
    public func revocationCount() async throws(CoreError) -> Int {
        try await stored { () async throws(StoreError) in try await store.revocationCount() }
    }

    /// The revocation lists and the status lists as they stand now (the same bytes `publish` writes), made
    /// and signed once per status version.
    public func revocationLists() async throws -> [CredentialPublisher.Document] {
        try await hostedState().lists
    }

    /// The lists, and a verifier over them and the published keys, for the current status version.
    private func hostedState() async throws -> HostedState {
        try await hosting.value(for: try statusVersion()) {
            let publisher = try publisher()
            // Without an active Ed25519 key the status lists cannot be signed: they are not served then, and a
            // verifier says of a credential that names one that its status is unknown (`publish` names the cause).
            let revoked = try await revokedEntries()
            let status = try await statusListState()
            let lists = try publisher.revocationLists(revoked) + ((try? publisher.statusLists(status)) ?? [])
            let layout = publisher.layout
            let jwks = try publisher.lastingDocuments().first { $0.path == layout.jwksPath }?.bytes
            let byPath = Dictionary(lists.map { ($0.path, $0.bytes) }, uniquingKeysWith: { first, _ in first })
            // Hosted assertions are read from the store for each verification (see `verify`).
            let verifier = try CredentialVerifier { path in
                if path == layout.jwksPath { return jwks.map(Array.init) }
                return byPath[path].map(Array.init)
            }
            return HostedState(lists: lists, verifier: verifier)
        }
    }

    /// A number that changes whenever a revocation, suspension or lifting changes what the lists say.
    public func statusVersion() async throws(CoreError) -> Int {
        try await stored { () async throws(StoreError) in try await store.statusVersion() + store.revocationCount() }
    }

    private func statusListState() async throws(CoreError) -> StatusListState {
        try await stored { () async throws(StoreError) in try await store.statusListState() }
    }

    /// What the public URL `path` (relative to the base URL) answers for a stored credential: a hosted OB 2.0
    /// assertion (`ob2/assertions/UUID.json`) or an OB 3.0 credential (`credentials/UUID`); nil when there
    /// is no such credential.
    public func hostedCredential(atPath path: String, layout: PublishLayout) async throws(CoreError) -> HostedCredential? {
        try await Self.hostedCredential(atPath: path, layout: layout, store: store)
    }

    private static func hostedCredential(atPath path: String, layout: PublishLayout, store: any Store) async throws(CoreError) -> HostedCredential? {
        if path.hasPrefix("ob2/assertions/") {
            let id = layout.base + path
            guard let credential = try await stored({ () async throws(StoreError) in try await store.credential(id: id) }), credential.format == .ob2Hosted else {
                return nil
            }
            if try await stored({ () async throws(StoreError) in try await store.revocation(of: id) }) != nil {
                do {
                    return .revokedAssertion(try CredentialPublisher.revokedAssertion(id: id))
                } catch {
                    throw CoreError(.failure, "cannot write the revoked assertion \(id): \(error)")
                }
            }
            return .assertion(Data(credential.bytes))
        }
        if let uuid = layout.credentialUUID(fromPath: path) {
            guard let credential = try await stored({ () async throws(StoreError) in try await store.credential(id: "urn:uuid:" + uuid) }) else { return nil }
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
    public func verify(_ input: [UInt8], recipientEmail: String? = nil, at time: Timestamp? = nil) async throws -> VerificationReport {
        let verifier = try await hostedState().verifier
        let time = time ?? now
        // A hosted assertion is compared with the copy at its URL, which the store holds: the verifier names
        // the paths it looks for, they are read, and the verification runs again with them.
        let asked = AskedPaths()
        let report = verifier.overlaying { path in
            asked.add(path)
            return nil
        }.verify(input: input, recipientEmail: recipientEmail, now: time)
        let hosted = asked.paths.filter { $0.hasPrefix("ob2/assertions/") }
        guard !hosted.isEmpty else { return CoreMetrics.verified(report) }
        let layout = try publisher().layout
        var found: [String: [UInt8]] = [:]
        for path in hosted {
            switch try await Self.hostedCredential(atPath: path, layout: layout, store: store) {
            case .assertion(let bytes), .revokedAssertion(let bytes): found[path] = Array(bytes)
            default: break
            }
        }
        return CoreMetrics.verified(verifier.overlaying { [found] path in found[path] }.verify(input: input, recipientEmail: recipientEmail, now: time))
    }

    private func revokedEntries() async throws(CoreError) -> [CredentialPublisher.RevokedEntry] {
        try await stored { () async throws(StoreError) in try await store.revocations() }.map {
            CredentialPublisher.RevokedEntry(id: $0.credentialID)
        }
    }
}

/// The paths a verifier asked for.
private final class AskedPaths: @unchecked Sendable {
    // Every access goes through `lock`.
    private let lock = NSLock()
    private var asked: [String] = []

    func add(_ path: String) { lock.withLock { asked.append(path) } }
    var paths: [String] { lock.withLock { asked } }
}

/// What the public lists say for one status version, signed, and a verifier that reads them.
struct HostedState: Sendable {
    var lists: [CredentialPublisher.Document]
    var verifier: CredentialVerifier
}
