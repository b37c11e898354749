import Basics
import Credentials
import Definitions
import Evaluation
import Crypto
import Foundation
public import Storage

/// Who is acting: a person signed in as a user, or an integration through an API token (its user,
/// within the token's scopes).
public struct Actor: Sendable, Hashable {
    public var user: User
    /// The token's scopes; nil for a person signed in (their role alone decides).
    public var scopes: Set<APIToken.Scope>?
    public var tokenID: String?

    public init(user: User, scopes: Set<APIToken.Scope>? = nil, tokenID: String? = nil) {
        self.user = user
        self.scopes = scopes
        self.tokenID = tokenID
    }

    /// How the audit log names the actor: the user id, and the token when one was used.
    public var auditName: String { tokenID.map { "\(user.id) (token \($0))" } ?? user.id }
}

/// What an actor asks to do; ``BadgeService/authorize(_:_:)`` says whether they may.
public enum Action: Sendable, Hashable {
    /// List clients (each actor sees only the clients they may read).
    case listClients
    /// Read a client's record, evaluation, report and credentials.
    case readClient(String)
    /// Register a client in a unit.
    case registerClient(unit: String?)
    /// Record assessments and attestations, move the pathway.
    case record(client: String)
    /// Issue a credential to the client, or revoke one of theirs.
    case award(client: String)
    /// Issue to many clients at once: those of a unit, or (nil) of every unit the actor works in.
    case awardMany(unit: String?)
    /// Users, tokens, keys, definitions and the audit log.
    case administer
}

extension BadgeService {
    // MARK: Authorization

    /// Whether `actor` may do `action`: admins may do everything; instructors work with the clients of the
    /// units they are assigned to; a client reads only their own record. A token also needs the scope.
    /// A client the actor may not read is "not found", as if it did not exist (`.notFound`); other refusals
    /// are `.forbidden`.
    public func authorize(_ actor: Actor, _ action: Action) async throws(CoreError) {
        try await authorize(actor, action, file: nil)
    }

    /// ``authorize(_:_:)`` with the client's file already read (nil: read it when needed).
    func authorize(_ actor: Actor, _ action: Action, file: ClientFile?) async throws(CoreError) {
        let user = actor.user
        func need(_ scope: APIToken.Scope) throws(CoreError) {
            if let scopes = actor.scopes, !scopes.contains(scope) { throw CoreError(.forbidden, key: "token.scope", ["scope": scope.rawValue]) }
        }
        func staff() throws(CoreError) {
            guard user.role != .client else { throw CoreError(.forbidden, key: "forbidden.staff") }
        }
        switch action {
        case .listClients:
            try need(.read)
        case .readClient(let id):
            try need(.read)
            try await visible(id, to: user, file: file)
        case .registerClient(let unit):
            try need(.record)
            try staff()
            if user.role == .instructor {
                guard let unit, user.units.contains(unit) else { throw CoreError(.forbidden, key: "forbidden.register") }
            }
        case .record(let id):
            try need(.record)
            try staff()
            try await visible(id, to: user)
        case .award(let id):
            try need(.award)
            try staff()
            try await visible(id, to: user)
        case .awardMany(let unit):
            try need(.award)
            try staff()
            if let unit, user.role == .instructor, !user.units.contains(unit) { throw CoreError(.forbidden, key: "forbidden.unit") }
        case .administer:
            try need(.admin)
            guard user.role == .admin else { throw CoreError(.forbidden, key: "forbidden.admin") }
        }
    }

    /// Refuses, as "not found", a client the user may not see; `file` saves reading the client again.
    private func visible(_ id: String, to user: User, file: ClientFile? = nil) async throws(CoreError) {
        let missing = CoreError(.notFound, key: "client.notFound", ["client": id])
        switch user.role {
        case .admin:
            return
        case .client:
            guard user.client == id else { throw missing }
        case .instructor:
            var read = file
            if read == nil { read = try await stored { () async throws(StoreError) in try await store.clientFile(id) } }
            guard let read, read.client.id == id, let unit = read.client.unit, user.units.contains(unit) else { throw missing }
        }
    }
}
