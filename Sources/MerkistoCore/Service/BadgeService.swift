public import Basics
import Foundation
public import Credentials
import Definitions
public import Evaluation
public import Storage

/// Merkisto's use cases over typed values: the one place where the rules live.
///
/// The use cases are grouped by area, a folder each: clients, pathways, assessments and evaluation,
/// attestations, awards (credentials, sharing, bulk issuing), definitions (versions, the live service, keys),
/// users and sign-in, audit, hosting and the report. Each area's checked use cases take the acting
/// ``Actor`` (`as:`) and authorize first; the unchecked ones (`by:`, the audit name) are `package`.
/// The command-line tool and the server parse their input, call one of these and render the answer.
/// Every change goes through the ``Store``, which makes it durable — together with its audit entry —
/// before the call returns, so whatever a front end reports as done is done.
public struct BadgeService: Sendable {
    public let store: any Store
    public private(set) var compiled: CompiledDefinitions
    public let keys: KeyStore
    /// Where hosted documents live; nil: the issuer's base-url.
    public let baseURL: String?
    let clock: @Sendable () -> Timestamp
    /// Issuers per language, kept for the service's life: each remembers its badges' payload templates.
    var issuers = LanguageIssuers()
    /// The signed status and revocation lists, and a verifier over them, for one status version.
    var hosting = VersionedCache<HostedState>()
    /// Failed sign-ins, for throttling: counted in the store, which every server shares.
    var throttle: SignInThrottle { SignInThrottle(store: store) }
    /// bcrypt's cost for new password hashes (2^cost rounds).
    public let passwordCost: UInt8
    /// How long a wallet exchange works after it is opened (microseconds; 15 minutes).
    public var walletExchangeLifetime: Int64 = 15 * 60 * 1_000_000

    public init(
        store: any Store, compiled: CompiledDefinitions, keys: KeyStore, baseURL: String? = nil,
        clock: @escaping @Sendable () -> Timestamp = { Timestamp.now }, passwordCost: UInt8 = 12
    ) {
        self.passwordCost = passwordCost
        self.store = store
        self.compiled = compiled
        self.keys = keys
        self.baseURL = baseURL
        self.clock = clock
    }

    public var now: Timestamp { clock() }

    /// The same service over other definitions, or over the same ones after the keys changed: new issuers
    /// (their payload templates come from both), the same store, keys, clock and sign-in throttle.
    public func renewed(compiled: CompiledDefinitions? = nil) -> BadgeService {
        var copy = self
        if let compiled { copy.compiled = compiled }
        copy.issuers = LanguageIssuers()
        copy.hosting = VersionedCache()
        return copy
    }

    // MARK: Helpers

    func liveFile(_ id: String) async throws(CoreError) -> ClientFile {
        let file = try await clientFile(id)
        guard file.client.erasedAt == nil else { throw CoreError(.conflict, key: "client.erased", ["client": id]) }
        return file
    }

    func checkBadge(_ id: String) throws(CoreError) {
        guard compiled.badge(id) != nil else { throw CoreError(.notFound, key: "badge.notFound", ["badge": id]) }
    }
}

/// The credential issuer of each language, made on first use; shared by copies of a service and safe across
/// threads. (Each issuer keeps its own memory of badge texts and templates.)
final class LanguageIssuers: @unchecked Sendable {
    // Every access goes through `lock`.
    private let lock = NSLock()
    private var issuers: [Language: CredentialIssuer] = [:]

    func issuer(_ language: Language, make: () throws -> CredentialIssuer) throws -> CredentialIssuer {
        try lock.withLock {
            if let issuer = issuers[language] { return issuer }
            let issuer = try make()
            issuers[language] = issuer
            return issuer
        }
    }
}

/// A client as a list shows them.
public struct ClientSummary: Sendable, Hashable {
    public var client: StoredClient
    /// The open pathway period's current phase and decision end (nil without an open period).
    public var phase: String?
    public var decisionEnd: Timestamp?
    /// The open period is past its decision's end.
    public var overdue: Bool
    public var assessments: Int
    public var credentials: Int

    public init(_ listing: ClientListing, at time: Timestamp) {
        client = listing.client
        phase = listing.phase
        decisionEnd = listing.decisionEnd
        overdue = listing.isOverdue(at: time)
        assessments = listing.assessments
        credentials = listing.credentials
    }

    public init(_ file: ClientFile, at time: Timestamp) {
        self.init(ClientListing(file), at: time)
    }
}

/// One value kept for the version it was made for (say, the store's status version): asked again for the
/// same version it is given back, for another it is made again. Shared by copies of a service.
final class VersionedCache<Value>: @unchecked Sendable {
    // Every access goes through `lock`; `make` runs outside it (two callers may both make a value).
    private let lock = NSLock()
    private var kept: (version: Int, value: Value)?

    func value(for version: Int, make: () async throws -> Value) async rethrows -> Value {
        if let kept = lock.withLock({ kept }), kept.version == version { return kept.value }
        let value = try await make()
        lock.withLock { kept = (version, value) }
        return value
    }
}
