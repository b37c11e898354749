public import Basics
import Credentials
import Foundation
import Storage

/// A refusal of the Open Badges 3.0 API, as its `Imsx_StatusInfo` payload.
public struct ImsxError: Error, Sendable, Equatable {
    public var status: Int
    /// `unauthorizedrequest`, `forbidden`, `invalid_query_parameter`, `server_busy`, `internal_server_error`.
    public var codeMinor: String
    public var description: String

    public var document: JSONValue {
        .object([
            "imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": .string(description),
            "imsx_codeMinor": .object([
                "imsx_codeMinorField": [.object(["imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": .string(codeMinor)])]
            ]),
        ])
    }
}

/// One page of `getCredentials`: the body, the total the query matches, and the offsets of the `Link`
/// relations (first, last, and next and prev where they exist).
public struct CredentialPage: Sendable {
    public var body: JSONValue
    public var total: Int
    public var limit: Int
    public var links: [(rel: String, offset: Int)]
}

extension BadgeService {
    /// `getCredentials`: the valid OB 3.0 credentials of the client who allowed the service, oldest first,
    /// issued at or after `since`, `limit` (1-100, default 50) from `offset` — VC-JWTs in `compactJwsStrings`,
    /// Data Integrity credentials in `credential`, each exactly as issued. Audited.
    public func ob3Credentials(bearer: String?, limit: String?, offset: String?, since: String?) async throws(ImsxError) -> CredentialPage {
        let (grant, service) = try await bearerGrant(bearer, scope: OB3Scope.credentialRead)
        func invalid(_ text: String) -> ImsxError { ImsxError(status: 400, codeMinor: "invalid_query_parameter", description: text) }
        let size = try limit.map { text throws(ImsxError) in
            guard let value = Int(text), (1...100).contains(value) else { throw invalid("limit must be 1 to 100") }
            return value
        } ?? 50
        let start = try offset.map { text throws(ImsxError) in
            guard let value = Int(text), value >= 0 else { throw invalid("offset must be 0 or more") }
            return value
        } ?? 0
        let from = try since.map { text throws(ImsxError) in
            guard case .success(let time) = Timestamp.parse(text) else { throw invalid("since must be a date and time (RFC 3339)") }
            return time
        }
        let time = now
        let file: ClientFile
        do { file = try await clientFile(grant.client) } catch { throw ImsxError(status: 401, codeMinor: "unauthorizedrequest", description: "the access token is not valid") }
        let matching = validCredentials(file, at: time).filter { credential in
            (credential.format == .ob3JWT || credential.format == .ob3LDP) && (from.map { credential.issuedAt >= $0 } ?? true)
        }
        let page = matching.dropFirst(start).prefix(size)
        var jws: [JSONValue] = []
        var documents: [JSONValue] = []
        for credential in page {
            if credential.format == .ob3JWT {
                jws.append(.string(String(decoding: credential.bytes, as: UTF8.self)))
            } else if let document = try? StrictJSON.read(credential.bytes) {
                documents.append(document)
            }
        }
        var body: [String: JSONValue] = [:]
        if !jws.isEmpty { body["compactJwsStrings"] = .array(jws) }
        if !documents.isEmpty { body["credential"] = .array(documents) }
        let last = matching.isEmpty ? 0 : ((matching.count - 1) / size) * size
        var links: [(rel: String, offset: Int)] = []
        if start + size < matching.count { links.append(("next", start + size)) }
        links.append(("last", last))
        links.append(("first", 0))
        if start > 0 { links.append(("prev", max(0, start - size))) }
        try? await store.recordEvent(
            action: "oauth.use", subject: grant.client, detail: "service \(service), grant \(grant.id), getCredentials \(page.count)", by: "oauth", at: time)
        return CredentialPage(body: .object(body), total: matching.count, limit: size, links: links)
    }

    /// `getProfile`: the profile of the client who allowed the service — a pseudonymous id made for this
    /// consent alone (so that two services cannot tell they read the same person), nothing else. Audited.
    public func ob3Profile(bearer: String?) async throws(ImsxError) -> JSONValue {
        let (grant, service) = try await bearerGrant(bearer, scope: OB3Scope.profileRead)
        let uuid = Self.uuidText(Self.sha256Hex("profile " + grant.id))
        try? await store.recordEvent(action: "oauth.use", subject: grant.client, detail: "service \(service), grant \(grant.id), getProfile", by: "oauth", at: now)
        return .object([
            "@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"], "type": ["Profile"], "id": .string("urn:uuid:" + uuid),
        ])
    }

    /// The consent behind a bearer access token with `scope`: 401 for a token that is missing, unknown,
    /// expired, revoked or whose consent was withdrawn; 403 for one without the scope.
    func bearerGrant(_ header: String?, scope: String) async throws(ImsxError) -> (OAuthGrant, String) {
        let unauthorized = ImsxError(status: 401, codeMinor: "unauthorizedrequest", description: "a valid access token is required (Authorization: Bearer)")
        guard let header, header.lowercased().hasPrefix("bearer ") else { throw unauthorized }
        let presented = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let token = try? await store.oauthToken(hash: Self.sha256Hex(presented)), token.kind == .access, token.isLive(at: now),
            let grant = try? await store.oauthGrant(id: token.grant), grant.withdrawnAt == nil
        else { throw unauthorized }
        guard token.scopes.contains(scope) else {
            throw ImsxError(status: 403, codeMinor: "forbidden", description: "the access token does not have the scope \(scope)")
        }
        return (grant, grant.service)
    }
}
