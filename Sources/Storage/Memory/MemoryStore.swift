public import Definitions
public import Basics
import Foundation

/// The store in memory, for tests: the same checks and audit chain as ``SQLiteStore``, nothing durable.
/// An actor: each call runs alone.
public actor MemoryStore: Store {
    private var state = State()
    /// Failed sign-ins by throttle key (kept apart from `state`: they are not copied with each change).
    private var failures: [String: FailureCount] = [:]
    /// The most throttle keys kept; beyond it the oldest are forgotten first.
    public static let maximumFailureKeys = 20_000
    /// How many throttle keys are kept now (for tests of the memory bound).
    public var failureKeyCount: Int { failures.count }

    private struct State {
        var units: [String: ActivityUnit] = [:]
        var users: [String: User] = [:]
        var files: [String: ClientFile] = [:]
        var credentials: [IssuedCredential] = []
        var credentialIndex: [String: Int] = [:]
        var revocations: [Revocation] = []
        var suspensions: [Suspension] = []
        var places: [StatusListEntry: (reservedAt: Timestamp, credential: String?)] = [:]
        var statusChanges: [Timestamp] = []
        var tokens: [APIToken] = []
        var shares: [String: CredentialShare] = [:]
        var exchanges: [String: WalletExchange] = [:]
        var oauthClients: [String: OAuthClient] = [:]
        var oauthGrants: [OAuthGrant] = []
        var oauthTokens: [String: OAuthToken] = [:]

        mutating func revokeTokens(_ matches: (OAuthToken) -> Bool, at time: Timestamp) {
            for (hash, token) in oauthTokens where token.revokedAt == nil && matches(token) { oauthTokens[hash]?.revokedAt = time }
        }
        var definitionsVersions: [(version: DefinitionsVersion, archive: [UInt8])] = []
        var activeDefinitions: String?
        var passwords: [String: String] = [:]
        var sessions: [String: StoredSession] = [:]
        var codes: [String: SignInCode] = [:]
        var audit: [AuditEntry] = []

        mutating func audit(_ time: Timestamp, _ actor: String, _ change: AuditChange) {
            audit.append(
                AuditEntry(
                    sequence: Int64(audit.count + 1), at: time, actor: actor, action: change.action, subject: change.subject,
                    detail: change.detail,
                    previous: audit.last?.hash ?? AuditEntry.genesis))
        }

        mutating func revoke(_ id: String, reason: String, by actor: String, at time: Timestamp) throws(StoreError) -> Revocation {
            guard credentialIndex[id] != nil else { throw StoreError(.notFound, "there is no credential \(id)", key: "credential.notFound", ["credential": "\(id)"]) }
            guard !revocations.contains(where: { $0.credentialID == id }) else {
                throw StoreError(.conflict, "credential \(id) is already revoked", key: "credential.revoked", ["credential": "\(id)"])
            }
            let revocation = Revocation(credentialID: id, reason: reason, revokedAt: time, by: actor)
            revocations.append(revocation)
            // A revoked credential is not also suspended.
            suspensions.removeAll { $0.credentialID == id }
            statusChanges.append(time)
            audit(time, actor, .credentialRevoked(id))
            return revocation
        }

        func liveFile(_ id: String) throws(StoreError) -> ClientFile {
            guard let file = files[id] else { throw StoreError(.notFound, "there is no client \(id)", key: "client.notFound", ["client": "\(id)"]) }
            guard file.client.erasedAt == nil else { throw StoreError(.conflict, "client \(id) was erased", key: "client.erased", ["client": "\(id)"]) }
            return file
        }

        func checkNew(_ client: StoredClient) throws(StoreError) {
            guard files[client.id] == nil else { throw StoreError(.duplicate, "client \(client.id) already exists", key: "client.exists", ["client": "\(client.id)"]) }
            if let unit = client.unit, units[unit] == nil { throw StoreError(.notFound, "there is no unit \(unit)", key: "unit.notFound", ["unit": "\(unit)"]) }
        }

        /// The client and index of an open period still in phase `expected`.
        func openPeriod(_ id: String, expected: String) throws(StoreError) -> (client: String, index: Int) {
            for (client, file) in files {
                guard let index = file.periods.firstIndex(where: { $0.id == id }) else { continue }
                let period = file.periods[index]
                guard period.isOpen else { throw StoreError(.conflict, "pathway period \(id) is closed", key: "period.closed", ["period": "\(id)"]) }
                guard period.currentPhase == expected else { throw StoreError(.conflict, "pathway period \(id) is no longer in phase \(expected)", key: "period.moved", ["period": "\(id)", "phase": "\(expected)"]) }
                return (client, index)
            }
            throw StoreError(.notFound, "there is no pathway period \(id)", key: "period.notFound", ["period": "\(id)"])
        }

        func file(_ id: String) -> ClientFile? {
            guard var file = files[id] else { return nil }
            file.credentials = credentials.filter { $0.client == id }
            let ids = Set(file.credentials.map(\.id))
            file.revocations = revocations.filter { ids.contains($0.credentialID) }
            file.suspensions = suspensions.filter { ids.contains($0.credentialID) }
            return file
        }
    }

    public init() {}

    private func locked<T>(_ body: (inout State) throws(StoreError) -> T) throws(StoreError) -> T {
        // Work on a copy so that a refused change leaves nothing behind.
        var copy = state
        let result = try body(&copy)
        state = copy
        return result
    }

    public func addUnit(_ unit: ActivityUnit, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard state.units[unit.id] == nil else { throw StoreError(.duplicate, "unit \(unit.id) already exists", key: "unit.exists", ["unit": "\(unit.id)"]) }
            state.units[unit.id] = unit
            state.audit(time, actor, .unitAdded(unit))
        }
    }

    public func units() async throws(StoreError) -> [ActivityUnit] {
        try locked { state in state.units.values.sorted { $0.id < $1.id } }
    }

    public func addUser(_ user: User, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard state.users[user.id] == nil else { throw StoreError(.duplicate, "user \(user.id) already exists", key: "user.exists", ["user": "\(user.id)"]) }
            for unit in user.units where state.units[unit] == nil { throw StoreError(.notFound, "there is no unit \(unit)", key: "unit.notFound", ["unit": "\(unit)"]) }
            if let client = user.client, state.files[client] == nil { throw StoreError(.notFound, "there is no client \(client)", key: "client.notFound", ["client": "\(client)"]) }
            var stored = user
            stored.units.sort()
            state.users[user.id] = stored
            state.audit(time, actor, .userAdded(user))
        }
    }

    public func users() async throws(StoreError) -> [User] {
        try locked { state in state.users.values.sorted { $0.id < $1.id } }
    }

    public func user(id: String) async throws(StoreError) -> User? {
        try locked { state in state.users[id] }
    }

    public func userList(_ kind: UserKind, after: String?, limit: Int) async throws(StoreError) -> [User] {
        try locked { state in
            let bytes = { (user: User) in Array(user.id.utf8) }
            let found = state.users.values.filter { user in
                kind.includes(user) && (after.map { Array($0.utf8).lexicographicallyPrecedes(bytes(user)) } ?? true)
            }
            return Array(found.sorted { bytes($0).lexicographicallyPrecedes(bytes($1)) }.prefix(max(0, limit)))
        }
    }

    public func setPassword(user: String, hash: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard state.users[user] != nil else { throw StoreError(.notFound, "there is no user \(user)", key: "user.notFound", ["user": "\(user)"]) }
            state.passwords[user] = hash
            state.sessions = state.sessions.filter { $0.value.user != user }
            state.audit(time, actor, .passwordSet(user))
        }
    }

    public func passwordHash(user: String) async throws(StoreError) -> String? {
        try locked { state in state.passwords[user] }
    }

    public func addSession(_ session: StoredSession, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard state.users[session.user] != nil else { throw StoreError(.notFound, "there is no user \(session.user)", key: "user.notFound", ["user": "\(session.user)"]) }
            guard state.sessions[session.id] == nil else { throw StoreError(.duplicate, "the session already exists") }
            state.sessions[session.id] = session
            state.audit(time, session.user, .signedIn(session.user))
        }
    }

    public func session(id: String) async throws(StoreError) -> StoredSession? {
        try locked { state in state.sessions[id] }
    }

    public func removeSession(id: String, at time: Timestamp) async throws(StoreError) {
        try locked { state in
            guard let session = state.sessions.removeValue(forKey: id) else { return }
            state.audit(time, session.user, .signedOut(session.user))
        }
    }

    public func addSignInCode(_ code: SignInCode, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard state.users[code.user] != nil else { throw StoreError(.notFound, "there is no user \(code.user)", key: "user.notFound", ["user": "\(code.user)"]) }
            guard state.codes[code.id] == nil else { throw StoreError(.duplicate, "the code already exists") }
            // A new code cancels the user's older unused ones.
            state.codes = state.codes.filter { $0.value.user != code.user || $0.value.usedAt != nil }
            state.codes[code.id] = code
            state.audit(time, code.createdBy, .signInCodeMade(code))
        }
    }

    public func redeemSignInCode(id: String, session: @Sendable (String) -> StoredSession, at time: Timestamp) async throws(StoreError) -> StoredSession? {
        try locked { state in
            guard var code = state.codes[id], code.usedAt == nil, code.expiresAt > time, state.users[code.user] != nil else { return nil }
            code.usedAt = time
            state.codes[id] = code
            let started = session(code.user)
            state.sessions[started.id] = started
            state.audit(time, code.user, .signedInWithCode(code.user))
            return started
        }
    }

    public func failureCounts(_ keys: [String], windowStart: Int64) async throws(StoreError) -> [String: FailureCount] {
        var found: [String: FailureCount] = [:]
        for key in keys { if let count = failures[key], count.first > windowStart { found[key] = count } }
        return found
    }

    public func countFailure(_ keys: [String], at time: Int64, windowStart: Int64) async throws(StoreError) {
        for key in keys {
            if var count = failures[key], count.first > windowStart {
                count.failures += 1
                count.last = time
                failures[key] = count
                continue
            }
            if failures[key] == nil, failures.count >= Self.maximumFailureKeys {
                // Forget what is out of the window, then, if still full, the half that failed longest ago.
                failures = failures.filter { $0.value.first > windowStart }
                if failures.count >= Self.maximumFailureKeys {
                    let cut = failures.values.map(\.last).sorted()[failures.count / 2]
                    failures = failures.filter { $0.value.last > cut }
                }
            }
            failures[key] = FailureCount(failures: 1, first: time, last: time)
        }
    }

    public func clearFailures(_ keys: [String]) async throws(StoreError) {
        for key in keys { failures[key] = nil }
    }

    public func addToken(_ token: APIToken, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard !state.tokens.contains(where: { $0.id == token.id }) else { throw StoreError(.duplicate, "token \(token.id) already exists", key: "token.exists", ["token": "\(token.id)"]) }
            guard state.users[token.user] != nil else { throw StoreError(.notFound, "there is no user \(token.user)", key: "user.notFound", ["user": "\(token.user)"]) }
            state.tokens.append(token)
            state.audit(time, actor, .tokenAdded(token))
        }
    }

    @discardableResult
    public func addDefinitionsVersion(_ version: DefinitionsVersion, archive: [UInt8], by actor: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try locked { state in
            guard !state.definitionsVersions.contains(where: { $0.version.digest == version.digest }) else { return false }
            state.definitionsVersions.append((version, archive))
            state.audit(time, actor, .definitionsAdded(version))
            return true
        }
    }

    public func definitionsVersions() async throws(StoreError) -> [DefinitionsVersion] {
        try locked { state in state.definitionsVersions.map(\.version) }
    }

    public func definitionsVersion(digest: String) async throws(StoreError) -> DefinitionsVersion? {
        try locked { state in state.definitionsVersions.first { $0.version.digest == digest }?.version }
    }

    public func definitionsVersionPage(after: String?, limit: Int) async throws(StoreError) -> [DefinitionsVersion] {
        try locked { state in Self.newestFirst(state.definitionsVersions.map(\.version), after: after, limit: limit, id: \.digest) }
    }

    public func definitionsArchive(digest: String) async throws(StoreError) -> [UInt8]? {
        try locked { state in state.definitionsVersions.first { $0.version.digest == digest }?.archive }
    }

    public func activateDefinitions(digest: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard state.definitionsVersions.contains(where: { $0.version.digest == digest }) else {
                throw StoreError(.notFound, "there is no definitions version \(digest)", key: "definitions.versionNotFound", ["digest": "\(digest)"])
            }
            state.audit(time, actor, .definitionsActivated(digest, before: state.activeDefinitions))
            state.activeDefinitions = digest
        }
    }

    public func activeDefinitions() async throws(StoreError) -> String? {
        try locked { state in state.activeDefinitions }
    }

    public func addShare(_ share: CredentialShare, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard let index = state.credentialIndex[share.credential], state.credentials[index].client == share.client else {
                throw StoreError(.notFound, "there is no credential \(share.credential)", key: "credential.notFound", ["credential": "\(share.credential)"])
            }
            guard !state.shares.values.contains(where: { $0.credential == share.credential }), state.shares[share.token] == nil else {
                throw StoreError(.duplicate, "credential \(share.credential) is shared already", key: "share.on", ["credential": "\(share.credential)"])
            }
            state.shares[share.token] = share
            state.audit(time, actor, .shareOn(share))
        }
    }

    public func removeShare(credential: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard let share = state.shares.values.first(where: { $0.credential == credential }) else {
                throw StoreError(.notFound, "credential \(credential) is not shared", key: "share.off", ["credential": "\(credential)"])
            }
            state.shares[share.token] = nil
            state.audit(time, actor, .shareOff(share))
        }
    }

    public func addExchange(_ exchange: WalletExchange, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            _ = try state.liveFile(exchange.client)
            state.exchanges = state.exchanges.filter { $0.value.expiresAt > time }
            guard state.exchanges[exchange.id] == nil else { throw StoreError(.duplicate, "exchange exists already") }
            state.exchanges[exchange.id] = exchange
            state.audit(time, actor, .exchangeOpened(exchange))
        }
    }

    public func addOAuthClient(_ client: OAuthClient, removingUnusedBefore unusedBefore: Timestamp, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            let used = Set(state.oauthGrants.map(\.service))
            state.oauthClients = state.oauthClients.filter { $0.value.createdAt >= unusedBefore || used.contains($0.key) }
            guard state.oauthClients[client.id] == nil else { throw StoreError(.duplicate, "client_id \(client.id) exists already") }
            state.oauthClients[client.id] = client
            state.audit(time, "oauth", .oauthRegistered(client))
        }
    }

    public func oauthClient(id: String) async throws(StoreError) -> OAuthClient? {
        try locked { state in state.oauthClients[id] }
    }

    public func addOAuthGrant(_ grant: OAuthGrant, code: OAuthToken, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            _ = try state.liveFile(grant.client)
            guard state.oauthClients[grant.service] != nil else { throw StoreError(.notFound, "there is no client_id \(grant.service)") }
            state.oauthGrants.append(grant)
            state.oauthTokens[code.hash] = code
            state.audit(time, actor, .oauthGranted(grant))
        }
    }

    public func oauthGrant(id: String) async throws(StoreError) -> OAuthGrant? {
        try locked { state in state.oauthGrants.first { $0.id == id } }
    }

    public func oauthGrants(client: String) async throws(StoreError) -> [OAuthGrant] {
        try locked { state in state.oauthGrants.filter { $0.client == client } }
    }

    public func withdrawOAuthGrant(id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard let index = state.oauthGrants.firstIndex(where: { $0.id == id && $0.withdrawnAt == nil }) else {
                throw StoreError(.notFound, "there is no consent \(id) in force", key: "oauth.grantNotFound", [:])
            }
            state.oauthGrants[index].withdrawnAt = time
            state.revokeTokens({ $0.grant == id }, at: time)
            state.audit(time, actor, .oauthWithdrawn(state.oauthGrants[index]))
        }
    }

    public func oauthToken(hash: String) async throws(StoreError) -> OAuthToken? {
        try locked { state in state.oauthTokens[hash] }
    }

    public func redeemOAuthToken(hash: String, kind: OAuthToken.Kind, issuing tokens: [OAuthToken], at time: Timestamp) async throws(StoreError) -> Bool {
        try locked { state in
            guard let token = state.oauthTokens[hash], token.kind == kind, token.isLive(at: time),
                state.oauthGrants.contains(where: { $0.id == token.grant && $0.withdrawnAt == nil })
            else { return false }
            if kind == .refresh { state.oauthTokens[hash] = nil } else { state.oauthTokens[hash]?.usedAt = time }
            state.oauthTokens = state.oauthTokens.filter { $0.value.expiresAt >= time }
            for issued in tokens { state.oauthTokens[issued.hash] = issued }
            return true
        }
    }

    public func revokeOAuthTokens(hash: String?, origin: String?, grant: String?, at time: Timestamp) async throws(StoreError) {
        try locked { state in
            state.revokeTokens({ token in token.hash == hash || (origin != nil && token.origin == origin) || (grant != nil && token.grant == grant) }, at: time)
        }
    }

    public func exchange(id: String) async throws(StoreError) -> WalletExchange? {
        try locked { state in state.exchanges[id] }
    }

    public func completeExchange(id: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try locked { state in
            guard var exchange = state.exchanges[id], exchange.completedAt == nil, exchange.expiresAt > time else { return false }
            exchange.completedAt = time
            state.exchanges[id] = exchange
            state.audit(time, "wallet", .exchangeCompleted(exchange))
            return true
        }
    }

    public func share(token: String) async throws(StoreError) -> CredentialShare? {
        try locked { state in state.shares[token] }
    }

    public func shares(client: String) async throws(StoreError) -> [CredentialShare] {
        try locked { state in state.shares.values.filter { $0.client == client }.sorted { $0.createdAt < $1.createdAt } }
    }

    public func token(id: String) async throws(StoreError) -> APIToken? {
        try locked { state in state.tokens.first { $0.id == id } }
    }

    public func tokens() async throws(StoreError) -> [APIToken] {
        try locked { state in state.tokens }
    }

    public func tokenPage(after: String?, limit: Int) async throws(StoreError) -> [APIToken] {
        try locked { state in Self.newestFirst(state.tokens, after: after, limit: limit, id: \.id) }
    }

    /// A page of `items` (oldest first), newest first, before the one whose id is `after`.
    private static func newestFirst<Item>(_ items: [Item], after: String?, limit: Int, id: (Item) -> String) -> [Item] {
        let end: Int
        if let after {
            guard let index = items.firstIndex(where: { id($0) == after }) else { return [] }
            end = index
        } else {
            end = items.count
        }
        return Array(items[..<end].reversed().prefix(max(0, limit)))
    }

    public func revokeToken(id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard let index = state.tokens.firstIndex(where: { $0.id == id }) else { throw StoreError(.notFound, "there is no token \(id)", key: "token.notFound", ["token": "\(id)"]) }
            guard state.tokens[index].revokedAt == nil else { throw StoreError(.conflict, "token \(id) is already revoked", key: "token.revoked", ["token": "\(id)"]) }
            state.tokens[index].revokedAt = time
            state.audit(time, actor, .tokenRevoked(id))
        }
    }

    public func addClient(_ client: StoredClient, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            try state.checkNew(client)
            state.files[client.id] = ClientFile(client: client)
            state.audit(time, actor, .clientAdded(client))
        }
    }

    public func clients() async throws(StoreError) -> [StoredClient] {
        try locked { state in state.files.values.map(\.client).sorted { $0.id < $1.id } }
    }

    public func clientFile(_ id: String) async throws(StoreError) -> ClientFile? {
        try locked { state in state.file(id) }
    }

    public func forEachEvaluationBatch<T: Sendable>(workers: Int, _ body: @escaping @Sendable ([ClientFile]) throws -> T) async throws(StoreError) -> [T] {
        let files = try locked { state in state.files.keys.sorted().compactMap { state.file($0) } }
        do {
            return try stride(from: 0, to: files.count, by: 512).map { try body(Array(files[$0..<min($0 + 512, files.count)])) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.conflict, "\(error)")
        }
    }

    public func clientIDs() async throws(StoreError) -> [String] {
        try locked { state in state.files.keys.sorted() }
    }

    public func clientList(_ query: ClientQuery) async throws(StoreError) -> [ClientListing] {
        try locked { state in
            let issued = Dictionary(grouping: state.credentials, by: \.client).mapValues(\.count)
            let listed = state.files.values.map { file in
                var listing = ClientListing(file)
                listing.credentials = issued[file.client.id] ?? 0
                return listing
            }.filter { query.includes($0) && query.isAfterCursor($0) }
            return Array(listed.sorted(by: query.sorts).prefix(max(0, query.limit)))
        }
    }

    public func clientCount(units: [String]?) async throws(StoreError) -> (count: Int, exact: Bool) {
        try locked { state in
            guard let units else { return (state.files.count, true) }
            return (state.files.values.count { $0.client.unit.map(units.contains) ?? false }, true)
        }
    }

    public func clientFiles(_ ids: [String]) async throws(StoreError) -> [ClientFile] {
        try locked { state in ids.compactMap { state.file($0) } }
    }

    public func importClients(_ files: [ClientFile], by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            for file in files {
                try state.checkNew(file.client)
                var stored = file
                stored.credentials = []
                stored.revocations = []
                state.files[file.client.id] = stored
                state.audit(time, actor, .clientImported(file))
            }
        }
    }

    public func eraseClient(_ id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard let file = state.files[id] else { throw StoreError(.notFound, "there is no client \(id)", key: "client.notFound", ["client": "\(id)"]) }
            guard file.client.erasedAt == nil else { throw StoreError(.conflict, "client \(id) was already erased", key: "client.alreadyErased", ["client": "\(id)"]) }
            state.files[id] = ClientFile(client: StoredClient(id: id, unit: file.client.unit, registeredAt: file.client.registeredAt, erasedAt: time))
            let erasedUsers = Set(state.users.values.filter { $0.client == id }.map(\.id))
            // Failed sign-ins counted for the client's users (with the addresses they came from).
            failures = failures.filter { key, _ in
                !erasedUsers.contains { key == "user:" + $0 || key.hasPrefix("pair:\($0) ") }
            }
            state.tokens.removeAll { erasedUsers.contains($0.user) }
            state.shares = state.shares.filter { $0.value.client != id }
            state.exchanges = state.exchanges.filter { $0.value.client != id }
            let grants = Set(state.oauthGrants.filter { $0.client == id }.map(\.id))
            state.oauthGrants.removeAll { grants.contains($0.id) }
            state.oauthTokens = state.oauthTokens.filter { !grants.contains($0.value.grant) }
            state.sessions = state.sessions.filter { !erasedUsers.contains($0.value.user) }
            state.codes = state.codes.filter { !erasedUsers.contains($0.value.user) }
            for user in erasedUsers { state.passwords[user] = nil }
            state.users = state.users.filter { $0.value.client != id }
            // Why the client's credentials were revoked or suspended is staff's free text about the client.
            let credentials = Set(state.credentials.filter { $0.client == id }.map(\.id))
            for index in state.revocations.indices where credentials.contains(state.revocations[index].credentialID) { state.revocations[index].reason = "" }
            for index in state.suspensions.indices where credentials.contains(state.suspensions[index].credentialID) { state.suspensions[index].reason = "" }
            state.audit(time, actor, .clientErased(id))
            var redacted: [Int64] = []
            for index in state.audit.indices {
                guard let detail = state.audit[index].redactedDetail(client: id, users: erasedUsers) else { continue }
                state.audit[index].detail = detail
                state.audit[index].redacted = true
                redacted.append(state.audit[index].sequence)
            }
            if !redacted.isEmpty { state.audit(time, actor, .detailsRedacted(client: id, sequences: redacted)) }
        }
    }

    public func startPeriod(_ period: PathwayPeriod, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            let file = try state.liveFile(period.client)
            if let open = file.openPeriod {
                throw StoreError(.conflict, "client \(period.client) already has an open pathway period \(open.id); close it first", key: "period.open", ["client": "\(period.client)", "period": "\(open.id)"])
            }
            if state.files.values.contains(where: { $0.periods.contains { $0.id == period.id } }) {
                throw StoreError(.duplicate, "pathway period \(period.id) already exists", key: "period.exists", ["period": "\(period.id)"])
            }
            state.files[period.client]!.periods.append(period)
            state.audit(time, actor, .periodStarted(period))
        }
    }

    public func changePhase(period id: String, from expected: String, to change: PhaseChange) async throws(StoreError) {
        try locked { state throws(StoreError) in
            let (client, index) = try state.openPeriod(id, expected: expected)
            state.files[client]!.periods[index].phases.append(change)
            state.audit(change.at, change.by, .phaseChanged(client: client, period: id, from: expected, to: change.phase))
        }
    }

    public func closePeriod(period id: String, from expected: String, outcome: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            let (client, index) = try state.openPeriod(id, expected: expected)
            state.files[client]!.periods[index].closedAt = time
            state.files[client]!.periods[index].outcome = outcome
            state.audit(time, actor, .periodClosed(client: client, period: id, outcome: outcome))
        }
    }

    public func addAssessment(_ assessment: StoredAssessment, client: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            let file = try state.liveFile(client)
            guard !file.assessments.contains(where: { $0.id == assessment.id }) else {
                throw StoreError(.duplicate, "client \(client) already has an assessment \(assessment.id)", key: "assessment.exists", ["client": "\(client)", "assessment": "\(assessment.id)"])
            }
            state.files[client]!.assessments.append(assessment)
            state.audit(time, actor, .assessmentRecorded(assessment, client: client))
        }
    }

    public func addAttestation(_ attestation: StoredAttestation, client: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            _ = try state.liveFile(client)
            state.files[client]!.attestations.append(attestation)
            state.audit(time, actor, .attestationRecorded(attestation, client: client))
        }
    }

    public func withdrawAttestations(
        client: String, badge: String, roles: Set<Criterion.Role>, by actor: String, at time: Timestamp
    ) async throws(StoreError) -> [StoredAttestation] {
        try locked { state throws(StoreError) in
            let file = try state.liveFile(client)
            let withdrawn = file.attestations.filter { $0.badge == badge && roles.contains($0.role) }
            state.files[client]!.attestations.removeAll { $0.badge == badge && roles.contains($0.role) }
            for attestation in withdrawn { state.audit(time, actor, .attestationWithdrawn(attestation, client: client)) }
            return withdrawn
        }
    }

    public func recordCredentials(_ credentials: [IssuedCredential], replacing: [String], by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            for id in replacing { _ = try state.revoke(id, reason: "replaced", by: actor, at: time) }
            for credential in credentials {
                guard state.credentialIndex[credential.id] == nil else {
                    throw StoreError(.duplicate, "credential \(credential.id) is already recorded", key: "credential.exists", ["credential": "\(credential.id)"])
                }
                let held = state.credentials.last { other in
                    other.client == credential.client && other.badge == credential.badge && other.format == credential.format
                        && !state.revocations.contains { $0.credentialID == other.id } && (other.validUntil.map { $0 > time } ?? true)
                }
                if let held { throw StoreError.held(credential, by: held.id) }
                if let place = credential.status {
                    guard let reserved = state.places[place], reserved.credential == nil else {
                        throw StoreError(
                            .conflict, "status list place \(place.list)/\(place.index) is not a free reserved place", key: "status.placeTaken",
                            ["list": "\(place.list)", "index": "\(place.index)"])
                    }
                    state.places[place] = (reserved.reservedAt, credential.id)
                }
                state.credentialIndex[credential.id] = state.credentials.count
                state.credentials.append(credential)
            }
            guard !credentials.isEmpty else { return }
            state.audit(time, actor, .credentialsIssued(credentials, replacing: replacing))
        }
    }

    public func credential(id: String) async throws(StoreError) -> IssuedCredential? {
        try locked { state in state.credentialIndex[id].map { state.credentials[$0] } }
    }

    public func credentials() async throws(StoreError) -> [IssuedCredential] {
        try locked { state in state.credentials }
    }

    public func revoke(credential id: String, reason: String, by actor: String, at time: Timestamp) async throws(StoreError) -> Revocation {
        try locked { state throws(StoreError) in try state.revoke(id, reason: reason, by: actor, at: time) }
    }

    public func revocations() async throws(StoreError) -> [Revocation] {
        try locked { state in state.revocations }
    }

    public func revocationCount() async throws(StoreError) -> Int {
        try locked { state in state.revocations.count }
    }

    public func revocation(of credential: String) async throws(StoreError) -> Revocation? {
        try locked { state in state.revocations.first { $0.credentialID == credential } }
    }

    public func reserveStatusEntries(count: Int, at time: Timestamp) async throws(StoreError) -> [StatusListEntry] {
        try locked { state in
            let newest = state.places.keys.map(\.list).max()
            let last = newest.map { list in (list, state.places.keys.filter { $0.list == list }.count) }
            return StatusPlacement.place(count: count, last: last) { entry in
                guard state.places[entry] == nil else { return false }
                state.places[entry] = (time, nil)
                return true
            }
        }
    }

    public func suspend(credential id: String, reason: String, by actor: String, at time: Timestamp) async throws(StoreError) -> Suspension {
        try locked { state throws(StoreError) in
            guard let index = state.credentialIndex[id] else {
                throw StoreError(.notFound, "there is no credential \(id)", key: "credential.notFound", ["credential": "\(id)"])
            }
            guard state.credentials[index].status != nil else {
                throw StoreError(.conflict, "credential \(id) has no place in the status lists", key: "credential.noStatus", ["credential": "\(id)"])
            }
            guard !state.revocations.contains(where: { $0.credentialID == id }) else {
                throw StoreError(.conflict, "credential \(id) is already revoked", key: "credential.revoked", ["credential": "\(id)"])
            }
            guard !state.suspensions.contains(where: { $0.credentialID == id }) else {
                throw StoreError(.conflict, "credential \(id) is already suspended", key: "credential.suspended", ["credential": "\(id)"])
            }
            let suspension = Suspension(credentialID: id, reason: reason, suspendedAt: time, by: actor)
            state.suspensions.append(suspension)
            state.statusChanges.append(time)
            state.audit(time, actor, .credentialSuspended(id))
            return suspension
        }
    }

    public func liftSuspension(credential id: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state throws(StoreError) in
            guard state.credentialIndex[id] != nil else {
                throw StoreError(.notFound, "there is no credential \(id)", key: "credential.notFound", ["credential": "\(id)"])
            }
            guard let index = state.suspensions.firstIndex(where: { $0.credentialID == id }) else {
                throw StoreError(.conflict, "credential \(id) is not suspended", key: "credential.notSuspended", ["credential": "\(id)"])
            }
            state.suspensions.remove(at: index)
            state.statusChanges.append(time)
            state.audit(time, actor, .suspensionLifted(id))
        }
    }

    public func suspensions() async throws(StoreError) -> [Suspension] {
        try locked { state in state.suspensions }
    }

    public func statusListState() async throws(StoreError) -> StatusListState {
        try locked { state in
            let placeOf = Dictionary(
                state.places.compactMap { place, value in value.credential.map { ($0, place) } }, uniquingKeysWith: { first, _ in first })
            let changedAt = state.statusChanges.max() ?? state.places.values.map(\.reservedAt).min() ?? Timestamp(microseconds: 0)
            return StatusListState(
                lists: Set(state.places.keys.map(\.list)).sorted(), revoked: state.revocations.compactMap { placeOf[$0.credentialID] },
                suspended: state.suspensions.compactMap { placeOf[$0.credentialID] }, changedAt: changedAt)
        }
    }

    public func statusVersion() async throws(StoreError) -> Int {
        try locked { state in state.statusChanges.count }
    }

    public func recordEvent(action: String, subject: String, detail: String, by actor: String, at time: Timestamp) async throws(StoreError) {
        try locked { state in state.audit(time, actor, AuditChange(action: action, subject: subject, detail: detail)) }
    }

    public func auditLog() async throws(StoreError) -> [AuditEntry] {
        try locked { state in state.audit }
    }

    public func auditEntries(from first: Int64, limit: Int) async throws(StoreError) -> [AuditEntry] {
        try locked { state in Array(state.audit.lazy.filter { $0.sequence >= first }.prefix(max(0, limit))) }
    }

    public func lastAuditSequence() async throws(StoreError) -> Int64 {
        try locked { state in state.audit.last?.sequence ?? 0 }
    }
}
