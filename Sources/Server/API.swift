import Basics
import Credentials
import Definitions
import Foundation
import HTTPTypes
import Hummingbird
import MerkistoCore
import OpenAPIRuntime
import Storage

/// Who a request acts as: set from its API token by ``APIAuthentication`` before any handler runs.
enum RequestActor {
    @TaskLocal static var current: Result<Actor, CoreError>?
}

/// Reads `Authorization: Bearer mrk_…` and authenticates it through the core; handlers then ask
/// ``RequestActor/current``. A request without a valid token is refused by the handler (401) — not here,
/// so that the refusal is the API's own problem document.
struct APIAuthentication: ServerMiddleware {
    let service: BadgeService

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let result: Result<Actor, CoreError>
        if let header = request.headerFields[.authorization], header.lowercased().hasPrefix("bearer ") {
            do {
                result = .success(try service.authenticate(token: String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)))
            } catch {
                result = .failure(error)
            }
        } else {
            result = .failure(CoreError(.unauthenticated, "send an API token: Authorization: Bearer mrk_…"))
        }
        return try await RequestActor.$current.withValue(result) { try await next(request, body, metadata) }
    }
}

/// The JSON API: each handler reads its input, calls one use case of the core as the request's actor, and
/// renders the answer or the refusal (a problem document).
struct MerkistoAPI: APIProtocol {
    let service: BadgeService
    let layout: PublishLayout
    /// Told after a revocation, so that the public documents show it at once.
    let revoked: @Sendable () -> Void

    private func actor() throws(CoreError) -> Actor {
        guard let current = RequestActor.current else { throw CoreError(.unauthenticated, "send an API token: Authorization: Bearer mrk_…") }
        return try current.get()
    }

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        do {
            let actor = try actor()
            let user = actor.user
            return .ok(
                .init(
                    body: .json(
                        .init(
                            id: user.id, role: .init(rawValue: user.role.rawValue)!, units: user.units, client: user.client,
                            scopes: (actor.scopes.map { Array($0).sorted() } ?? APIToken.Scope.allCases).map { .init(rawValue: $0.rawValue)! }))))
        } catch {
            return .default(statusCode: Problem(error).status.code, .init(body: .applicationProblemJson(Problem(error).schema)))
        }
    }

    func listClients(_ input: Operations.ListClients.Input) async throws -> Operations.ListClients.Output {
        do {
            let clients = try service.visibleClients(for: try actor())
            return .ok(.init(body: .json(.init(clients: clients.map(Self.summary)))))
        } catch {
            return .default(statusCode: Problem(error).status.code, .init(body: .applicationProblemJson(Problem(error).schema)))
        }
    }

    func getClient(_ input: Operations.GetClient.Input) async throws -> Operations.GetClient.Output {
        do {
            let file = try service.clientFile(input.path.client, as: try actor())
            return .ok(
                .init(
                    body: .json(
                        .init(
                            client: Self.summary(ClientSummary(file, at: service.now)), periods: file.periods.map(Self.period),
                            credentials: file.credentials.map { credential($0, revoked: file.isRevoked($0.id)) }))))
        } catch {
            return .default(statusCode: Problem(error).status.code, .init(body: .applicationProblemJson(Problem(error).schema)))
        }
    }

    func issueCredential(_ input: Operations.IssueCredential.Input) async throws -> Operations.IssueCredential.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, "send the badge as JSON") }
            let issued = try service.issue(
                client: input.path.client, badge: request.badge, format: request.format.flatMap { CredentialFormat(rawValue: $0.rawValue) } ?? .ob3JWT,
                language: request.language.flatMap { Language(rawValue: $0.rawValue) }, as: try actor())
            return .created(.init(body: .json(credential(issued, revoked: false))))
        } catch {
            return .default(statusCode: Problem(error).status.code, .init(body: .applicationProblemJson(Problem(error).schema)))
        }
    }

    func revokeCredential(_ input: Operations.RevokeCredential.Input) async throws -> Operations.RevokeCredential.Output {
        do {
            guard case .json(let request) = input.body else { throw CoreError(.invalid, "send the credential and the reason as JSON") }
            let revocation = try service.revoke(credential: request.credential, reason: request.reason, as: try actor())
            revoked()
            return .created(
                .init(
                    body: .json(.init(credential: revocation.credentialID, reason: revocation.reason, revokedAt: Self.date(revocation.revokedAt), by: revocation.by))))
        } catch {
            return .default(statusCode: Problem(error).status.code, .init(body: .applicationProblemJson(Problem(error).schema)))
        }
    }

    func getAuditLog(_ input: Operations.GetAuditLog.Input) async throws -> Operations.GetAuditLog.Output {
        do {
            let (entries, intact) = try service.auditLog(after: input.query.after ?? 0, limit: input.query.limit ?? 100, as: try actor())
            return .ok(
                .init(
                    body: .json(
                        .init(
                            entries: entries.map {
                                .init(
                                    sequence: $0.sequence, at: Self.date($0.at), actor: $0.actor, action: $0.action, subject: $0.subject,
                                    detail: $0.detail, hash: $0.hash)
                            }, intact: intact))))
        } catch {
            return .default(statusCode: Problem(error).status.code, .init(body: .applicationProblemJson(Problem(error).schema)))
        }
    }

    // MARK: Rendering

    static func date(_ time: Timestamp) -> Date { Date(timeIntervalSince1970: Double(time.microseconds) / 1_000_000) }

    static func summary(_ summary: ClientSummary) -> Components.Schemas.ClientSummary {
        let open = summary.period.flatMap { $0.closedAt == nil ? $0 : nil }
        return .init(
            id: summary.client.id, unit: summary.client.unit, phase: open?.phases.last?.phase, decisionEnd: open?.decisionEnd.map(date),
            overdue: summary.overdue, assessments: summary.assessments, credentials: summary.credentials, erased: summary.client.erasedAt != nil)
    }

    static func period(_ period: PathwayPeriod) -> Components.Schemas.Period {
        .init(
            id: period.id, startedAt: date(period.phases.first?.at ?? period.decisionStart ?? Timestamp(microseconds: 0)),
            decisionStart: period.decisionStart.map(date), decisionEnd: period.decisionEnd.map(date),
            phases: period.phases.map { .init(phase: $0.phase, at: date($0.at), by: $0.by) }, closedAt: period.closedAt.map(date),
            outcome: period.outcome)
    }

    func credential(_ credential: IssuedCredential, revoked: Bool) -> Components.Schemas.Credential {
        let url: String? =
            switch credential.format {
            case .ob2Hosted: credential.id
            case .ob3JWT: credential.id.hasPrefix("urn:uuid:") ? layout.credential(String(credential.id.dropFirst("urn:uuid:".count))) : nil
            case .ob2Signed: nil
            }
        return .init(
            id: credential.id, badge: credential.badge, format: .init(rawValue: credential.format.rawValue)!, issuedAt: Self.date(credential.issuedAt),
            validUntil: credential.validUntil.map(Self.date), language: .init(rawValue: credential.language.rawValue)!, revoked: revoked, url: url)
    }
}
