public import Basics
public import Definitions

/// Where Merkisto keeps everything it remembers: units, users, clients, pathway periods, assessments,
/// attestations, issued credentials, revocations and the audit log.
///
/// Every change is one atomic transaction that also appends its audit entry (who, when, what; never
/// personal data), and is durable when the method returns: a caller may report it done at once.
/// Stores check what a database can check — that ids exist, are not taken, and that a pathway period is
/// still where the caller saw it (`from expected:`) — while the rules of the pathway model and the
/// definitions live in the application core. ``SQLiteStore`` is the embedded default, ``MemoryStore``
/// serves tests; a PostgreSQL store can follow behind the same protocol.
public protocol Store: Sendable {
    // MARK: Units and users

    func addUnit(_ unit: ActivityUnit, by actor: String, at time: Timestamp) async throws(StoreError)
    func units() async throws(StoreError) -> [ActivityUnit]
    func addUser(_ user: User, by actor: String, at time: Timestamp) async throws(StoreError)
    func users() async throws(StoreError) -> [User]
    func user(id: String) async throws(StoreError) -> User?
    /// At most `limit` users of a kind after `after` in id order (byte order): a page read through indexes.
    func userList(_ kind: UserKind, after: String?, limit: Int) async throws(StoreError) -> [User]

    // MARK: Sign-in

    /// Sets (or replaces) a user's password hash (bcrypt); every session of the user ends.
    func setPassword(user: String, hash: String, by actor: String, at time: Timestamp) async throws(StoreError)
    func passwordHash(user: String) async throws(StoreError) -> String?
    /// Starts a session (a sign-in, audited).
    func addSession(_ session: StoredSession, at time: Timestamp) async throws(StoreError)
    func session(id: String) async throws(StoreError) -> StoredSession?
    /// A session with its user, read together (every signed-in request asks for both).
    func sessionUser(id: String) async throws(StoreError) -> (session: StoredSession, user: User)?
    /// Ends a session (a sign-out); an unknown id is not an error.
    func removeSession(id: String, at time: Timestamp) async throws(StoreError)
    /// Stores a one-time sign-in code (audited: who made it for whom).
    func addSignInCode(_ code: SignInCode, at time: Timestamp) async throws(StoreError)
    /// Uses a code and starts a session for its user, in one transaction: nil when the code is unknown,
    /// used or expired (nothing changes then).
    func redeemSignInCode(id: String, session: @Sendable (String) -> StoredSession, at time: Timestamp) async throws(StoreError) -> StoredSession?

    // MARK: Sign-in throttling

    /// The failed sign-ins counted under `keys` in windows that started after `windowStart`
    /// (microseconds since 1970), by key. Not audited: they are no changes to anything.
    func failureCounts(_ keys: [String], windowStart: Int64) async throws(StoreError) -> [String: FailureCount]
    /// Counts a failure at `time` under each key; a count whose window started at or before `windowStart`
    /// starts again (and such counts may be forgotten).
    func countFailure(_ keys: [String], at time: Int64, windowStart: Int64) async throws(StoreError)
    /// Forgets the counts under `keys`.
    func clearFailures(_ keys: [String]) async throws(StoreError)

    // MARK: API tokens

    /// Stores a new token; its user must exist.
    func addToken(_ token: APIToken, by actor: String, at time: Timestamp) async throws(StoreError)
    func token(id: String) async throws(StoreError) -> APIToken?
    /// Every token (revoked ones included), oldest first.
    func tokens() async throws(StoreError) -> [APIToken]
    /// At most `limit` tokens (revoked ones included), newest first, made before the token `after` (the last
    /// of the page before; an unknown one gives none): a page read by key.
    func tokenPage(after: String?, limit: Int) async throws(StoreError) -> [APIToken]
    /// Revokes a token; revoking twice is an error.
    func revokeToken(id: String, by actor: String, at time: Timestamp) async throws(StoreError)

    // MARK: Clients

    func addClient(_ client: StoredClient, by actor: String, at time: Timestamp) async throws(StoreError)
    /// Every client, erased ones included (they have no personal data left), ordered by id.
    func clients() async throws(StoreError) -> [StoredClient]
    /// Everything about one client, read in one transaction; nil when there is no such client.
    func clientFile(_ id: String) async throws(StoreError) -> ClientFile?
    /// Every client's id, in order.
    func clientIDs() async throws(StoreError) -> [String]
    /// One page of a client list: at most `query.limit` clients after its cursor, in its order, each read
    /// through indexes (the cost does not grow with the number of clients).
    func clientList(_ query: ClientQuery) async throws(StoreError) -> [ClientListing]
    /// How many clients there are in `units` (nil: every client): exact where counting reads no more than
    /// those clients' index entries, else (every client of a large store) an estimate that reads nothing.
    func clientCount(units: [String]?) async throws(StoreError) -> (count: Int, exact: Bool)
    /// The files of the given clients, in the order given, read in one transaction; unknown ids are left out.
    func clientFiles(_ ids: [String]) async throws(StoreError) -> [ClientFile]
    /// Every client's file as evaluation reads it, ordered by id, in batches handed to `workers` threads at
    /// once; returns what the body returned for each batch, in id order. For work over every client (a dry
    /// run). The files hold the client, assessments, attestations, held awards, credentials and revocations;
    /// a store may leave out what evaluation does not read (periods, suspensions, a credential's bytes).
    func forEachEvaluationBatch<T: Sendable>(workers: Int, _ body: @escaping @Sendable ([ClientFile]) throws -> T) async throws(StoreError) -> [T]
    /// Stores whole client files (import) in one transaction, all or none; no client may exist yet.
    func importClients(_ files: [ClientFile], by actor: String, at time: Timestamp) async throws(StoreError)
    /// Removes the client's personal data — display name, contact, language, assessments, attestations,
    /// held awards, pathway periods and client users — leaving the pseudonymous id, the credentials issued
    /// and their revocations, which verification needs.
    func eraseClient(_ id: String, by actor: String, at time: Timestamp) async throws(StoreError)

    // MARK: Pathway periods

    /// Starts a period; the client must exist and have no open period.
    func startPeriod(_ period: PathwayPeriod, by actor: String, at time: Timestamp) async throws(StoreError)
    /// Moves an open period into a phase, provided it is still in phase `expected`.
    func changePhase(period: String, from expected: String, to change: PhaseChange) async throws(StoreError)
    /// Closes an open period with an outcome, provided it is still in phase `expected`.
    func closePeriod(period: String, from expected: String, outcome: String, by actor: String, at time: Timestamp) async throws(StoreError)

    // MARK: Evidence

    /// Records an assessment; its id must be new for the client.
    func addAssessment(_ assessment: StoredAssessment, client: String, by actor: String, at time: Timestamp) async throws(StoreError)
    func addAttestation(_ attestation: StoredAttestation, client: String, by actor: String, at time: Timestamp) async throws(StoreError)
    /// Removes the client's attestations of `badge` in any of `roles` (audited); returns those removed.
    func withdrawAttestations(client: String, badge: String, roles: Set<Criterion.Role>, by actor: String, at time: Timestamp) async throws(StoreError) -> [StoredAttestation]

    // MARK: Credentials

    /// Records issued credentials in one transaction (a group commit); all or none. A client holds one valid
    /// credential per badge and format (not revoked, not past its `validUntil` at `time`): another is refused
    /// (`credential.held`, naming the one held) unless it is in `replacing`, the credentials revoked (reason
    /// "replaced") in the same transaction; the audit entry names them.
    func recordCredentials(_ credentials: [IssuedCredential], replacing: [String], by actor: String, at time: Timestamp) async throws(StoreError)

    /// Keeps a definition set (its files as a zip archive); false, changing nothing, when one with its
    /// digest is kept already. Audited when added.
    @discardableResult
    func addDefinitionsVersion(_ version: DefinitionsVersion, archive: [UInt8], by actor: String, at time: Timestamp) async throws(StoreError) -> Bool
    /// Every definition set kept, oldest first (without their files).
    func definitionsVersions() async throws(StoreError) -> [DefinitionsVersion]
    /// A kept definition set (without its files).
    func definitionsVersion(digest: String) async throws(StoreError) -> DefinitionsVersion?
    /// At most `limit` kept definition sets, newest first, kept before the set `after` (the last of the page
    /// before; an unknown one gives none): a page read by key.
    func definitionsVersionPage(after: String?, limit: Int) async throws(StoreError) -> [DefinitionsVersion]
    /// The files of a kept definition set (a zip archive).
    func definitionsArchive(digest: String) async throws(StoreError) -> [UInt8]?
    /// Makes a kept definition set the one in use (`.notFound` for one not kept). Audited.
    func activateDefinitions(digest: String, by actor: String, at time: Timestamp) async throws(StoreError)
    /// The digest of the definition set in use; nil before one was activated.
    func activeDefinitions() async throws(StoreError) -> String?

    /// Turns a share link on (one per credential: a second is `.duplicate`). Audited.
    func addShare(_ share: CredentialShare, by actor: String, at time: Timestamp) async throws(StoreError)
    /// Turns a credential's share link off (`.notFound` when it is off). Audited.
    func removeShare(credential: String, by actor: String, at time: Timestamp) async throws(StoreError)
    /// The share link with this token, if it is on.
    func share(token: String) async throws(StoreError) -> CredentialShare?
    /// The client's share links that are on.
    func shares(client: String) async throws(StoreError) -> [CredentialShare]

    // MARK: Wallet exchanges

    /// Keeps an exchange a client opened for one of their badges (audited), removing the exchanges expired at `time`.
    func addExchange(_ exchange: WalletExchange, by actor: String, at time: Timestamp) async throws(StoreError)
    /// The exchange with this id (the SHA-256 of its secret), if there is one.
    func exchange(id: String) async throws(StoreError) -> WalletExchange?
    /// Marks an open exchange completed, once: false when it was completed already or has expired at `time`.
    func completeExchange(id: String, at time: Timestamp) async throws(StoreError) -> Bool

    // MARK: OAuth 2.0 (the Open Badges 3.0 API)

    /// Registers a service (audited), first removing the registrations no client allowed that were made
    /// before `unusedBefore` (anyone may register, so unused ones must not pile up).
    func addOAuthClient(_ client: OAuthClient, removingUnusedBefore unusedBefore: Timestamp, at time: Timestamp) async throws(StoreError)
    func oauthClient(id: String) async throws(StoreError) -> OAuthClient?
    /// Records a client's consent and the authorization code it gives (audited).
    func addOAuthGrant(_ grant: OAuthGrant, code: OAuthToken, by actor: String, at time: Timestamp) async throws(StoreError)
    func oauthGrant(id: String) async throws(StoreError) -> OAuthGrant?
    /// The client's consents, withdrawn ones included, oldest first.
    func oauthGrants(client: String) async throws(StoreError) -> [OAuthGrant]
    /// Withdraws a consent and revokes every token of it (audited).
    func withdrawOAuthGrant(id: String, by actor: String, at time: Timestamp) async throws(StoreError)
    func oauthToken(hash: String) async throws(StoreError) -> OAuthToken?
    /// Uses a code or a refresh token once and keeps the tokens it gives, in one transaction: false (and
    /// nothing kept) when it is not live at `time`, of another kind, or its consent was withdrawn. A used
    /// refresh token is removed (a used code stays until it expires, so that its second use is seen), and so
    /// is every token expired at `time`.
    func redeemOAuthToken(hash: String, kind: OAuthToken.Kind, issuing tokens: [OAuthToken], at time: Timestamp) async throws(StoreError) -> Bool
    /// Revokes a token, or every token descending from a code (`origin`), or of a consent (`grant`).
    func revokeOAuthTokens(hash: String?, origin: String?, grant: String?, at time: Timestamp) async throws(StoreError)
    func credential(id: String) async throws(StoreError) -> IssuedCredential?
    /// Every credential, oldest first.
    func credentials() async throws(StoreError) -> [IssuedCredential]
    /// Revokes a credential; revoking twice is an error.
    func revoke(credential id: String, reason: String, by actor: String, at time: Timestamp) async throws(StoreError) -> Revocation
    func revocations() async throws(StoreError) -> [Revocation]
    /// The revocation of one credential, if it is revoked.
    func revocation(of credential: String) async throws(StoreError) -> Revocation?
    /// How many credentials are revoked (revocations are never undone: a change in this number is a new one).
    func revocationCount() async throws(StoreError) -> Int

    // MARK: Status lists

    /// Hands out `count` places in the status lists for credentials about to be issued, durably (see
    /// ``StatusPlacement``); a place is never handed out twice, whether its credential is recorded or not.
    func reserveStatusEntries(count: Int, at time: Timestamp) async throws(StoreError) -> [StatusListEntry]
    /// Suspends a credential that has a place in the status lists and is neither revoked nor suspended.
    func suspend(credential id: String, reason: String, by actor: String, at time: Timestamp) async throws(StoreError) -> Suspension
    /// Lifts a credential's suspension.
    func liftSuspension(credential id: String, by actor: String, at time: Timestamp) async throws(StoreError)
    /// The suspensions in force, oldest first.
    func suspensions() async throws(StoreError) -> [Suspension]
    /// The status lists as the publisher writes them.
    func statusListState() async throws(StoreError) -> StatusListState
    /// A number that grows with every change of a credential's status (revocation, suspension, lifting).
    func statusVersion() async throws(StoreError) -> Int

    // MARK: Changes

    /// Calls `changed` with the audit action of each change committed to the store by any process, as it
    /// commits, until the task is cancelled (PostgreSQL: LISTEN on a connection of its own; `"*"` after
    /// listening starts or starts again, when notices may have been missed). A store that tells no one
    /// returns at once: callers also check periodically.
    func followChanges(_ changed: @escaping @Sendable (String) async -> Void) async throws(StoreError)
    /// Whether the store can be read now and its schema is the one this program writes (for /readyz).
    func isReady() async -> Bool

    // MARK: Audit

    func auditLog() async throws(StoreError) -> [AuditEntry]
    /// At most `limit` entries from sequence number `first` on, in order (read through the key, whatever the
    /// log's length).
    func auditEntries(from first: Int64, limit: Int) async throws(StoreError) -> [AuditEntry]
    /// The last entry's sequence number (0 for an empty log).
    func lastAuditSequence() async throws(StoreError) -> Int64
    /// Writes the audit entry of a change made outside the store (signing keys, the definitions in use):
    /// an action name, the id it concerns and a detail of ids only.
    func recordEvent(action: String, subject: String, detail: String, by actor: String, at time: Timestamp) async throws(StoreError)
}

extension Store {
    public func sessionUser(id: String) async throws(StoreError) -> (session: StoredSession, user: User)? {
        guard let session = try await session(id: id), let user = try await user(id: session.user) else { return nil }
        return (session, user)
    }

    /// Whether the store can be read now, its schema up to date (for /readyz).
    public func isReady() async -> Bool { (try? await statusVersion()) != nil }

    public func followChanges(_ changed: @escaping @Sendable (String) async -> Void) async throws(StoreError) {}

    /// Records one issued credential durably.
    public func recordCredential(_ credential: IssuedCredential, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await recordCredentials([credential], replacing: [], by: actor, at: time)
    }

    /// Records issued credentials in one transaction, replacing none.
    public func recordCredentials(_ credentials: [IssuedCredential], by actor: String, at time: Timestamp) async throws(StoreError) {
        try await recordCredentials(credentials, replacing: [], by: actor, at: time)
    }

    /// Stores one whole client file (import); the client must not exist yet.
    public func importClient(_ file: ClientFile, by actor: String, at time: Timestamp) async throws(StoreError) {
        try await importClients([file], by: actor, at: time)
    }

    /// Checks the audit chain.
    public func verifyAudit() async throws(StoreError) -> AuditVerification {
        AuditVerification(checking: try await auditLog())
    }
}

/// Why the store refused or failed; messages name ids, never personal data or credential contents.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// An id that is already taken.
        public static let duplicate = Code("duplicate")
        /// An id that does not exist.
        public static let notFound = Code("not-found")
        /// The thing changed since the caller read it, or is in a state that does not allow the change.
        public static let conflict = Code("conflict")
        /// The database could not be opened, read or written.
        public static let database = Code("database")
        /// The database refused the change again and again because of other changes at the same moment
        /// (serialization failures, deadlocks): nothing was written; try again shortly.
        public static let busy = Code("busy")
        public var description: String { name }
    }

    public var code: Code
    /// The message in English.
    public var message: String
    /// The key of the message in the core's error table and its placeholders' values; nil for a message
    /// in English only.
    public var key: String?
    public var arguments: [String: String] = [:]

    /// An error whose message the core can say in every language (`key` in its error table).
    public init(_ code: Code, _ message: String, key: String, _ arguments: [String: String]) {
        self.init(code, message)
        self.key = key
        self.arguments = arguments
    }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// A credential refused because the client holds `existing`, a valid one of the same badge and format.
    static func held(_ credential: IssuedCredential, by existing: String) -> StoreError {
        StoreError(
            .conflict, "client \(credential.client) already holds a valid badge \(credential.badge) in format \(credential.format.rawValue): \(existing)",
            key: "credential.held", ["client": credential.client, "badge": credential.badge, "format": credential.format.rawValue, "credential": existing])
    }
}

extension StoreError.Code {
    /// `catch StoreError.Code.duplicate` style matching.
    public static func ~= (code: StoreError.Code, error: any Error) -> Bool {
        (error as? StoreError)?.code == code
    }
}

/// Which users a list holds.
public enum UserKind: Sendable, Hashable {
    case all
    /// Admins and instructors (users without a client).
    case staff
    /// A client's own users.
    case client(String)

    public func includes(_ user: User) -> Bool {
        switch self {
        case .all: true
        case .staff: user.client == nil
        case .client(let client): user.client == client
        }
    }
}
